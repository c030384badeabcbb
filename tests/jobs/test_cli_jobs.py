"""The operator's commands for jobs and webhooks: add/list/disable an endpoint, --enqueue
leaves the work to the worker, without it the command does the work itself."""

from __future__ import annotations

import re

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from tests.builders import citizen, submit
from tests.webhook_receiver import receiver
from tracker.extensions import db
from tracker.jobs import jobs_of
from tracker.models import OutboxMessage, WebhookEndpoint


def run(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


def test_webhook_add_list_disable_and_deliver(app):
    with receiver() as rx:
        added = run(
            app,
            "tracker",
            "webhook",
            "add",
            "--office",
            "500112-hf",
            "--url",
            rx.url,
            "--events",
            "submit,accept",
        )
        assert added.exit_code == 0, added.output
        secret = re.search(r"secret \(shown once, keep it\): (whsec_\S+)", added.output)
        assert secret and "case.submit, case.accept" in added.output
        listed = run(app, "tracker", "webhook", "list", "--office", "500112-hf")
        assert "500112-hf\tactive\t" + rx.url in listed.output
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        delivered = run(app, "tracker", "webhook", "deliver")
        assert "webhooks: 1 delivered" in delivered.output, delivered.output
    Webhook(secret.group(1)).verify(rx.requests[0].body, rx.requests[0].headers)
    endpoint_id = db.session.scalar(sa.select(WebhookEndpoint.id))
    disabled = run(app, "tracker", "webhook", "disable", str(endpoint_id))
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert "disabled" in run(app, "tracker", "webhook", "list").output
    assert run(app, "tracker", "webhook", "disable", "999").exit_code != 0


def test_webhook_add_refuses_bad_input(app):
    bad_office = run(app, "tracker", "webhook", "add", "--office", "nope", "--url", "https://x.org")
    assert bad_office.exit_code != 0 and "no office nope" in bad_office.output
    bad_url = run(app, "tracker", "webhook", "add", "--office", "500112-hf", "--url", "ftp://x")
    assert bad_url.exit_code != 0 and "--url" in bad_url.output
    bad_event = run(
        app,
        "tracker",
        "webhook",
        "add",
        "--office",
        "500112-hf",
        "--url",
        "https://x.org",
        "--events",
        "explode",
    )
    assert bad_event.exit_code != 0 and "--events" in bad_event.output
    assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0


def test_enqueue_leaves_the_work_to_the_worker(app):
    submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    huey = jobs_of(app).huey
    huey.flush()  # what the submission's commit enqueued
    for args in (
        ["outbox", "--enqueue"],
        ["sweep", "--enqueue"],
        ["rollup", "--rebuild", "--enqueue"],
        ["sweep-uploads", "--enqueue"],
        ["webhook", "deliver", "--enqueue"],
    ):
        result = run(app, "tracker", *args)
        assert result.exit_code == 0 and "enqueued for the worker" in result.output, args
    assert [t.name for t in huey.pending()] == [
        "outbox",
        "sweep",
        "rollup",
        "sweep_uploads",
        "webhooks",
    ]
    states = set(db.session.scalars(sa.select(OutboxMessage.state)))
    assert states == {"pending"}  # nothing sent by the commands themselves
    assert "outbox: " in run(app, "tracker", "outbox").output
    db.session.rollback()
    assert set(db.session.scalars(sa.select(OutboxMessage.state))) == {"sent"}


def test_a_commit_enqueues_the_jobs_for_what_it_wrote(app):
    huey = jobs_of(app).huey
    huey.flush()
    submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    assert [t.name for t in huey.pending()] == ["outbox"]  # no endpoint: no webhook job


def test_a_burst_of_commits_queues_one_run_until_it_starts(app):
    jobs = jobs_of(app)
    jobs.huey.flush()
    for _ in range(3):
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    assert [t.name for t in jobs.huey.pending()] == ["outbox"]
    task = jobs.huey.dequeue()
    jobs.huey.execute(task)  # the run starts: the next commit queues another
    assert set(db.session.scalars(sa.select(OutboxMessage.state))) == {"sent"}
    submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    assert [t.name for t in jobs.huey.pending()] == ["outbox"]
