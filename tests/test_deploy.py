"""The gunicorn configuration in deploy/ (issue #13 item 7): rate limits count in shared
storage across workers, and per-process counters with several workers refuse to start."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from config import rate_limit_storage_problem

ROOT = Path(__file__).resolve().parent.parent


def test_the_rule():
    assert rate_limit_storage_problem(1, {}) is None
    assert "RATELIMIT_STORAGE_URI" in (rate_limit_storage_problem(2, {}) or "")
    assert rate_limit_storage_problem(2, {"RATELIMIT_STORAGE_URI": "memory://"})
    assert rate_limit_storage_problem(4, {"RATELIMIT_STORAGE_URI": "redis://x:6379/0"}) is None
    assert rate_limit_storage_problem(4, {"RATELIMIT_ENABLED": "0"}) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _env(template_db: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    db = tmp_path / "tracker.sqlite"
    shutil.copy(template_db, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATELIMIT")}
    env.update(
        TRACKER_CONFIG="development",
        DATABASE_URL=f"sqlite:///{db}",
        WEB_CONCURRENCY="2",
    )
    env.update(extra)
    return env


def test_two_workers_with_per_process_counters_refuse_to_start(template_db, tmp_path):
    server = _gunicorn(_env(template_db, tmp_path), _free_port())
    try:
        out, _ = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "refusing to start" in out and "RATELIMIT_STORAGE_URI" in out


def test_two_workers_share_the_login_limit_in_redis(template_db, tmp_path, redis_url):
    port = _free_port()
    server = _gunicorn(_env(template_db, tmp_path, RATELIMIT_STORAGE_URI=redis_url), port)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        statuses = [_login_attempt(base) for _ in range(22)]
    finally:
        server.terminate()
        server.communicate(timeout=30)
    # LOGIN_RATE_LIMIT is 20 a minute: the 21st answer is the first 429, whichever worker.
    assert statuses[:20] == [200] * 20, statuses
    assert statuses[20:] == [429, 429], statuses


def _login_attempt(base: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()  # noqa: S310
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page[:500]
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "login": "nobody", "password": "Wrong-Password-1"}
    ).encode()
    try:
        return int(opener.open(base + "/login", data=data, timeout=10).status)  # noqa: S310
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _gunicorn_settings(monkeypatch, **env: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import runpy

    for name in ("WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_gunicorn_workers_follow_the_cores_unless_told(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    settings = _gunicorn_settings(monkeypatch)
    assert settings["workers"] == 2 * cores
    assert settings["timeout"] == 30 and settings["graceful_timeout"] == 30
    assert settings["accesslog"] == "-" and settings["forwarded_allow_ips"] == ""
    told = _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="60")
    assert (told["workers"], told["timeout"]) == (3, 60)


def test_nginx_refuses_uploads_exactly_above_the_apps_limit():
    from config import Config

    site = (ROOT / "deploy" / "nginx" / "tongban.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", site, re.M)
    assert sizes and all(int(m) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH for m in sizes)
    # POSTs are never passed on to a second server once sent.
    assert "non_idempotent" not in re.sub(r"#.*", "", site)
