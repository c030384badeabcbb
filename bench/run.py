"""Tongban benchmark (PERFORMANCE.md): the real app under gunicorn, measured with wrk.

    python bench/run.py [--cases N] [--growth] [--scenarios ceiling,track,queue,case,...]
                        [--seconds S] [--connections C] [--port P]

Builds (once) a database of N generated cases in bench/data/, serves it with the production
config and 2 sync workers on a loopback port (``--port``/``BENCH_PORT``, else a free one), and
runs each scenario with wrk after a warm-up. Prints req/s, p50, p99, non-2xx and the ratio to
the framework ceiling measured in the same run; writes bench/results/<time>-<N>.json.
``--growth`` (what ``make bench`` runs) measures N/10 cases first, then N, and prints how much
slower each scenario got. SQLite by default; set BENCH_DATABASE_URL to a PostgreSQL URL to
measure that engine instead: each size gets its own database, named after the URL's with
``_<N>`` appended, created when missing. Everything started (generator, gunicorn, wrk) is
stopped on the way out, on Ctrl-C and on SIGTERM too. Nothing here is a test: timings vary
with the machine, ratios hold.

The write path goes through the JSON API (/api/v1): ``submit`` files a case per request
(POST /cases, a fresh Idempotency-Key each, a citizen token), ``act`` accepts a different
received case per request (POST /cases/{no}/actions, an office token with its operator);
each run prepares ``--act-cases`` new received cases for it first.

The per-IP rate limiter is switched off for the server under test (all requests come from
one address); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
PASSWORD = "Bench-Tongban-2026!"
# Who the act scenario works as, and the applicant its received cases were filed for
# (bench/profile.py finds them by these).
API_OPERATOR = "bench.api"
API_APPLICANT_PHONE = "13700009999"
SCENARIOS = ("ceiling", "track", "queue", "case", "dashboard", "submit", "act")
# The write scenarios' service and office: fully online, so the receiving office decides and
# a clerk of it is offered "accept" on every new case.
WRITE_SERVICE, WRITE_OFFICE = "mi-offsite-registration", "510100-mi"


def prepare(env: dict[str, str], cases: int, today: date, act_cases: int) -> dict[str, object]:
    """Migrate, load the catalogue, generate, and make the bench's staff accounts, its API
    tokens and the received cases the ``act`` scenario accepts."""
    code = f"""
