"""In-process cost of the benchmark's pages: ms per request, SQL statements, HTML size.

    python -m bench.profile --cases 100000 [--pages queue,case,track,dashboard] [--n 50]
    python -m bench.profile --cases 100000 --pages queue --pyinstrument   # where the time goes

Runs the production configuration through Flask's test client against the dataset that
``bench/run.py --cases N`` made in bench/data/ (run that first), logged in as its bench
accounts. No server, no network: the figure is the page's own cost on one core, which is
what a worker spends per request. ``cpu ms`` (the process's CPU time, median) is the figure
to compare on a shared machine; wall-clock includes waiting for a core. Nothing here is a
test. ``BENCH_SQL=1`` lists each page's statements; ``--plans`` prints each statement's query
plan as the page issued it (bound values included): ``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN`` on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PASSWORD = "Bench-Tongban-2026!"
BASE = "https://localhost"  # production cookies are Secure


def _app(cases: int) -> Any:
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DATA / f'{cases}.sqlite'}",
    )
    os.environ["TRACKER_CONFIG"] = "production"
    os.environ["SECRET_KEY"] = (DATA / "secret_key").read_text(encoding="ascii").strip()
    os.environ["RATELIMIT_ENABLED"] = "0"
    sys.path.insert(0, str(ROOT))
    from tracker import create_app

    return create_app()


def _login(client: Any, username: str) -> None:
    import re

    page = client.get("/login", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/login",
        data={"csrf_token": token, "login": username, "password": PASSWORD},
        base_url=BASE,
        headers={"Referer": BASE + "/login"},  # Flask-WTF's strict referrer check on HTTPS
    )
    assert answer.status_code in (302, 303), answer.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--pages", default="queue,case,track,dashboard")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--plans", action="store_true", help="each statement's query plan")
    parser.add_argument(
        "--cprofile", action="store_true", help="the functions with the most own time (cProfile)"
    )
    args = parser.parse_args()

    app = _app(args.cases)
    import sqlalchemy as sa

    from tracker.extensions import db

    bound: list[tuple[str, Any]] = []  # each statement a page issued, with its values

    def _seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        bound.append((statement, parameters))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", _seen)
        row = db.session.execute(
            sa.text(
                "SELECT c.tracking_number, c.applicant_phone_last4 FROM cases c "
                "JOIN users u ON u.office_id = c.custody_office_id "
                "WHERE u.username = 'bench.clerk' ORDER BY c.id LIMIT 1"
            )
        ).one()
    number, last4 = row
    clerk, sup, anon = app.test_client(), app.test_client(), app.test_client()
    _login(clerk, "bench.clerk")
    _login(sup, "bench.sup")
    import re

    track_page = anon.get("/track", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', track_page).group(1)  # type: ignore[union-attr]
    pages: dict[str, Any] = {
        "queue": lambda: clerk.get("/clerk/", base_url=BASE),
        "case": lambda: clerk.get(f"/clerk/cases/{number}", base_url=BASE),
        "track": lambda: anon.post(
            "/track",
            data={"csrf_token": token, "number": number, "last4": last4},
            base_url=BASE,
            headers={"Referer": BASE + "/track"},
        ),
        "dashboard": lambda: sup.get("/supervisor/", base_url=BASE),
    }
    if "act" in args.pages.split(","):
        pages["act"] = _accepter(app, anon)
    print(f"{'page':10} {'cpu ms':>8} {'min cpu':>8} {'wall ms':>8} {'queries':>8} {'KB':>6}")
    for name in args.pages.split(","):
        fetch = pages[name]
        for _ in range(3):  # warm-up
            answer = fetch()
            assert answer.status_code == 200, (name, answer.status_code, answer.get_data()[:300])
        times, cpu = [], []
        bound.clear()
        for _ in range(args.n):
            started, started_cpu = time.perf_counter(), time.process_time()
            answer = fetch()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries = len(bound) / args.n
        size = len(answer.get_data()) / 1024
        print(
            f"{name:10} {statistics.median(cpu):8.1f} {min(cpu):8.1f} "
            f"{statistics.median(times):8.1f} {queries:8.1f} "
            f"{size:6.1f}"
        )
        if os.environ.get("BENCH_SQL"):
            for statement, _values in bound[: int(queries)]:
                print("   ", " ".join(statement.split())[:160])
        _extras(args, app, fetch, bound[: int(queries)])


def _accepter(app: Any, client: Any) -> Any:
    """``act``: accept a received case of the bench API operator's office through the API,
    a different one per call (the cases ``bench/run.py`` filed for its act scenario)."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from bench.run import API_APPLICANT_PHONE, API_OPERATOR
    from tracker.extensions import db
    from tracker.models import Office, User
    from tracker.services import api_tokens
    from tracker.services.api_tokens import TokenScope

    with app.app_context():
        operator = db.session.scalars(sa.select(User).where(User.username == API_OPERATOR)).one()
        office = db.session.get_one(Office, operator.office_id)
        secret = api_tokens.create_token(
            name="profile act",
            scope=TokenScope.OFFICE,
            now=datetime.now(UTC),
            created_by="bench.profile",
            office=office,
            days=1,
        ).secret
        numbers = list(
            db.session.scalars(
                sa.text(
                    "SELECT c.tracking_number FROM cases c JOIN users u ON u.id = c.applicant_id "
                    "WHERE c.custody_office_id = :o AND c.status = 'received' "
                    "AND c.version = 1 AND u.phone = :phone ORDER BY c.id DESC"
                ),
                {"o": office.id, "phone": API_APPLICANT_PHONE},
            )
        )
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}", "Tongban-Operator": API_OPERATOR}

    def accept() -> Any:
        if not numbers:
            raise SystemExit("no received case left to accept: run bench/run.py with act again")
        return client.post(
            f"/api/v1/cases/{numbers.pop()}/actions",
            json={"action": "accept", "version": 1},
            headers=headers,
            base_url=BASE,
        )

    return accept


def _extras(args: Any, app: Any, fetch: Any, bound: list[tuple[str, Any]]) -> None:
    """What else was asked for a page: its plans, where its time goes."""
    if args.plans:
        _plans(app, bound)
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.n):
            fetch()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            fetch()
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("tottime")
        stats.print_stats(25)
        if os.environ.get("BENCH_CALLERS"):
            stats.print_callers(os.environ["BENCH_CALLERS"])


def _plans(app: Any, bound: list[tuple[str, Any]]) -> None:
    """Print the plan of each SELECT a page issued, with the values it was issued with."""
    from tracker.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            sqlite = db.engine.dialect.name == "sqlite"
            for statement, parameters in bound:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                print("SQL:", " ".join(statement.split())[:300])
                cursor.execute(
                    ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters
                )
                for row in cursor.fetchall():
                    print("   ", row[-1] if sqlite else row[0])
        finally:
            raw.close()


if __name__ == "__main__":
    main()
