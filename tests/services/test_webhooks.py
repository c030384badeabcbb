"""Webhook deliveries against a real HTTP receiver: written with the event, signed (verified
with the ``standardwebhooks`` package), retried with backoff, in order per case, never sent
as a new message, and only to the office that holds (or held) the case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from tests.builders import NOW, citizen, clerk, office, submit
from tests.webhook_receiver import receiver
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import WebhookAttempt, WebhookDelivery
from tracker.services import cases as ops
from tracker.services import webhooks
from tracker.services.webhooks import Policy, WebhookError

POLICY = Policy(allow_private=True, timeout=0.5, claim_seconds=30)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def add(office_code: str, url: str, events: list[str] | None = None) -> tuple[int, str]:
    endpoint, secret = webhooks.register_endpoint(
        office(office_code).id,
        url,
        events or [],
        created_by=None,
        created_by_name="test",
        now=NOW,
        policy=POLICY,
    )
    return endpoint.id, secret


def forwarded_case():
    """Received in Chongqing, forwarded to Chengdu, accepted and started there."""
    cq, cd = clerk("500112-hf"), clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
    for action in (Action.FORMAL_CHECK, Action.IDENTITY_CHECK, Action.FORWARD):
        ops.act(case.id, action, cq, NOW)
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    return ops.act(case.id, Action.START_PROCESSING, cd, NOW)


def test_timeout_then_500_then_200_lands_once_with_the_same_id_and_a_valid_signature(app):
    with receiver(["timeout", 500], hold_seconds=1.5) as rx:
        endpoint_id, secret = add("500112-hf", rx.url, ["submit"])
        case = submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        clock = Clock(datetime.now(UTC))
        report = webhooks.deliver_due(POLICY, clock)
        assert (report.delivered, report.retried) == (0, 1)
        delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert "timeout" in (delivery.last_error or "")
        # Not due again before its backoff (about 5 s) has passed.
        assert webhooks.deliver_due(POLICY, clock).retried == 0
        clock.now += timedelta(seconds=6)
        assert webhooks.deliver_due(POLICY, clock).retried == 1
        db.session.expire_all()
        assert delivery.last_status_code == 500
        assert delivery.next_attempt_at >= clock.now + timedelta(minutes=4)
        clock.now += timedelta(minutes=6)
        assert webhooks.deliver_due(POLICY, clock).delivered == 1
        assert webhooks.deliver_due(POLICY, clock).delivered == 0

    db.session.expire_all()
    assert delivery.status == "delivered" and delivery.attempts == 3
    attempts = db.session.scalars(
        sa.select(WebhookAttempt.status_code).where(WebhookAttempt.delivery_id == delivery.id)
    ).all()
    assert attempts == [None, 500, 200]
    assert rx.ids() == [delivery.message_id] * 3  # the same webhook-id on every retry
    assert rx.accepted_ids() == [delivery.message_id]  # and it landed once
    assert delivery.message_id.startswith("msg_")
    last = rx.requests[-1]
    payload = Webhook(secret).verify(last.body, last.headers)
    assert payload["type"] == "case.submit"
    assert payload["data"]["tracking_number"] == case.tracking_number
    assert payload["data"]["status_code"] == case.status.code
    assert payload["data"]["custody_office"] == "500112-hf"
    assert payload["data"]["at"].endswith("Z")
    # Nothing personal: the applicant's name, phone and ID number are not in the body.
    body = last.body.decode()
    assert case.applicant.resident_id not in body and case.applicant.phone not in body
    assert case.applicant.real_name not in body
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(last.body, last.headers)
    assert endpoint_id == delivery.endpoint_id


def test_events_arrive_in_order_per_case_and_only_to_the_offices_that_held_it(app):
    with receiver([500]) as cq_rx, receiver() as cd_rx, receiver() as other_rx:
        add("500112-hf", cq_rx.url)
        add("510100-hf", cd_rx.url)
        add("510100-mi", other_rx.url)  # never holds these cases
        case = forwarded_case()
        clock = Clock(datetime.now(UTC))
        webhooks.deliver_due(POLICY, clock)
        # Chongqing's first delivery failed once: nothing later of that case went out.
        assert [json.loads(r.body)["type"] for r in cq_rx.requests] == ["case.submit"]
        clock.now += timedelta(seconds=6)
        webhooks.deliver_due(POLICY, clock)

    def types(rx):  # type: ignore[no-untyped-def]
        return [json.loads(r.body)["type"] for r in rx.requests if r.answered == 200]

    # Chongqing held it until the forward, so it hears the forward as well; Chengdu hears it
    # from the forward on.
    assert types(cq_rx) == [
        "case.submit",
        "case.formal_check",
        "case.identity_check",
        "case.forward",
    ]
    assert types(cd_rx) == ["case.forward", "case.accept", "case.start_processing"]
    assert other_rx.requests == []
    versions = [json.loads(r.body)["data"]["version"] for r in cd_rx.requests]
    assert versions == sorted(versions)
    assert all(
        json.loads(r.body)["data"]["tracking_number"] == case.tracking_number
        for r in cd_rx.requests
    )
    sequences = db.session.scalars(
        sa.select(WebhookDelivery.sequence)
        .join(WebhookDelivery.endpoint)
        .where(WebhookDelivery.endpoint.has(office_id=office("510100-hf").id))
        .order_by(WebhookDelivery.id)
    ).all()
    assert sequences == [1, 2, 3]


def test_a_delivery_whose_sender_died_is_resent_with_the_same_id_and_recorded_once(app):
    with receiver() as rx:
        add("500112-hf", rx.url, ["submit"])
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
        start = datetime.now(UTC)
        # A worker claims the row, sends, and dies before recording the answer.
        assert webhooks.claim(delivery.id, start, POLICY) is not None
        webhooks.post(
            rx.url,
            webhooks.body_of(delivery).encode(),
            webhooks.signed_headers(
                delivery.endpoint.secret, delivery.message_id, webhooks.body_of(delivery), start
            ),
            POLICY,
        )
        # While its claim lasts, no other worker takes the row.
        assert webhooks.deliver_due(POLICY, Clock(start + timedelta(seconds=10))).skipped == 0
        assert len(rx.requests) == 1
        # Once the claim has run out, the catch-up sends it again: same id.
        report = webhooks.deliver_due(POLICY, Clock(start + timedelta(seconds=31)))
        assert report.delivered == 1
    assert rx.ids() == [delivery.message_id, delivery.message_id]
    db.session.expire_all()
    assert delivery.status == "delivered"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(WebhookAttempt.id)).where(
                WebhookAttempt.delivery_id == delivery.id
            )
        )
        == 1
    )


def test_retries_last_at_least_a_day_then_give_up():
    created = datetime(2026, 11, 2, tzinfo=UTC)
    now, attempts = created, 0
    while True:
        attempts += 1
        retry = webhooks.next_attempt(attempts, created, now)
        if retry is None:
            break
        assert retry > now
        now = retry
    assert now - created >= timedelta(hours=24)
    assert attempts == len(webhooks.BACKOFF) + 1 or now - created >= timedelta(hours=24)
    # Shortest possible jitter still waits 24 hours in all.
    shortest = sum((d * (1 - webhooks.JITTER) for d in webhooks.BACKOFF), timedelta())
    assert shortest >= timedelta(hours=24)


def test_a_failed_receiver_is_given_up_after_the_schedule(app):
    with receiver([500] * 20) as rx:
        add("500112-hf", rx.url, ["submit"])
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        clock = Clock(datetime.now(UTC))
        for _ in range(12):
            webhooks.deliver_due(POLICY, clock)
            clock.now += timedelta(hours=11)
    delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
    assert delivery.status == "failed"
    assert delivery.attempts == len(webhooks.BACKOFF) + 1 == len(rx.requests)
    assert clock.now - delivery.created_at >= timedelta(hours=24)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/x", "url_scheme"),
        ("example.com/hook", "url_scheme"),
        ("https://user:pw@example.com/hook", "url_credentials"),
        ("http://10.1.2.3/hook", "url_refused"),
        ("http://127.0.0.1:9/hook", "url_refused"),
        ("http://[::1]/hook", "url_refused"),
    ],
)
def test_unsafe_urls_are_refused_at_registration(app, url, code):
    with pytest.raises(WebhookError) as caught:
        webhooks.register_endpoint(
            office("500112-hf").id,
            url,
            [],
            created_by=None,
            created_by_name="t",
            now=NOW,
            policy=Policy(),
        )
    assert caught.value.code == code and caught.value.field == "url"


def test_a_host_resolving_to_a_private_address_is_not_called():
    outcome = webhooks.post("http://localhost:9/hook", b"{}", {}, Policy())
    assert outcome.status_code is None and "内网" in (outcome.error or "")
    allowed = Policy(allowed_hosts=frozenset({"hooks.example.org"}))
    outcome = webhooks.post("http://example.com/hook", b"{}", {}, allowed)
    assert "不在允许" in (outcome.error or "")


def test_unknown_event_types_are_refused_and_short_names_accepted(app):
    assert webhooks.normalise_events(["accept", "case.forward", "accept"]) == [
        "case.accept",
        "case.forward",
    ]
    with pytest.raises(WebhookError, match="未知"):
        webhooks.normalise_events(["explode"])


def test_disabling_stops_deliveries_and_fails_what_waited(app):
    with receiver() as rx:
        endpoint_id, _ = add("500112-hf", rx.url, ["submit"])
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        webhooks.disable_endpoint(office("500112-hf").id, endpoint_id, NOW)
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        webhooks.deliver_due(POLICY)
    assert rx.requests == []
    statuses = db.session.scalars(sa.select(WebhookDelivery.status)).all()
    assert statuses == ["failed"]
    with pytest.raises(WebhookError):
        webhooks.disable_endpoint(office("510100-hf").id, endpoint_id, NOW)  # not theirs


def test_rotating_the_secret_signs_later_deliveries_with_the_new_one(app):
    with receiver() as rx:
        endpoint_id, old = add("500112-hf", rx.url, ["submit"])
        new = webhooks.rotate_secret(office("500112-hf").id, endpoint_id)
        submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        webhooks.deliver_due(POLICY)
    assert new != old and new.startswith("whsec_")
    Webhook(new).verify(rx.requests[0].body, rx.requests[0].headers)


def two_workers_deliver(app) -> None:  # type: ignore[no-untyped-def]
    import threading

    with receiver() as rx:
        add("500112-hf", rx.url)
        cq = clerk("500112-hf")
        numbers = []
        for _ in range(3):
            case = submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
            ops.act(case.id, Action.FORMAL_CHECK, cq, NOW)
            ops.act(case.id, Action.IDENTITY_CHECK, cq, NOW)
            numbers.append(case.tracking_number)
        db.session.remove()
        barrier = threading.Barrier(2)

        def worker() -> None:
            with app.app_context():
                barrier.wait()
                try:
                    webhooks.deliver_due(POLICY)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    accepted = rx.accepted_ids()
    assert len(accepted) == len(set(accepted)) == 9  # each once
    assert set(db.session.scalars(sa.select(WebhookDelivery.status))) == {"delivered"}
    for number in numbers:
        seen = [
            json.loads(r.body)["type"]
            for r in rx.requests
            if json.loads(r.body)["data"]["tracking_number"] == number
        ]
        assert seen == ["case.submit", "case.formal_check", "case.identity_check"]


def test_two_workers_deliver_each_once_and_in_order_on_sqlite(app):
    two_workers_deliver(app)


def test_two_workers_deliver_each_once_and_in_order_on_postgresql(pg_app):
    two_workers_deliver(pg_app)
