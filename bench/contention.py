"""Write contention on PostgreSQL: do concurrent submissions queue behind the rollup rows?

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/tongban_bench_10000 \\
        python -m bench.contention [--processes 16] [--each 15]

(a database ``bench/run.py`` prepared: catalogue, generated cases, its bench accounts.)
Forks ``--processes`` workers that each file ``--each`` cases through the services (the call
the API's POST /cases makes, one transaction per case), all at once, first all into one
office of Sichuan (``one``), then each worker into an office of its own region, across both
provinces (``spread``), then with one worker (``serial``). Meanwhile it samples
pg_stat_activity every 5 ms and counts, among the workers' backends that are running a
statement, those waiting on a lock, and on which statement. If the area-rollup rows made
submissions queue, ``one`` would show lock waits on ``area_rollups`` and a throughput no
better than ``serial``. Nothing here is a test; figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

WRITE_SERVICE, WRITE_OFFICE = "mi-offsite-registration", "510100-mi"


def _worker(office_code: str, each: int, barrier: Any, out: Any) -> None:
    from tracker.extensions import db
    from tracker.models import Office, User
    from tracker.services import cases as case_ops
    from tracker.services.demo import demo_form_data
    from tracker.services.queries import service_by_code

    db.engine.dispose(close=False)  # forked: never share the parent's connections
    svc = service_by_code(WRITE_SERVICE)
    office = db.session.scalars(sa.select(Office).where(Office.code == office_code)).one()
    person = db.session.scalars(sa.select(User).where(User.phone == "13700009999")).one()
    answers = {k: str(v) for k, v in demo_form_data(svc, random.Random(7)).items()}
    licences = {m.code: "EL-BENCH" for m in svc.materials if m.e_licence}
    db.session.commit()
    barrier.wait()
    took = []
    for _ in range(each):
        started = time.perf_counter()
        case_ops.submit_case(
            applicant=person,
            service=svc,
            receiving_office=office,
            competent_office=office,
            form_data=answers,
            now=datetime.now(UTC),
            licences=licences,
        )
        took.append(time.perf_counter() - started)
    out.put(took)


def _sample(url: str, stop: threading.Event, pids: set[int], seen: Counter[str]) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        while not stop.is_set():
            rows = conn.execute(
                sa.text(
                    "SELECT pid, wait_event_type, left(query, 60) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND state = 'active' "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).all()
            conn.commit()
            seen["ticks"] += 1
            for pid, wait, query in rows:
                pids.add(pid)
                seen["active"] += 1
                if wait == "Lock":
                    seen["lock"] += 1
                    seen["lock: " + " ".join(query.split())] += 1
            time.sleep(0.005)
    engine.dispose()


def run(url: str, offices: list[str], each: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(len(offices) + 1), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(o, each, barrier, out)) for o in offices]
    for w in workers:
        w.start()
    stop, pids, seen = threading.Event(), set[int](), Counter[str]()
    sampler = threading.Thread(target=_sample, args=(url, stop, pids, seen))
    sampler.start()
    try:
        barrier.wait(timeout=300)
        started = time.perf_counter()
        took = [t for _ in workers for t in out.get(timeout=600)]
        wall = time.perf_counter() - started
    finally:
        stop.set()
        sampler.join()
        for w in workers:
            w.join(30)
            if w.is_alive():
                w.kill()
    took.sort()
    return {
        "processes": len(offices),
        "cases": len(took),
        "per_s": len(took) / wall,
        "p50_ms": 1000 * took[len(took) // 2],
        "p99_ms": 1000 * took[min(len(took) - 1, int(len(took) * 0.99))],
        "active_samples": seen["active"],
        "lock_wait_share": seen["lock"] / seen["active"] if seen["active"] else 0.0,
        # Of the workers' whole time (every sample × every worker, idle-in-transaction and
        # Python time included), the share spent waiting on a lock: comparable across loads.
        "time_waiting": seen["lock"] / (seen["ticks"] * len(offices)) if seen["ticks"] else 0.0,
        "waits": {k[6:]: n for k, n in seen.most_common() if k.startswith("lock: ")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--each", type=int, default=15)
    args = parser.parse_args()
    url = os.environ["BENCH_DATABASE_URL"]
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TRACKER_CONFIG", "production")
    from bench.run import _dataset_secret  # the key bench/run.py sealed the dataset with

    os.environ["SECRET_KEY"] = _dataset_secret()
    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import Office
    from tracker.services.queries import service_by_code

    app = create_app()
    with app.app_context():
        dept = service_by_code(WRITE_SERVICE).competent_department_code  # type: ignore[union-attr]
        regional = db.session.execute(
            sa.select(Office.code, Office.region_code)
            .where(Office.department_code == dept, Office.active)
            .order_by(Office.region_code)
        ).all()
        db.session.commit()
        by_province: dict[str, list[str]] = {}
        for code, region in regional:
            by_province.setdefault(region[:2], []).append(code)
        provinces = sorted(by_province)
        spread = [
            by_province[provinces[i % len(provinces)]][
                i // len(provinces) % len(by_province[provinces[i % len(provinces)]])
            ]
            for i in range(args.processes)
        ]
        modes = {
            "one": [WRITE_OFFICE] * args.processes,
            "spread": spread,
            "serial": [WRITE_OFFICE],
        }
        for mode, offices in modes.items():
            each = args.each if mode != "serial" else args.each * 4
            r = run(url, offices, each)
            print(
                f"{mode:7} {r['processes']:2} processes, {r['cases']:4} cases: "
                f"{r['per_s']:6.1f}/s, p50 {r['p50_ms']:6.1f} ms, p99 {r['p99_ms']:7.1f} ms; "
                f"lock waits in {r['lock_wait_share']:.1%} of {r['active_samples']} samples "
                f"of running statements, {r['time_waiting']:.1%} of the workers' time "
                f"{dict(list(r['waits'].items())[:3])}",
                flush=True,
            )


if __name__ == "__main__":
    main()
