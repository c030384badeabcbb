"""/verify (no login): a notice's code answers genuine or not, with kind, office, date, number
and digest and no personal data; an unknown code answers like a malformed one; an uploaded PDF
is compared with the kept one. The notice reaches the applicant's page and the clerk's form
refuses a not-competent rejection that names no competent office."""

from __future__ import annotations

import io

import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, login_as, submit
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, CaseEvent, Notice, Notification
from tracker.services import cases as ops
from tracker.services import notices
from tracker.web import wallclock

HF = "510100-hf"
AHDT = "hf-retirement-withdrawal"


def rejected(hint: str = "重庆市住房公积金管理中心") -> tuple[Case, Notice]:
    case = submit(AHDT, citizen(), HF, HF)
    ops.act(
        case.id,
        Action.REJECT,
        clerk(HF),
        NOW,
        reason="户籍不在本市",
        payload={"ground": "not_competent", "competent_office_hint": hint},
    )
    db.session.expire_all()
    (notice,) = notices.notices_of(case.id)
    return case, notice


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_a_genuine_code_answers_the_public_facts_only(app, client, monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    case, notice = rejected()
    response = client.get("/verify", query_string={"code": notice.verification_code.lower()})
    assert response.status_code == 200
    html = text(response)
    db.session.expire_all()
    kept = db.session.get(Notice, notice.id)
    assert "验证通过" in html and "不予受理决定书" in html and kept.number in html
    assert kept.office.name_zh in html and "2026-11-02" in html and kept.digest in html
    for private in (case.applicant.real_name, case.tracking_number, "户籍不在本市"):
        assert private not in html


def test_an_unknown_code_answers_like_a_malformed_one(app, client):
    rejected()
    unknown = client.get("/verify", query_string={"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    malformed = client.get("/verify", query_string={"code": "ZZZZ"})
    assert unknown.status_code == malformed.status_code == 404
    assert text(unknown).replace("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "ZZZZ") == text(malformed)
    assert "无法核验" in text(unknown)
    assert client.get("/verify").status_code == 200  # the empty form
    empty = client.post("/verify", data={"code": " "})
    assert empty.status_code == 422 and "请输入文书上的验证码" in text(empty)


def test_an_uploaded_pdf_is_compared_and_a_changed_byte_fails(app, client):
    _, notice = rejected()
    data = notices.document(
        notice.id, notices.KeySettings(app.config["NOTICE_KEYS_DIR"], True), "http://x", NOW
    )
    same = client.post(
        "/verify",
        data={"code": notice.verification_code, "document": (io.BytesIO(data), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert same.status_code == 200 and "完全一致，电子签章有效" in text(same)
    tampered = bytearray(data)
    tampered[data.index(b"/Contents") - 40] ^= 0x01
    changed = client.post(
        "/verify",
        data={"code": notice.verification_code, "document": (io.BytesIO(bytes(tampered)), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert changed.status_code == 200
    assert "不一致" in text(changed) and "无效" in text(changed)
    assert notices.digest_of(bytes(tampered)) in text(changed)


def test_the_applicant_sees_and_downloads_the_notice(app, monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    case, notice = rejected()
    client = app.test_client()
    login_as(client, case.applicant)
    page = text(client.get(f"/cases/{case.tracking_number}"))
    assert "不予受理决定书" in page and notice.number in page
    assert "重庆市住房公积金管理中心" in page and "六十日" in page and "六个月" in page
    url = f"/cases/{case.tracking_number}/notices/{notice.id}.pdf"
    assert url in page
    inbox = text(client.get("/notifications"))
    assert url in inbox  # the notification links the notice
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and "attachment" in pdf.headers["Content-Disposition"]
    stranger = app.test_client()
    login_as(stranger, citizen())
    assert stranger.get(url).status_code == 404


def test_the_english_page_shows_the_notice_in_english(app, monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    case, _ = rejected()
    client = app.test_client()
    login_as(client, case.applicant)
    client.set_cookie("lang", "en")
    page = text(client.get(f"/cases/{case.tracking_number}", query_string={"lang": "en"}))
    assert "Decision not to accept the application" in page
    assert "within 60 days" in page and "within 6 months" in page


def test_a_not_competent_rejection_needs_the_competent_office_on_the_clerks_form(app):
    case = submit(AHDT, citizen(), HF, HF)
    client = app.test_client()
    login_as(client, clerk(HF))

    def footprint() -> tuple[object, ...]:
        db.session.expire_all()
        return (
            db.session.get(Case, case.id).version,
            db.session.scalar(sa.select(sa.func.count(CaseEvent.id))),
            db.session.scalar(sa.select(sa.func.count(Notification.id))),
            db.session.scalar(sa.select(sa.func.count(Notice.id))),
        )

    before = footprint()
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "reject",
            "version": "1",
            "ground": "not_competent",
            "reason": "不属于本中心管辖<b>",
            "competent_office_hint": "",
        },
    )
    assert response.status_code == 422
    html = text(response)
    assert 'id="competent_office_hint-error"' in html
    assert "须告知申请人向哪个有权机关申请" in html
    assert "不属于本中心管辖&lt;b&gt;" in html  # what was typed is kept
    assert 'value="not_competent" checked' in html
    assert footprint() == before
    done = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "reject",
            "version": "1",
            "ground": "not_competent",
            "reason": "不属于本中心管辖",
            "competent_office_hint": "重庆市住房公积金管理中心",
        },
    )
    assert done.status_code == 302
    page = text(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert "不予受理决定书" in page and "510100HF不受〔2026〕1号" in page


def test_without_a_signing_key_no_unsigned_pdf_is_served(app, monkeypatch, tmp_path):
    """Production does not make keys on the fly: a missing key answers 503, never a PDF
    without its signature, and nothing is kept."""
    monkeypatch.setitem(app.config, "NOTICE_KEYS_DIR", str(tmp_path / "none"))
    monkeypatch.setitem(app.config, "NOTICE_KEYS_AUTOCREATE", False)
    case, notice = rejected()
    client = app.test_client()
    login_as(client, case.applicant)
    response = client.get(f"/cases/{case.tracking_number}/notices/{notice.id}.pdf")
    assert response.status_code == 503
    assert (
        app.test_client()
        .get("/verify", query_string={"code": notice.verification_code})
        .status_code
        == 503
    )
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).pdf is None
