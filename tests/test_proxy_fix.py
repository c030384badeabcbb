"""Behind the reverse proxy (deploy/nginx): with ``PROXY_FIX_X_*`` set the app believes the
proxy's ``X-Forwarded-*`` headers — the client's address, https, the public host — and only
the hop the proxy added; without them (the default) a client's forged headers change
nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from flask import Flask, jsonify, request, url_for

from tests.conftest import config_for
from tracker import create_app

ROOT = Path(__file__).resolve().parent.parent

FORGED = {
    "X-Forwarded-For": "198.51.100.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}


def _app(template_db: Path, tmp_path: Path, **settings: int) -> Flask:
    path = tmp_path / "tracker.sqlite"
    shutil.copy(template_db, path)
    cfg = config_for(f"sqlite:///{path}")
    for name, value in settings.items():
        setattr(cfg, name, value)
    app = create_app(cfg)

    @app.get("/_test/where")
    def where():  # type: ignore[no-untyped-def]
        return jsonify(
            addr=request.remote_addr,
            scheme=request.scheme,
            url=url_for("public.home", _external=True),
        )

    return app


def test_behind_the_proxy_the_client_address_https_and_host_are_the_proxys_word(
    template_db, tmp_path
):
    app = _app(template_db, tmp_path, PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1)
    # nginx appends the address it saw to whatever the client sent: only that last one counts.
    answer = (
        app.test_client()
        .get(
            "/_test/where",
            headers={
                "X-Forwarded-For": "198.51.100.9, 203.0.113.7",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "tongban.example.cn",
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        .get_json()
    )
    assert answer == {
        "addr": "203.0.113.7",
        "scheme": "https",
        "url": "https://tongban.example.cn/",
    }


def test_without_proxy_settings_forged_forwarded_headers_are_ignored(template_db, tmp_path):
    app = _app(template_db, tmp_path)
    answer = (
        app.test_client()
        .get("/_test/where", headers=FORGED, environ_base={"REMOTE_ADDR": "192.0.2.5"})
        .get_json()
    )
    assert answer == {"addr": "192.0.2.5", "scheme": "http", "url": "http://localhost/"}


def test_the_login_limit_counts_the_real_client_not_a_forged_header(template_db, tmp_path):
    app = _app(template_db, tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = []
    for n in range(22):  # a fresh forged address each time: still one client
        headers = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
        data = {"login": "nobody", "password": "Wrong-Password-1"}
        statuses.append(client.post("/login", data=data, headers=headers).status_code)
    assert statuses[-1] == 429 and statuses[:20] == [200] * 20


def test_production_trusts_one_proxy_when_told():
    code = (
        "import config; p = config.ProductionConfig; "
        "print(p.PROXY_FIX_X_FOR, p.PROXY_FIX_X_PROTO, p.PROXY_FIX_X_HOST, "
        "config.Config.PROXY_FIX_X_FOR)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROXY_FIX", "TRUSTED"))}
    told = subprocess.run(  # noqa: S603 (our interpreter, fixed code)
        [sys.executable, "-c", code],
        env={**env, "TRUSTED_PROXIES": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert told.stdout.split() == ["1", "1", "1", "0"]
