"""The citizen's pages: only their own cases, every route; bad input loses nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, login_as, submit
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Attachment, Case, Notification
from tracker.services import cases as ops

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def two_citizens(app, client, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    owner, other = citizen(), citizen()
    cd = clerk("510100-mi")
    case = submit("mi-offsite-registration", owner, "510100-mi", "510100-mi")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.APPROVE, cd, NOW)
    from tracker.domain.files import UploadLimits
    from tracker.services.uploads import store_upload

    stored = store_upload(io.BytesIO(PDF), "身份证.pdf", folder=tmp_path, limits=UploadLimits())
    with db.session.begin_nested():
        db.session.add(
            Attachment(
                case_id=case.id,
                material_code="id_card",
                original_name=stored.original_name,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by_id=owner.id,
            )
        )
    db.session.commit()
    attachment_id = db.session.scalar(sa.select(Attachment.id))
    return owner, other, case, attachment_id


def routes(case: Case, attachment_id: int) -> list[tuple[str, str]]:
    n = case.tracking_number
    return [
        ("GET", f"/cases/{n}"),
        ("GET", f"/cases/{n}/receipt"),
        ("GET", f"/cases/{n}/supplement"),
        ("POST", f"/cases/{n}/supplement"),
        ("POST", f"/cases/{n}/withdraw"),
        ("POST", f"/cases/{n}/rate"),
        ("GET", f"/cases/{n}/files/{attachment_id}"),
    ]


def test_another_citizen_gets_404_on_every_route_and_changes_nothing(client, two_citizens):
    owner, other, case, attachment_id = two_citizens
    login_as(client, other)
    for method, path in routes(case, attachment_id):
        response = client.open(path, method=method, data={"score": "1", "reason": "x"})
        body = response.get_data(as_text=True)
        response.close()
        assert response.status_code == 404, (method, path)
        # (The number itself is echoed in the language switch's link: it is what was typed.)
        assert owner.real_name not in body, (method, path)
        assert owner.resident_id_masked not in body and "办结" not in body, (method, path)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Case).where(Case.id == case.id, Case.version == 3).subquery()
            )
        )
        == 1
    )
    listing = client.get("/cases").get_data(as_text=True)
    assert case.tracking_number not in listing


def test_owner_downloads_as_attachment_with_the_chinese_name(client, two_citizens):
    owner, _, case, attachment_id = two_citizens
    login_as(client, owner)
    response = client.get(f"/cases/{case.tracking_number}/files/{attachment_id}")
    try:
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response.headers["Content-Disposition"]
        assert "%E8%BA%AB%E4%BB%BD%E8%AF%81.pdf" in response.headers["Content-Disposition"]
    finally:
        response.close()


def test_staff_and_anonymous_cannot_use_citizen_pages(client, two_citizens):
    _, _, case, _ = two_citizens
    response = client.get(f"/cases/{case.tracking_number}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(client, clerk("510100-mi"))
    assert client.get("/cases").status_code == 403


def test_pages_with_personal_data_are_not_cached(client, two_citizens):
    owner, _, case, _ = two_citizens
    login_as(client, owner)
    response = client.get(f"/cases/{case.tracking_number}")
    assert response.headers["Cache-Control"] == "no-store"
    assert owner.resident_id not in response.get_data(as_text=True)


def test_refused_application_keeps_what_was_typed_and_extra_fields_change_nothing(client, app):
    applicant = citizen()
    login_as(client, applicant)
    data = {
        "token": "t-1",
        "insured_region": "510100",
        "office_id": "1",
        "status": "approved",
        "phone": "12345",
        "pc_filing_type": "temporary",
        "pc_paid_already": "no",
    }
    response = client.post("/services/mi-offsite-registration/apply", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="12345"' in html and "请阅读并勾选承诺" in html
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_double_submit_files_one_case(client, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    applicant = citizen()
    login_as(client, applicant)
    page = client.get(
        "/services/mi-offsite-registration/apply",
        query_string={"pc_filing_type": "temporary", "pc_paid_already": "no"},
    ).get_data(as_text=True)
    import re

    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    competent = re.search(r'<option value="(\d+)">成都市医疗保障', page).group(1)
    import random

    from tracker.services.demo import demo_form_data
    from tracker.services.queries import service_by_code

    form = {
        k: str(v)
        for k, v in demo_form_data(
            service_by_code("mi-offsite-registration"), random.Random(3)
        ).items()
    }
    form.update(token=token, competent=competent, declaration="y", licence_id_card="DZZZ12345678")
    # the guided pre-check's answers, agreeing with the form
    form.update(pc_filing_type=form["filing_type"], pc_paid_already="no")
    if form["filing_type"] == "referral":
        form.update(referral_hospital="四川大学华西医院", licence_referral_certificate="")
    first = client.post("/services/mi-offsite-registration/apply", data=form)
    second = client.post("/services/mi-offsite-registration/apply", data=form)
    assert first.status_code == second.status_code == 302, first.get_data(as_text=True)[:3000]
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 1


def test_notifications_list_and_mark_read(client, two_citizens):
    owner, other, _, _ = two_citizens
    login_as(client, owner)
    html = client.get("/notifications").get_data(as_text=True)
    assert "申请已受理" in html and "未读" in html
    client.post("/notifications/read")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == owner.id, Notification.read_at.is_(None)
            )
        )
        == 0
    )


def test_the_notifications_page_says_when_it_shows_only_the_latest(client):
    """The page lists the latest 100; the demo citizen had 458 and the page did not say that the
    older ones were left out (issue 14's look at every page)."""
    owner = citizen()
    with db.session.begin_nested():
        for i in range(103):
            db.session.add(Notification(user_id=owner.id, title="消息", body=f"第{i}条"))
    db.session.commit()
    login_as(client, owner)
    html = client.get("/notifications").get_data(as_text=True)
    assert html.count('class="notice ') == 100
    assert "显示最近 100 条，共 103 条" in html
    html = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Showing the latest 100 of 103" in html


# ---- the timeline in plain language -------------------------------------------------------


def test_the_timeline_hides_internal_steps_and_a_supplement_answered_waits_for_acceptance(
    client,
):
    owner = citizen()
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", owner, "510100-hf", "510100-hf")
    ops.assign(case.id, cd, cd, NOW)  # claim: internal
    ops.act(
        case.id,
        Action.REQUEST_SUPPLEMENT,
        cd,
        NOW,
        reason="请补充银行卡复印件",
        payload={"items": [{"material": "id_card", "note": "复印件不清晰"}]},
    )
    ops.act(case.id, Action.SUBMIT_SUPPLEMENT, owner, NOW)
    login_as(client, owner)
    page = client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    assert "等待受理" in page and "部门正在办理" not in page
    timeline = page.split('id="timeline-title"', 1)[1].split("</section>", 1)[0]
    assert 'data-step="claim"' not in timeline and "认领" not in timeline
    assert (
        'data-step="request_supplement"' in timeline and 'data-step="submit_supplement"' in timeline
    )
    assert "部门请您补正材料" in timeline and "下一步：等待部门审核补正材料" in timeline
    assert timeline.count('class="timeline-next"') == 3  # submit, request, answer


def test_a_due_date_pending_its_calendar_says_so_in_words_on_the_case_page_and_track(client):
    owner = citizen()
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", owner, "510100-hf", "510100-hf")
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    db.session.execute(
        sa.update(Case).where(Case.id == case.id).values(due_on=None, due_pending_year=2031)
    )
    db.session.commit()
    words = "2031 年法定节假日安排尚未公布"
    login_as(client, owner)
    assert words in client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    client.post("/logout")
    tracked = client.post(
        "/track", data={"number": case.tracking_number, "last4": owner.phone[-4:]}
    ).get_data(as_text=True)
    assert words in tracked and "认领" not in tracked


def test_once_rated_the_form_is_gone_and_the_rating_shown(client, two_citizens):
    owner, _other, case, _attachment = two_citizens
    login_as(client, owner)
    page = client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    assert 'class="rate-form"' in page
    client.post(f"/cases/{case.tracking_number}/rate", data={"score": "5", "comment": "很快"})
    page = client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    assert 'class="rate-form"' not in page and "非常满意" in page and "很快" in page
    assert "欢迎对本次服务进行评价" not in page


def test_a_case_refused_before_acceptance_shows_no_clock_badge(app, client):
    """Found by a new-user trial: "不予受理" stood next to "尚未受理" (the clock badge of a
    case never accepted), on the case page and in the list."""
    owner = citizen()
    case = submit("hf-retirement-withdrawal", owner, "510100-hf", "510100-hf")
    ops.act(
        case.id,
        Action.REJECT,
        clerk("510100-hf"),
        NOW,
        reason="材料不属于本机关受理范围",
        payload={"competent_office_hint": "重庆市住房公积金管理中心"},
    )
    login_as(client, owner)
    for path in (f"/cases/{case.tracking_number}", "/cases"):
        html = client.get(path).get_data(as_text=True)
        assert "不予受理" in html and "due-not_started" not in html, path
