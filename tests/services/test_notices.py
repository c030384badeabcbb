"""Every change tells the applicant (inbox + outbox in the same transaction); bad ratings open
a rectification item; materials are recorded with the case."""

from __future__ import annotations

import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, submit
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Attachment, Notification, OutboxMessage, Rectification
from tracker.services import cases as ops
from tracker.services.outbox import deliver_pending
from tracker.services.uploads import StoredFile


class Recorder:
    def __init__(self, fail_for: str | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_for = fail_for

    def send(self, message) -> None:
        if message.recipient == self.fail_for:
            raise ConnectionError("gateway down")
        self.sent.append((message.recipient, message.subject))


def test_each_status_change_notifies_in_app_and_queues_an_sms(app):
    applicant, cd = citizen(), clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, NOW, reason="请上传清晰的身份证")
    notes = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == applicant.id)
        .order_by(Notification.id)
    ).all()
    assert [n.title for n in notes] == ["申请已提交", "申请已受理", "请补正材料"]
    assert "请上传清晰的身份证" in notes[-1].body and case.tracking_number in notes[-1].body
    assert "承诺办结日期" in notes[1].body
    sms = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in sms] == [applicant.phone] * 3
    assert {m.state for m in sms} == {"pending"}


def test_outbox_delivery_marks_sent_and_keeps_failures_for_retry(app):
    a, b = citizen(), citizen()
    for person in (a, b):
        submit("mi-offsite-registration", person, "510100-mi", "510100-mi")
    sender = Recorder(fail_for=b.phone)
    sent, failed = deliver_pending({"sms": sender, "email": sender}, NOW)
    assert (sent, failed) == (1, 1) and sender.sent == [(a.phone, "申请已提交")]
    states = dict(db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.state)).all())
    assert states == {a.phone: "sent", b.phone: "pending"}
    assert deliver_pending({"sms": Recorder(), "email": Recorder()}, NOW) == (1, 0)
    assert deliver_pending({"sms": Recorder(), "email": Recorder()}, NOW) == (0, 0)


def test_a_bad_rating_opens_a_rectification_item_with_a_deadline(app):
    applicant, cd = citizen(), clerk("510100-mi")
    good = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    bad = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    for case in (good, bad):
        ops.act(case.id, Action.ACCEPT, cd, NOW)
        ops.act(case.id, Action.APPROVE, cd, NOW)
    ops.rate(good.id, applicant, 4, "", NOW)
    ops.rate(bad.id, applicant, 1, "窗口态度差", NOW)
    items = db.session.scalars(sa.select(Rectification)).all()
    assert len(items) == 1 and items[0].case_id == bad.id and items[0].stage == "verify"
    assert items[0].due_on is not None and items[0].due_on.isoformat() == "2026-11-09"


def test_materials_are_recorded_with_the_submission(app):
    applicant = citizen()
    stored = StoredFile(
        stored_name="a" * 32 + ".jpg",
        original_name="身份证.jpg",
        content_type="image/jpeg",
        size=1234,
        sha256="0" * 64,
    )
    case = submit(
        "hf-retirement-withdrawal",
        applicant,
        "500112-hf",
        "510100-hf",
        files=[("id_card", stored)],
        licences={"bank_card": ""},
    )
    rows = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(r.material_code, r.original_name, r.stored_name) for r in rows] == [
        ("id_card", "身份证.jpg", "a" * 32 + ".jpg")
    ]
