"""Background jobs on Huey (docs/jobs.md): one queue, its tasks, and what wakes them.

``init_jobs(app)`` builds the app's Huey from ``JOBS_URL``:

- unset or ``sqlite:///path``: ``SqliteHuey`` in ``instance/jobs.sqlite`` (no extra server;
  a file of its own, beside the main database);
- ``redis://host:port/db``: ``RedisHuey`` (several machines share the work; ``JOBS_NAME``
  keeps apart several installations on one Redis);
- ``memory://``: ``MemoryHuey`` (tests: nothing is consumed unless a test says so).

The source of truth is always a database row (outbox messages, webhook deliveries, cases):
a job only triggers the processing of what the rows say is pending, so a worker killed
mid-job loses nothing, and the periodic catch-up finds whatever was left.

Every task runs inside an app context of the app the worker built once. Periodic tasks are
scheduled by every consumer that runs with periodic tasks on; each run first claims its
*slot* (task name and scheduled minute) in the queue's storage with ``put_if_empty``, so a
slot runs once however many consumers enqueued it (``SlotClaimingHuey``).

A commit wakes a job only when no woken run of it waits in the queue already (``wake_flag``):
a burst of commits queues one run, which reads every row pending when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy.orm import Session

log = logging.getLogger("tracker.jobs")
EXTENSION = "tongban_jobs"
SLOT_PREFIX = "periodic-slot"
SLOT_KEEP = timedelta(minutes=10)  # a consumer enqueues for the current minute only


def wake_flag(name: str) -> str:
    """Set while a woken run of ``name`` waits in the queue (cleared as it starts)."""
    return f"wake-queued:{name}"


class SlotClaimingHuey(Huey):
    """Periodic tasks carry the minute they were scheduled for (``slot``)."""

    def read_periodic(self, timestamp: datetime | None) -> list[Any]:
        moment = timestamp if timestamp is not None else self._get_timestamp()
        slot = moment.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")
        tasks = super().read_periodic(moment)
        for task in tasks:
            task.kwargs = {"slot": slot}
        return tasks

    def claim_slot(self, name: str, slot: str) -> bool:
        """True for the first run of ``name`` in ``slot``, False for every other."""
        won = bool(self.put_if_empty(f"{SLOT_PREFIX}:{name}:{slot}", "1"))
        if won:  # forget an old slot of this task (no consumer schedules it any more)
            old = datetime.strptime(slot, "%Y-%m-%dT%H:%M") - SLOT_KEEP
            self.delete(f"{SLOT_PREFIX}:{name}:{old:%Y-%m-%dT%H:%M}")
        return won


class TongbanSqliteHuey(SlotClaimingHuey, SqliteHuey):
    pass


class TongbanRedisHuey(SlotClaimingHuey, RedisHuey):
    pass


class TongbanMemoryHuey(SlotClaimingHuey, MemoryHuey):
    pass


def make_huey(url: str | None, name: str, instance_path: str) -> SlotClaimingHuey:
    url = (url or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return TongbanRedisHuey(name=name, url=url, utc=True)
    if url == "memory://":
        return TongbanMemoryHuey(name=name, utc=True)
    if url and not url.startswith("sqlite:///"):
        raise ValueError(
            f"JOBS_URL {url!r}: use sqlite:///path, redis://host:port/db or memory:// "
            "(Huey has no RabbitMQ backend; Redis is the multi-machine option)"
        )
    filename = url[len("sqlite:///") :] if url else str(Path(instance_path) / "jobs.sqlite")
    return TongbanSqliteHuey(name=name, filename=filename, utc=True)


class Jobs:
    """The app's queue and its tasks (``app.extensions["tongban_jobs"]``)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = make_huey(
            app.config.get("JOBS_URL"), app.config.get("JOBS_NAME", "tongban"), app.instance_path
        )
        self.tasks: dict[str, Any] = {}
        self.periodic: dict[str, Any] = {}
        self._define()

    # -- wrapping -------------------------------------------------------------------------

    def _in_app(self, func: Callable[[], str]) -> Callable[[], str]:
        app = self.app

        def run() -> str:
            with app.app_context():
                result = func()
            log.info("job %s: %s", func.__name__, result)
            return result

        run.__name__ = func.__name__
        return run

    def _task(self, name: str, func: Callable[[], str]) -> None:
        run = self._in_app(func)
        huey = self.huey

        def woken() -> str:
            huey.delete(wake_flag(name))  # commits from now on may queue the next run
            return run()

        woken.__name__ = func.__name__
        self.tasks[name] = huey.task(name=name)(woken)

    def _periodic(
        self, name: str, schedule: Callable[[datetime], bool], func: Callable[[], str]
    ) -> None:
        run = self._in_app(func)
        huey = self.huey

        def once_per_slot(slot: str | None = None) -> str:
            if slot is not None and not huey.claim_slot(name, slot):
                log.info("periodic %s %s: already run by another worker", name, slot)
                return "skipped (another worker ran this slot)"
            huey.delete(wake_flag(name))  # a flag left by a dead worker lasts a minute at most
            return run()

        self.periodic[name] = huey.periodic_task(schedule, name=f"periodic.{name}")(once_per_slot)

    # -- the jobs ---------------------------------------------------------------------------

    def _define(self) -> None:
        self._task("webhooks", run_webhooks)
        self._task("outbox", run_outbox)
        self._task("sweep", run_sweep)
        self._task("rollup", run_rollup)
        self._task("sweep_uploads", run_sweep_uploads)
        self._task("retention", run_retention)
        # Catch-up of the outboxes every minute (a trigger lost with a crashed process, and
        # retries that came due); the sweep hourly; the heavy recounts at night (UTC times:
        # 19:30 and 20:00 UTC are 03:30 and 04:00 in Beijing).
        self._periodic("webhooks", crontab(minute="*"), run_webhooks)
        self._periodic("outbox", crontab(minute="*"), run_outbox)
        self._periodic("sweep", crontab(minute="5"), run_sweep)
        self._periodic("rollup", crontab(minute="30", hour="19"), run_rollup)
        self._periodic("sweep_uploads", crontab(minute="0", hour="20"), run_sweep_uploads)
        self._periodic("retention", crontab(minute="15", hour="20"), run_retention)

    def enqueue(self, name: str) -> Any:
        return self.tasks[name]()

    def wake(self, names: set[str]) -> None:
        """Trigger the processing of rows a commit just wrote; a failure here loses nothing
        (the periodic catch-up finds the rows), so it is logged, never raised."""
        for name in sorted(names):
            try:
                # One run waiting is enough: a burst of commits (a bulk move, the demo seed)
                # queues one job, which reads every pending row when it starts.
                if self.huey.put_if_empty(wake_flag(name), "1"):
                    self.enqueue(name)
            except Exception:
                log.exception("could not enqueue %s (the periodic catch-up will do it)", name)

    def consumer(self, workers: int = 2, periodic: bool = True, worker_type: str = "thread") -> Any:
        return self.huey.create_consumer(
            workers=workers,
            periodic=periodic,
            worker_type=worker_type,
            check_worker_health=True,
            max_delay=2.0,
        )


