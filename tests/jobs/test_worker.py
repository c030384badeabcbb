"""The job queue for real: Huey's immediate mode for the functions, real consumer processes on
SQLite and on Redis storage, a worker killed mid-delivery, two workers and one periodic run,
and the ``make run`` launcher."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.request
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from tests.builders import NOW, citizen, office, submit
from tests.jobs.conftest import free_port, wait_for
from tests.webhook_receiver import receiver
from tracker.extensions import db
from tracker.jobs import jobs_of
from tracker.models import OutboxMessage, WebhookAttempt, WebhookDelivery
from tracker.services import webhooks
from tracker.services.webhooks import Policy


def add_endpoint(url: str, events: tuple[str, ...] = ("submit",)) -> str:
    _, secret = webhooks.register_endpoint(
        office("500112-hf").id,
        url,
        list(events),
        created_by=None,
        created_by_name="test",
        now=NOW,
        policy=Policy(allow_private=True),
    )
    return secret


def file_case():  # type: ignore[no-untyped-def]
    return submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_immediate_mode_a_commit_wakes_the_jobs_that_send_what_it_wrote(app):
    jobs = jobs_of(app)
    jobs.huey.immediate = True
    try:
        with receiver() as rx:
            secret = add_endpoint(rx.url)
            case = file_case()  # its commit enqueues "webhooks" and "outbox": run at once
            assert len(rx.accepted_ids()) == 1
    finally:
        jobs.huey.immediate = False
    body = Webhook(secret).verify(rx.requests[0].body, rx.requests[0].headers)
    assert body["data"]["tracking_number"] == case.tracking_number
    assert [d.status for d in deliveries()] == ["delivered"]
    states = db.session.scalars(sa.select(OutboxMessage.state)).all()
    assert states and set(states) == {"sent"}


def test_immediate_mode_runs_each_job_like_its_cli_command(app):
    jobs = jobs_of(app)
    jobs.huey.immediate = True
    try:
        results = {name: jobs.enqueue(name)() for name in jobs.tasks}
    finally:
        jobs.huey.immediate = False
    assert results["outbox"] == "outbox: 0 sent, 0 failed"
    assert results["sweep"].startswith("sweep: 0 deemed accepted")
    assert results["rollup"].startswith("rollup: ")
    assert results["sweep_uploads"] == "uploads: 0 orphaned files removed"
    assert results["webhooks"].startswith("webhooks: 0 delivered")
    assert results["retention"].startswith("retention: notifications 0")


@pytest.mark.parametrize("stack_app", ["sqlite_stack", "redis_stack"], indirect=True)
def test_a_real_worker_delivers_what_a_commit_wrote(stack_app):
    stack, app = stack_app
    worker = stack.worker()
    wait_for(lambda: "worker:" in stack.log(), 30, "the worker to start")
    with receiver() as rx:
        secret = add_endpoint(rx.url)
        case = file_case()
        wait_for(rx.accepted_ids, 30, f"the delivery (worker log:\n{stack.log()})")
    assert worker.poll() is None
    payload = Webhook(secret).verify(rx.requests[0].body, rx.requests[0].headers)
    assert payload["data"]["tracking_number"] == case.tracking_number
    wait_for(lambda: [d.status for d in deliveries()] == ["delivered"], 10, "the record")
    # The SMS/e-mail notice of the same commit went out through the same worker.
    wait_for(
        lambda: (
            set(db.session.scalars(sa.select(OutboxMessage.state))) == {"sent"}
            or db.session.rollback()
        ),
        10,
        "the outbox",
    )
    expected = "RedisHuey" if stack.jobs_url.startswith("redis") else "SqliteHuey"
    assert expected in stack.log()


@pytest.mark.parametrize("stack_app", ["sqlite_stack"], indirect=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_it_once(stack_app):
    stack, app = stack_app
    first = stack.worker("first.log")
    wait_for(lambda: "worker:" in stack.log("first.log"), 30, "the worker to start")
    with receiver(["timeout"], hold_seconds=4) as rx:
        add_endpoint(rx.url)
        file_case()
        wait_for(rx.ids, 30, "the worker's POST")  # the worker now waits for an answer
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        (delivery,) = deliveries()
        assert delivery.status == "pending" and delivery.claimed_until is not None
        assert delivery.attempts == 1
        assert db.session.scalar(sa.select(sa.func.count(WebhookAttempt.id))) == 0
        # A new worker; once the dead worker's claim has run out, the catch-up sends it again.
        stack.worker("second.log")
        wait_for(lambda: "worker:" in stack.log("second.log"), 30, "the second worker")
        wait_for(lambda: datetime.now(UTC) > delivery.claimed_until, 15, "the claim to run out")
        jobs_of(app).enqueue("webhooks")
        wait_for(rx.accepted_ids, 30, f"the resend (log:\n{stack.log('second.log')})")
        time.sleep(1)  # anything sent twice would have arrived by now
    (delivery,) = deliveries()
    assert delivery.status == "delivered"
    assert rx.ids() == [delivery.message_id, delivery.message_id]  # the same id both times
    assert rx.accepted_ids() == [delivery.message_id]
    attempts = db.session.scalars(sa.select(WebhookAttempt.status_code)).all()
    assert attempts == [200]


@pytest.mark.parametrize("stack_app", ["sqlite_stack"], indirect=True)
def test_two_workers_run_a_periodic_job_once_per_slot(stack_app):
    stack, app = stack_app
    # Both workers schedule the every-minute jobs as they start: start them in one minute.
    if datetime.now(UTC).second > 40:
        time.sleep(62 - datetime.now(UTC).second)
    stack.worker("a.log")
    stack.worker("b.log")

    def outbox_lines() -> tuple[int, int]:
        text = stack.log("a.log") + stack.log("b.log")
        ran = len(re.findall(r"job run_outbox: ", text))
        skipped = len(re.findall(r"periodic outbox \S+: already run by another worker", text))
        return ran, skipped

    wait_for(lambda: sum(outbox_lines()) >= 2, 40, "both workers' periodic outbox runs")
    assert outbox_lines() == (1, 1)


@pytest.mark.parametrize("stack_app", ["sqlite_stack"], indirect=True)
def test_the_run_launcher_serves_works_and_stops_both_on_ctrl_c(stack_app):
    stack, app = stack_app
    port = free_port()
    launcher = stack.start("tracker", "serve", "--port", str(port), "--workers", "1", log="run.log")

    def pids() -> dict[str, int] | None:
        found = dict(re.findall(r"(web|worker): pid (\d+)", stack.log("run.log")))
        return {k: int(v) for k, v in found.items()} if len(found) == 2 else None

    children = wait_for(pids, 30, "the launcher to start both")
    assert isinstance(children, dict)

    def healthz() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:  # noqa: S310
                return bool(r.status == 200)
        except OSError:
            return False

    wait_for(healthz, 30, f"/healthz on port {port}")
    wait_for(lambda: "worker:" in stack.log("run.log"), 30, "the worker's start line")
    for pid in children.values():
        os.kill(pid, 0)  # both alive
    os.kill(launcher.pid, signal.SIGINT)
    assert launcher.wait(30) == 0 or launcher.returncode is not None
    for pid in children.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert "web server and worker stopped" in stack.log("run.log")
    assert not healthz()