import json, sqlalchemy as sa
from flask_migrate import upgrade
from datetime import datetime, UTC, date
from tracker import create_app
from tracker.extensions import db
from tracker.models import Case, Office, User
from tracker.domain.states import Role
from tracker.services.accounts import create_user
from bench.generate import generate
app = create_app()
with app.app_context():
    upgrade()  # one process for all of it: importing the app costs seconds of CPU
    from tracker.services.catalogue import load_catalogue
    load_catalogue()
    db.session.commit()
    have = db.session.scalar(sa.select(sa.func.count(Case.id)))
    report = None
    if have == 0:
        made = generate(cases={cases}, today=date.fromisoformat("{today}"))
        report = {{"text": str(made), "cases": made.cases, "seconds": round(made.seconds, 2),
                  "cpu_seconds": round(made.cpu_seconds, 2), "cases_per_s": round(made.rate),
                  "cpu_us_per_case": round(made.cpu_seconds / made.cases * 1e6, 1),
                  "histories_replayed": made.templates,
                  "phases_s": {{k: round(v, 2) for k, v in made.phases.most_common()}}}}
    open_sql = "status IN ('accepted','processing','received','special_procedure'," \\
               "'special_procedure_ended','supplement_requested','supplemented')"
    # The queue's office: the busiest one when the dataset is new; on later runs the one the
    # bench clerk was made for (each run's act cases would otherwise move the busiest office).
    clerk = db.session.scalars(sa.select(User).where(User.username == "bench.clerk")).first()
    office_id, open_cases = db.session.execute(sa.text(
        "SELECT custody_office_id, count(*) FROM cases WHERE " + open_sql +
        (" AND custody_office_id = :o" if clerk else "") +
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"), {{"o": clerk.office_id if clerk else None}}).one()
    now = datetime.now(UTC)
    if clerk is None:
        create_user(role=Role.CLERK, real_name="压测经办", password="{PASSWORD}", now=now,
                    username="bench.clerk", office=db.session.get(Office, office_id))
    if db.session.scalar(sa.select(User.id).where(User.username == "bench.sup")) is None:
        create_user(role=Role.SUPERVISOR, real_name="压测督查", password="{PASSWORD}", now=now,
                    username="bench.sup", scope_region_code="510000")
    track = db.session.execute(sa.text(
        "SELECT tracking_number, applicant_phone_last4 FROM cases ORDER BY random() LIMIT 2000"
    )).all()
    mine = db.session.scalars(sa.text(
        "SELECT tracking_number FROM cases WHERE custody_office_id = :o ORDER BY random() "
        "LIMIT 2000"), {{"o": office_id}}).all()
    api = prepare_api(now, {act_cases}, "{WRITE_SERVICE}", "{WRITE_OFFICE}", "{PASSWORD}")
    print(json.dumps({{"generated": report, "office_id": office_id, "open_cases": open_cases,
                      "total": db.session.scalar(sa.select(sa.func.count(Case.id))),
                      "track": [list(t) for t in track], "office_cases": list(mine),
                      "api": api}}))
"""
    code = code.replace("from bench.generate import generate", API_PREPARE)
    code = code.replace("@API_OPERATOR@", API_OPERATOR)
    code = code.replace("@API_APPLICANT_PHONE@", API_APPLICANT_PHONE)
    out = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=env, check=False, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"preparing the dataset failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


API_PREPARE = """from bench.generate import generate
import random
from tracker.services import api_tokens, cases as case_ops
from tracker.services.api_tokens import TokenScope
from tracker.services.demo import demo_form_data
from tracker.services.queries import service_by_code


def prepare_api(now, act_cases, service_code, office_code, password):
    svc = service_by_code(service_code)
    office = db.session.scalars(sa.select(Office).where(Office.code == office_code)).one()
    phone = "@API_APPLICANT_PHONE@"
    person = db.session.scalars(sa.select(User).where(User.phone == phone)).one_or_none()
    if person is None:
        from tracker.services.demo import demo_resident_id
        person = create_user(role=Role.CITIZEN, real_name="压测申请人", password=password,
                             now=now, phone=phone,
                             resident_id=demo_resident_id("510104", "19900101", 999),
                             home_region_code="510100")
    operator = db.session.scalars(
        sa.select(User).where(User.username == "@API_OPERATOR@")).one_or_none()
    if operator is None:
        operator = create_user(role=Role.CLERK, real_name="压测接口经办", password=password,
                               now=now, username="@API_OPERATOR@", office=office)
    answers = {k: str(v) for k, v in demo_form_data(svc, random.Random(7)).items()}
    licences = {m.code: "EL-BENCH" for m in svc.materials if m.e_licence}
    numbers = []
    for i in range(act_cases):
        case = case_ops.submit_case(applicant=person, service=svc, receiving_office=office,
                                    competent_office=office, form_data=answers, now=now)
        numbers.append(case.tracking_number)
    citizen_token = api_tokens.create_token(name="bench submit", scope=TokenScope.CITIZEN,
                                            now=now, created_by="bench", user=person, days=2)
    office_token = api_tokens.create_token(name="bench act", scope=TokenScope.OFFICE, now=now,
                                           created_by="bench", office=office, days=2)
    body = {"service": service_code, "competent_office": office_code, "answers": answers,
            "licences": licences}
    return {"citizen_token": citizen_token.secret, "office_token": office_token.secret,
            "operator": "@API_OPERATOR@", "submit_body": body, "act_numbers": numbers}
"""


def _dataset_secret(data: Path | None = None) -> str:
    """The benchmark's SECRET_KEY, made once and kept beside the datasets (bench/data/)."""
    path = (data or DATA) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """gunicorn in its own session (a terminal's Ctrl-C reaches only us; ``stop`` ends it)."""
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(
                    f"the server exited ({server.returncode}) before answering on {port}"
                )
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()  # noqa: S310
                return server
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")
    except BaseException:  # an interrupt while it starts, too: stop it before going
        stop(server)
        raise


def stop(server: subprocess.Popen[bytes]) -> None:
    """gunicorn's master and its workers: a graceful stop, then SIGKILL to the whole group."""
    if server.poll() is None:
        server.terminate()
        # a loaded machine: gunicorn's graceful stop lags
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # workers left behind, if any
    server.wait()


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def session(base: str, username: str | None = None) -> tuple[str, str]:
    """A browser session (logged in through the real form when a username is given):
    the Cookie header and a CSRF token valid for it. Cookies are carried by hand: production
    marks them Secure, which a cookie jar would withhold over plain-HTTP loopback."""
    cookies: dict[str, str] = {}

    def fetch(path: str, data: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(
            base + path,
            data=urllib.parse.urlencode(data).encode() if data else None,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request)
        except urllib.error.HTTPError as exc:  # the 302 after a login lands here
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value
        return response.read().decode()

    if username:
        token = _token(fetch("/login"))
        fetch("/login", {"csrf_token": token, "login": username, "password": PASSWORD})
    token = _token(fetch("/track"))
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), token


def preflight(base: str, path: str, cookie: str) -> None:
    """The scenario's page answers 200 for its session: a failed login would otherwise be
    measured as fast redirects (wrk counts only 4xx/5xx as errors)."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        status = urllib.request.build_opener(_NoRedirect).open(request).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise SystemExit(f"{path} answered {status}, not 200: is the bench session logged in?")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def lua_paths(paths: list[str], cookie: str) -> str:
    items = ",".join(json.dumps(p) for p in paths)
    return (
        f"local paths = {{{items}}}\nlocal i = 0\n"
        f'wrk.headers["Cookie"] = {json.dumps(cookie)}\n'
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )


def lua_track(pairs: list[list[str]], cookie: str, token: str) -> str:
    bodies = ",".join(
        json.dumps(urllib.parse.urlencode({"csrf_token": token, "number": n, "last4": p}))
        for n, p in pairs
    )
    return (
        f"local bodies = {{{bodies}}}\nlocal i = 0\n"
        f'wrk.headers["Cookie"] = {json.dumps(cookie)}\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/track", nil, bodies[i])\nend\n'
    )


# Each wrk thread has its own Lua state: ``setup`` numbers the threads, so keys and cases
# never repeat across threads; the phase ("warm"/"run", passed after ``--``) keeps the
# warm-up's keys apart from the measured run's.
LUA_THREADS = (
    "local counter = 0\n"
    "function setup(thread)\n  thread:set('tid', counter)\n  counter = counter + 1\nend\n"
)


def lua_submit(token: str, body: dict[str, object], run: str) -> str:
    return (
        LUA_THREADS
        + f"local body = {json.dumps(json.dumps(body, ensure_ascii=False))}\n"
        + "local n = 0\nlocal prefix = ''\n"
        + f"function init(args)\n  prefix = '{run}-' .. (args[1] or 'x') .. '-' .. tid .. '-'\nend\n"
        + "request = function()\n  n = n + 1\n"
        + f"  return wrk.format('POST', '/api/v1/cases', {{['Authorization'] = 'Bearer {token}', "
        + "['Content-Type'] = 'application/json', ['Idempotency-Key'] = prefix .. n}, body)\nend\n"
    )


def lua_act(token: str, operator: str, numbers: list[str], threads: int = 2) -> str:
    """Thread ``tid`` of ``threads`` takes every threads-th number; the warm-up takes the first
    part of the list and the measured run the rest (args[1] = 'warm' or 'run')."""
    items = ",".join(json.dumps(n) for n in numbers)
    return (
        LUA_THREADS
        + f"local numbers = {{{items}}}\n"
        + "local i = 0\n"
        + "function init(args)\n"
        + "  local half = math.floor(#numbers / 4)\n"
        + "  local start = (args[1] == 'run') and half or 0\n"
        + f"  i = start + tid\n  step = {threads}\nend\n"
        + "request = function()\n  local number = numbers[(i % #numbers) + 1]\n  i = i + step\n"
        + "  return wrk.format('POST', '/api/v1/cases/' .. number .. '/actions', "
        + f"{{['Authorization'] = 'Bearer {token}', ['Tongban-Operator'] = '{operator}', "
        + "['Content-Type'] = 'application/json'}, '{\"action\": \"accept\", \"version\": 1}')\nend\n"
    )


def wrk(
    base: str, script: str, seconds: int, connections: int, warmup: int = 2
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        path = Path(tmp) / "scenario.lua"
        path.write_text(script, encoding="utf-8")
        if warmup:
            subprocess.run(
                [
                    *("wrk", "-t2", f"-c{connections}", f"-d{warmup}s"),
                    *("-s", str(path), base, "--", "warm"),
                ],
                check=True,
                capture_output=True,
            )
        out = subprocess.run(
            [
                *("wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"),
                *("-s", str(path), base, "--", "run"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    # requests that got no answer (wrk's 2 s timeout, resets) are not in the non-2xx count
    broken = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": rps,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, broken.groups())) if broken else 0,
        "requests": int(total.group(1)) if total else 0,
    }


def database_url(cases: int, data: Path) -> str:
    """SQLite: a file per size under ``data``. PostgreSQL (BENCH_DATABASE_URL): a database
    per size, ``<name>_<cases>``, created when missing."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if not given:
        return f"sqlite:///{data / f'{cases}.sqlite'}"
    import sqlalchemy as sa

    url = sa.engine.make_url(given)
    name = f"{url.database}_{cases}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            known = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not known:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def measure(args: argparse.Namespace, cases: int, wanted: list[str]) -> dict[str, Any]:
    """One size: prepare its dataset, serve it, run the scenarios, stop the server."""
    url = database_url(cases, args.data_dir)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TRACKER_CONFIG": "production",
        # Stable across runs: the dataset is generated once and reused, and its resident IDs
        # are sealed with keys derived from SECRET_KEY (docs/security.md).
        "SECRET_KEY": _dataset_secret(args.data_dir),
        "RATELIMIT_ENABLED": "0",
    }
    started = time.perf_counter()
    info = prepare(
        env, cases, date.fromisoformat(args.today), args.act_cases if "act" in wanted else 0
    )
    generated = info.get("generated")
    print(
        f"dataset: {info['total']:,} cases"
        f" ({generated['text'] if generated else 'already generated'});"  # type: ignore[index]
        f" queue office holds {info['open_cases']:,} open cases;"
        f" ready in {time.perf_counter() - started:,.0f} s",
        flush=True,
    )
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port)
    results: dict[str, dict[str, float]] = {}
    api: dict[str, Any] = info["api"]  # type: ignore[assignment]
    try:
        clerk_cookie, _ = session(base, "bench.clerk")
        sup_cookie, _ = session(base, "bench.sup")
        anon_cookie, anon_token = session(base)  # the public tracking form
        scripts = {
            "ceiling": lambda: lua_paths(["/healthz"], ""),
            "track": lambda: lua_track(info["track"], anon_cookie, anon_token),  # type: ignore[arg-type]
            "queue": lambda: lua_paths(["/clerk/"], clerk_cookie),
            "case": lambda: lua_paths(
                [f"/clerk/cases/{n}" for n in info["office_cases"]],  # type: ignore[union-attr]
                clerk_cookie,
            ),
            "dashboard": lambda: lua_paths(["/supervisor/"], sup_cookie),
            "submit": lambda: lua_submit(
                api["citizen_token"], api["submit_body"], secrets.token_hex(4)
            ),
            "act": lambda: lua_act(api["office_token"], api["operator"], api["act_numbers"]),
        }
        for name in wanted:
            first = {
                "queue": ("/clerk/", clerk_cookie),
                "dashboard": ("/supervisor/", sup_cookie),
                "case": (f"/clerk/cases/{info['office_cases'][0]}", clerk_cookie),  # type: ignore[index]
            }
            if name in first:
                preflight(base, *first[name])
            results[name] = wrk(base, scripts[name](), args.seconds, args.connections, args.warmup)
    finally:
        stop(server)
    ceiling = results.get("ceiling", {}).get("rps")
    for r in results.values():
        r["share_of_ceiling"] = round(r["rps"] / ceiling, 4) if ceiling else float("nan")
    print(
        f"\n{cases:,} cases ({url.split(':')[0]}):\n"
        f"{'scenario':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'no answer':>9} {'vs ceiling':>10}"
    )
    for name, r in results.items():
        share = f"{r['share_of_ceiling']:.0%}" if ceiling else "—"
        print(
            f"{name:10} {r['rps']:9,.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['non_2xx']:8d} {r['socket_errors']:9d} {share:>10}"
        )
    print(flush=True)
    return {
        "cases": info["total"],
        "queue_office_open_cases": info["open_cases"],
        "generated": generated,
        "results": results,
    }