# ---- what each job does (the CLI commands call the same services) ------------------------


def webhook_policy(config: Any) -> Any:
    from .services.webhooks import Policy

    hosts = config.get("WEBHOOK_ALLOWED_HOSTS") or ()
    if isinstance(hosts, str):
        hosts = [h for h in hosts.split(",") if h.strip()]
    return Policy(
        allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE")),
        allowed_hosts=frozenset(h.strip().lower() for h in hosts),
        timeout=float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10)),
        claim_seconds=float(config.get("WEBHOOK_CLAIM_SECONDS", 60)),
    )


def run_webhooks() -> str:
    from .services.webhooks import deliver_due

    return f"webhooks: {deliver_due(webhook_policy(current_app.config))}"


def run_outbox() -> str:
    from .services.outbox import deliver_pending, senders_for

    sent, failed = deliver_pending(senders_for(current_app.config), datetime.now(UTC))
    return f"outbox: {sent} sent, {failed} failed"


def run_sweep() -> str:
    from .services.office import sweep

    report = sweep(
        datetime.now(UTC), limit_days=current_app.config["ACCEPTANCE_LIMIT_WORKING_DAYS"]
    )
    return f"sweep: {report}"


def run_rollup() -> str:
    from .services.rollup import rebuild

    return f"rollup: {rebuild()} counter rows rebuilt from the event history"


def run_sweep_uploads() -> str:
    from .services.uploads import sweep_orphans

    hours = int(current_app.config.get("UPLOAD_SWEEP_HOURS", 24))
    removed = sweep_orphans(
        Path(current_app.config["UPLOAD_FOLDER"]),
        older_than=timedelta(hours=hours),
        now=datetime.now(UTC),
    )
    return f"uploads: {len(removed)} orphaned files removed"


def run_retention() -> str:
    from .services.retention import policy_from, prune

    return f"retention: {prune(policy_from(current_app.config), datetime.now(UTC))}"


# ---- the app's side ---------------------------------------------------------------------


def jobs_of(app: Flask | None = None) -> Jobs:
    jobs: Jobs = (app or current_app).extensions[EXTENSION]
    return jobs


def _after_commit(session: Session) -> None:
    from .services.webhooks import WAKE_KEY

    names = session.info.pop(WAKE_KEY, None)
    if names and has_app_context() and EXTENSION in current_app.extensions:
        jobs_of().wake(set(names))


def _after_rollback(session: Session) -> None:
    from .services.webhooks import WAKE_KEY

    session.info.pop(WAKE_KEY, None)


_listening = False


def init_jobs(app: Flask) -> Jobs:
    global _listening
    jobs = Jobs(app)
    app.extensions[EXTENSION] = jobs
    if not _listening:  # one listener per process, for every app's sessions
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)
        _listening = True
    return jobs
