"""Past one machine (issue #15 item 4, docs/deploy.md): on loopback, PostgreSQL, Redis, two
independent app servers (gunicorn with deploy/gunicorn.conf.py, production config) and two
job workers behind nginx (Debian's package, deploy/nginx/tongban.conf with a self-signed
certificate). Checked through nginx: a session started on one server works on the other;
the login limit counts in Redis across both and per real client; a periodic job runs once
with two workers; killing one app server mid-load loses no accepted write and a retried
write is not filed twice; a pg_dump of the database restores with the same rows.

Its own PostgreSQL database, Redis key prefixes and queue name, all removed afterwards.
Under CI=true it must run; elsewhere, without nginx, PostgreSQL or Redis, it is skipped.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.conftest import IN_CI, PG_ADMIN_URL, REDIS_URL, _pg_admin, config_for, prepare

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(5800, 5900)  # this test's loopback ports
SECRET = "multiserver-" + uuid.uuid4().hex  # one SECRET_KEY for both app servers
PASSWORD = "Tongban-Test-2026!"
SERVICE, OFFICE = "mi-offsite-registration", "510100-mi"


def _nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} under CI=true (.ci/run installs nginx)")
    pytest.skip(f"{reason}; the multi-server test runs under CI=true")


def _free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise AssertionError(f"no free port in {PORTS}")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls.crt", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


# ---- an HTTPS client bound to a loopback address of its choice ------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass
class Client:
    """One browser: its own source address (127.0.0.N) and cookie jar."""

    port: int
    tls: ssl.SSLContext
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.tls, timeout=30, source_address=(self.source, 0)
        )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def form(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        # A browser sends the page it posts from; over https Flask-WTF requires it.
        origin = f"https://127.0.0.1:{self.port}"
        return self.request(
            "POST",
            path,
            urlencode(data).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": origin + path,
                **(headers or {}),
            },
        )

    def csrf(self, path: str = "/login") -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path).text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)


# ---- the cluster -------------------------------------------------------------------------------


@dataclass
class Cluster:
    folder: Path
    db_url: str
    https_port: int
    http_port: int
    app_ports: dict[str, int]
    tls: ssl.SSLContext
    clerk: str
    token: str
    submit_body: dict[str, Any]
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def client(self, source: str = "127.0.0.1") -> Client:
        return Client(self.https_port, self.tls, source)

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""

    def upstreams(self, marker: str, count: int = 1) -> list[str]:
        """The app server (port) nginx sent each request whose line holds ``marker`` to.

        nginx writes a request's log line after the response has left, so a client can hold
        its answer before the line exists: wait (5 s at most) for ``count`` lines."""
        ports = {f"127.0.0.1:{p}": name for name, p in self.app_ports.items()}
        deadline = time.monotonic() + 5
        while True:
            found = []
            for line in self.log("access.log").splitlines():
                if marker in line:
                    hit = re.search(r"upstream=(\S+)", line)
                    if hit:
                        found.append(ports.get(hit.group(1).split(",")[-1].strip(), hit.group(1)))
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def kill(self, name: str) -> None:
        """SIGKILL a whole app server (its master and its workers), as a crash would."""
        proc = self.children[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _up(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def _seed(url: str) -> dict[str, Any]:
    """Migrate, load the catalogue, and make a clerk and a citizen with an API token."""
    import random

    from tests.builders import citizen, clerk
    from tracker import create_app
    from tracker.extensions import db
    from tracker.services import api_tokens
    from tracker.services.api_tokens import TokenScope
    from tracker.services.demo import demo_form_data
    from tracker.services.queries import service_by_code

    cfg = config_for(url)
    cfg.SECRET_KEY = SECRET
    app = create_app(cfg)
    prepare(app)
    with app.app_context():
        staff = clerk(OFFICE)
        person = citizen()
        token = api_tokens.create_token(
            name="multiserver",
            scope=TokenScope.CITIZEN,
            now=datetime.now(UTC),
            created_by="test",
            user=person,
            days=1,
        )
        svc = service_by_code(SERVICE)
        answers = {k: str(v) for k, v in demo_form_data(svc, random.Random(7)).items()}
        licences = {m.code: "EL-TEST" for m in svc.materials if m.e_licence}
        seeded = {
            "clerk": staff.username,
            "token": token.secret,
            "submit_body": {
                "service": SERVICE,
                "competent_office": OFFICE,
                "answers": answers,
                "licences": licences,
            },
        }
        db.session.remove()
        db.engine.dispose()
    return seeded


def _render_nginx(
    folder: Path, cert: Path, key: str, https: int, http_: int, apps: list[int]
) -> Path:
    site = (ROOT / "deploy" / "nginx" / "tongban.conf").read_text()
    values = {
        "@APP_SERVERS@": " ".join(
            f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in apps
        ),
        "@SERVER_NAME@": "localhost 127.0.0.1",
        "@HTTPS_LISTEN@": f"127.0.0.1:{https}",
        "@HTTP_LISTEN@": f"127.0.0.1:{http_}",
        "@PUBLIC_ORIGIN@": f"https://127.0.0.1:{https}",
        "@TLS_CERT@": str(cert),
        "@TLS_KEY@": key,
        "@STATIC_ROOT@": str(ROOT / "static"),
        "@ACCESS_LOG@": str(folder / "access.log"),
    }
    for name, value in values.items():
        site = site.replace(name, value)
    assert "@" not in re.sub(r"#.*", "", site), "a placeholder was left unfilled"
    (folder / "tongban.conf").write_text(site)
    temp = {n: folder / n for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    main = f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder / "tongban.conf"};
}}
"""
    conf = folder / "nginx.conf"
    conf.write_text(main)
    return conf


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    nginx = _tools()
    admin = _pg_admin()  # skips (fails under CI) when PostgreSQL is unreachable

    folder = tmp_path_factory.mktemp("multiserver")
    name = f"tongban_multi_{uuid.uuid4().hex[:10]}"
    prefix = f"tongban-multi-{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    redis_url = f"{REDIS_URL}/0"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("FLASK_", "JOBS_", "RATELIMIT", "CACHE_", "PROXY_FIX", "DATABASE_", "TRACKER_")
        )
    }
    env.update(
        TRACKER_CONFIG="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        CACHE_REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"{prefix}:cache:",
        JOBS_URL=redis_url,
        JOBS_NAME=prefix,
        TRUSTED_PROXIES="1",
        PROXY_FIX_X_PORT="1",
        API_RATE_LIMIT="100000 per minute",
        LOGIN_RATE_LIMIT="6 per minute",  # fewer failed logins (each hashes) to reach it
        NOTICE_KEYS_DIR=str(folder / "notice-keys"),
        UPLOAD_FOLDER=str(folder / "uploads"),
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
    )
    children: dict[str, subprocess.Popen[bytes]] = {}

    def start(label: str, argv: list[str], **extra: str) -> None:
        with (folder / f"{label}.log").open("ab") as out:
            children[label] = subprocess.Popen(  # noqa: S603 (fixed arguments)
                argv,
                cwd=ROOT,
                env={**env, **extra},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    late_workers: list[threading.Thread] = []
    try:
        # The app servers and nginx boot while this process migrates and seeds the database
        # (nothing reads it before the first request).
        taken: set[int] = set()
        apps = {"a": _free_port(taken), "b": _free_port(taken)}
        for label, port in apps.items():
            gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
            start(label, [*gunicorn, "wsgi:app"], BIND=f"127.0.0.1:{port}")
        https, plain = _free_port(taken), _free_port(taken)
        cert, key = _self_signed(folder)
        conf = _render_nginx(folder, cert, str(key), https, plain, list(apps.values()))
        nginx_argv = [nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
        checked = subprocess.run(  # noqa: S603
            [*nginx_argv, "-t"], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr
        start("nginx", [*nginx_argv, "-g", "daemon off;"])
        seeded = _seed(url)

        # Two job workers, started within one minute: each schedules the every-minute jobs
        # as it starts, so both hold a copy of the same slot. Late in a minute, they start
        # as the next one begins, while the other checks run.
        def start_workers() -> None:
            if datetime.now(UTC).second > 45:
                time.sleep(61 - datetime.now(UTC).second)
            for label in ("worker-a", "worker-b"):
                flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
                start(label, [*flask, "tracker", "worker", "--workers", "1"])

        late_workers.append(threading.Thread(target=start_workers))
        late_workers[0].start()
        for label, port in apps.items():
            _wait(lambda port=port: _up(port), 60, f"app server {label} on {port}")  # type: ignore[misc]
        tls = ssl.create_default_context(cafile=str(cert))
        yield Cluster(
            folder,
            url,
            https,
            plain,
            apps,
            tls,
            seeded["clerk"],
            seeded["token"],
            seeded["submit_body"],
            children,
        )
    finally:
        for thread in late_workers:
            thread.join(70)
        _remove(children, admin, name, redis_url, prefix)


def _tools() -> str:
    """nginx's path, once nginx and Redis are known to be there."""
    import redis

    nginx = _nginx()
    if nginx is None:
        _unavailable("nginx is not installed (apt-get install nginx)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    assert nginx is not None
    return nginx


def _remove(
    children: dict[str, subprocess.Popen[bytes]],
    admin: sa.Engine,
    name: str,
    redis_url: str,
    prefix: str,
) -> None:
    """Stop every process the test started, drop its database and its Redis keys."""
    import redis

    for proc in children.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    store = redis.Redis.from_url(redis_url)
    for key in store.scan_iter(match=f"*{prefix}*", count=500):
        store.delete(key)
    store.close()


# ---- the checks --------------------------------------------------------------------------------


def test_nginx_serves_tls_static_files_and_the_upload_limit(cluster):
    client = cluster.client()
    css = client.get("/static/css/tongban.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    assert "max-age=3600" in css.headers["cache-control"] and "expires" in css.headers
    assert cluster.upstreams("/static/css/tongban.css") == []  # never reached an app server
    # Plain http is sent to https.
    conn = http.client.HTTPConnection("127.0.0.1", cluster.http_port, timeout=10)
    conn.request("GET", "/track?x=1")
    moved = conn.getresponse()
    assert moved.status == 301
    assert moved.getheader("Location") == f"https://127.0.0.1:{cluster.https_port}/track?x=1"
    conn.close()
    # A body over the app's 20 MiB is refused by nginx before any app server sees it.
    conn = http.client.HTTPSConnection("127.0.0.1", cluster.https_port, context=cluster.tls)
    conn.putrequest("POST", "/api/v1/cases?too-big=1")
    conn.putheader("Content-Length", str(20 * 1024 * 1024 + 1))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
    # Behind the proxy the app knows it is served over https at the public address.
    page = client.get("/login").text()
    assert 'href="/static/css/tongban.css"' in page
    assert "secure" in client.get("/login").headers.get("set-cookie", "").lower()


def test_a_session_started_on_one_server_works_on_the_other(cluster):
    me = cluster.client("127.0.0.2")
    token = me.csrf()
    signed_in = me.form(
        "/login", {"csrf_token": token, "login": cluster.clerk, "password": PASSWORD}
    )
    assert signed_in.status in (302, 303), signed_in.text()[:300]
    assert me.get("/clerk/").status == 200  # the clerk's queue
    # A light page for the rest (signed in: 200; signed out: sent to /login).
    for n in range(4):
        page = me.get(f"/account/password?probe=session-{n}")
        assert page.status == 200, (n, page.status, page.headers.get("location"))
    served = cluster.upstreams("probe=session-", count=4)
    assert sorted(set(served)) == ["a", "b"], served
    # Signing out on one server ends the session on both.
    me.form("/logout", {"csrf_token": me.csrf("/account/password")})
    for n in range(2):
        assert me.get(f"/account/password?probe=out-{n}").status in (302, 303)
    assert sorted(set(cluster.upstreams("probe=out-", count=2))) == ["a", "b"]


def test_the_login_limit_is_shared_by_both_servers_and_counts_the_real_client(cluster):
    attacker = cluster.client("127.0.0.3")
    token = attacker.csrf()
    statuses = []
    for n in range(8):
        wrong = {"csrf_token": token, "login": "nobody", "password": "Wrong-Password-1"}
        # A forged X-Forwarded-For changes nothing: nginx appends the address it saw.
        forged = {"X-Forwarded-For": f"10.0.0.{n}"}
        statuses.append(attacker.form(f"/login?probe=limit-{n}", wrong, forged).status)
    # Six a minute: the seventh is the first 429, whichever server counted the first six.
    assert statuses == [200] * 6 + [429, 429], statuses
    assert sorted(set(cluster.upstreams("probe=limit-", count=8))) == ["a", "b"]
    # Another client, same nginx: its own counter (the app sees the client, not the proxy).
    other = cluster.client("127.0.0.4")
    assert (
        other.form("/login", {"csrf_token": other.csrf(), "login": "x", "password": "y"}).status
        == 200
    )


def test_a_periodic_job_runs_once_with_two_workers(cluster):
    def outbox() -> tuple[int, int]:
        text = cluster.log("worker-a.log") + cluster.log("worker-b.log")
        ran = len(re.findall(r"job run_outbox: ", text))
        skipped = len(re.findall(r"periodic outbox \S+: already run by another worker", text))
        return ran, skipped

    _wait(lambda: sum(outbox()) >= 2, 40, "both workers' periodic outbox runs")
    assert outbox() == (1, 1), (
        cluster.log("worker-a.log")[-2000:] + cluster.log("worker-b.log")[-2000:]
    )


@dataclass
class Write:
    key: str
    answers: list[tuple[int, str | None]] = field(default_factory=list)

    def accepted(self) -> set[str]:
        return {number for status, number in self.answers if 200 <= status < 300 and number}


def _file(cluster: Cluster, write: Write, deadline: float) -> None:
    """Send one submission until it is answered 2xx (retrying with the same key)."""
    client = cluster.client()
    body = json.dumps(cluster.submit_body).encode()
    headers = {
        "Authorization": f"Bearer {cluster.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": write.key,
    }
    while time.monotonic() < deadline:
        try:
            answer = client.request("POST", "/api/v1/cases", body, headers)
        except OSError:
            write.answers.append((0, None))
            time.sleep(0.1)
            continue
        number = None
        if answer.status < 300:
            number = json.loads(answer.body).get("tracking_number")
        write.answers.append((answer.status, number))
        if answer.status < 300:
            return
        if 400 <= answer.status < 500 and answer.status != 409:
            raise AssertionError(f"write refused: {answer.status} {answer.text()[:300]}")
        if answer.status == 409 and [a for a, _ in write.answers].count(409) >= 2:
            return  # the dead server's claim on the key: in doubt for STALE_AFTER (5 min)
        time.sleep(0.1)  # 502: the server died with it, retry on the survivor


def test_killing_one_app_server_mid_load_loses_no_accepted_write(cluster):
    writes = [Write(f"multi-{uuid.uuid4()}") for _ in range(36)]
    queue = list(writes)
    lock = threading.Lock()
    done = threading.Event()
    deadline = time.monotonic() + 30

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                write = queue.pop(0)
            _file(cluster, write, deadline)
            with lock:
                if sum(1 for w in writes if w.accepted()) >= 10:
                    done.set()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    assert done.wait(30), "no writes accepted before the kill"
    cluster.kill("a")  # mid-burst: requests are in flight on it
    killed_at = sum(len(w.answers) for w in writes)
    for t in threads:
        t.join(40)
    assert sum(len(w.answers) for w in writes) > killed_at  # the load went on after the kill

    accepted = {w.key: w.accepted() for w in writes}
    # One case per key, whatever the retries: every 2xx for a key names the same case.
    assert all(len(numbers) <= 1 for numbers in accepted.values()), accepted
    engine = sa.create_engine(cluster.db_url)
    try:
        with engine.connect() as conn:
            stored = set(conn.execute(sa.text("SELECT tracking_number FROM cases")).scalars())
    finally:
        engine.dispose()
    numbers = set().union(*accepted.values())
    assert numbers <= stored, numbers - stored  # every accepted write is in the database
    # Nothing filed twice: besides the accepted ones, at most one case per unanswered key
    # (a server killed after its commit, before its answer; its key answers 409 for a while).
    unanswered = [w for w in writes if not w.accepted()]
    assert len(stored - numbers) <= len(unanswered), (len(stored), len(numbers), unanswered)
    assert len(numbers) >= len(writes) - 6  # at most one write per client thread in doubt
    # The survivor served the writes after the kill.
    assert "b" in cluster.upstreams("POST /api/v1/cases")


def test_a_backup_restores_into_a_new_database_with_the_same_rows(cluster, tmp_path):
    dump = tmp_path / "tongban.dump"
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    source = cluster.db_url.rsplit("/", 1)[1]
    target = f"{source}_restored"
    subprocess.run(["pg_dump", *pg, "-Fc", "-f", str(dump), source], check=True)  # noqa: S603,S607
    subprocess.run(["createdb", *pg, target], check=True)  # noqa: S603,S607
    base = cluster.db_url.rsplit("/", 1)[0]
    try:
        restore = ["pg_restore", *pg, "--no-owner", "--exit-on-error", "-d", target, str(dump)]
        subprocess.run(restore, check=True)  # noqa: S603
        counts = {}
        for db_name in (source, target):
            engine = sa.create_engine(f"{base}/{db_name}")
            with engine.connect() as conn:
                tables = conn.execute(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                ).scalars()
                counts[db_name] = {
                    t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in sorted(tables)
                }
            engine.dispose()
        assert counts[source]["cases"] > 0 and counts[source]["alembic_version"] == 1
        assert counts[target] == counts[source]
    finally:
        dropdb = ["dropdb", *pg, "--if-exists", "--force", target]
        subprocess.run(dropdb, check=False)  # noqa: S603,S607
