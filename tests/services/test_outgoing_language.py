"""SMS and e-mail leave in the recipient's language (issue 14 items 1 and 3): the language on
the account (``users.locale``), Chinese when none was chosen; a registration code in the
language of the page it was asked from, or of the account the number already has."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, submit
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import OutboxMessage
from tracker.services import cases as ops

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def outbox(recipient: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
    )


def with_email(person, locale: str | None):  # type: ignore[no-untyped-def]
    person.email = f"{person.phone}@example.org"
    person.locale = locale
    db.session.commit()
    return person


def test_an_english_applicant_gets_english_sms_and_email(app):
    applicant, cd = with_email(citizen(), "en"), clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, NOW, reason="ID card photo unreadable")
    sms = outbox(applicant.phone)
    assert len(sms) == 3
    for message in sms + outbox(applicant.email):
        assert not CJK.search(message.subject + message.body), (message.subject, message.body)
        assert case.tracking_number in message.body
    assert sms[0].subject == "Application submitted"
    assert "ID card photo unreadable" in sms[2].body
    # the promised date in English form (Babel's medium date, docs/i18n.md), not 年月日
    assert re.search(r"Promised completion date: [A-Z][a-z]{2} \d{1,2}, \d{4}\.", sms[1].body)
    assert [m.subject for m in outbox(applicant.email)][0] == "[Tongban] Application submitted"


def test_an_applicant_who_never_chose_gets_chinese_as_before(app):
    applicant, cd = with_email(citizen(), None), clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    sms = outbox(applicant.phone)
    assert [m.subject for m in sms] == ["申请已提交", "申请已受理"]
    assert "承诺办结日期" in sms[1].body and "年" in sms[1].body
    assert [m.subject for m in outbox(applicant.email)] == [
        "【通办】申请已提交",
        "【通办】申请已受理",
    ]


def test_a_registration_code_in_the_page_language(client):
    client.post("/register?lang=en", data={"phone": "13900000098", "send_code": "1"})
    (message,) = outbox("13900000098")
    assert message.subject.startswith("[Tongban] Registration code ")
    assert not CJK.search(message.subject + message.body)
    client.post("/register?lang=zh", data={"phone": "13900000097", "send_code": "1"})
    (message,) = outbox("13900000097")
    assert message.subject.startswith("【通办】注册验证码 ")


def test_a_number_with_an_account_is_told_in_the_account_language(client):
    person = citizen()
    person.locale = "en"
    db.session.commit()
    client.post("/register", data={"phone": person.phone, "send_code": "1"})  # a Chinese page
    (message,) = outbox(person.phone)
    assert message.subject == "[Tongban] This mobile number is already registered"