def growth_table(small: dict[str, Any], large: dict[str, Any]) -> dict[str, float]:
    """Time per request at the large size over the small one (1.0: no slower with 10× data)."""
    growth = {}
    print(f"growth from {small['cases']:,} to {large['cases']:,} cases (time per request):")
    for name, r in large["results"].items():
        before = small["results"].get(name)
        if before and r["rps"]:
            growth[name] = round(before["rps"] / r["rps"], 3)
            print(
                f"  {name:10} {before['rps']:9,.0f} → {r['rps']:9,.0f} req/s   {growth[name]:.2f}×"
            )
    return growth


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every ``finally``: stops all


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 1_000_000)))
    parser.add_argument(
        "--growth", action="store_true", help="measure cases/10 first, then cases (make bench)"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BENCH_PORT", 0)),
        help="the server's loopback port (default: BENCH_PORT, else a free one)",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA, help="where datasets are kept")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--today", default="2026-11-21")
    parser.add_argument(
        "--act-cases",
        type=int,
        default=4000,
        help="received cases prepared for the act scenario (a quarter for the warm-up)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: `make wrk` installs it (as root), or apt-get install -y wrk"
        )
    wanted = args.scenarios.split(",")
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    sizes = [max(1, args.cases // 10), args.cases] if args.growth else [args.cases]
    started = time.perf_counter()
    runs = [measure(args, n, wanted) for n in sizes]
    growth = growth_table(*runs) if len(runs) == 2 else None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.results_dir / f"{stamp}-{args.cases}.json"
    out.write_text(
        json.dumps(
            {
                "date": stamp,
                "engine": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite",
                "cases": runs[-1]["cases"],
                "seconds": args.seconds,
                "connections": args.connections,
                "workers": 2,
                "runs": runs,
                "results": runs[-1]["results"],
                "growth": growth,
                "wall_seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten: {out} ({time.perf_counter() - started:,.0f} s in all)")


if __name__ == "__main__":
    main()
