"""The clerk's workbench (issue 4, web part): the queue, one case, the moves the workflow
allows, bulk moves, the 409 page, revealing an ID number, canned notes, joint sub-tasks.

Every page is driven through the real login form and the real services; the clock the views
read is frozen at ``NOW`` (Monday 2026-11-02, 10:00 in Shanghai)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, login_as, office, service, submit
from tracker.domain.states import CaseStatus, SubTaskStatus
from tracker.domain.workflow import Action, available_actions
from tracker.extensions import db
from tracker.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseEvent,
    ClockPause,
    Notification,
    SubTask,
)
from tracker.services import audit, uploads
from tracker.services import cases as ops
from tracker.web import wallclock

CD_HF, CQ_HF = "510100-hf", "500112-hf"
AHDT = "hf-retirement-withdrawal"  # accept here, decide there
JOINT = "hf-transfer"  # joint: transfer-in centre leads, transfer-out centre has a sub-task


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def at(d: date, hour: int = 10) -> datetime:
    """``hour`` o'clock Shanghai time on ``d``."""
    return datetime(d.year, d.month, d.day, hour - 8, tzinfo=NOW.tzinfo)


def signed_in(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, user)
    return client


def fresh(case: Case) -> Case:
    db.session.expire_all()
    found = db.session.get(Case, case.id)
    assert found is not None
    return found


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def case_actions(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def queue_numbers(html: str) -> list[str]:
    """Tracking numbers of the queue table's rows, in page order (not the sub-task table)."""
    table = html.split('id="queue-title"', 1)[1].split('id="subtasks-title"', 1)[0]
    return re.findall(r'name="case" value="([0-9A-Z]+)"', table)


def footprint(case: Case) -> tuple[object, ...]:
    """Everything a move writes: state, version, events, notices."""
    case = fresh(case)
    return (
        case.status,
        case.version,
        case.assignee_id,
        db.session.scalar(
            sa.select(sa.func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id)
        ),
        db.session.scalar(sa.select(sa.func.count(Notification.id))),
    )


# ---- access -----------------------------------------------------------------------------------


def test_only_clerks_get_in(app, client):
    response = client.get("/clerk/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    applicant = citizen()
    case = submit(AHDT, applicant, CD_HF, CD_HF)
    login_as(client, applicant)
    for method, url in [
        ("get", "/clerk/"),
        ("get", f"/clerk/cases/{case.tracking_number}"),
        ("post", f"/clerk/cases/{case.tracking_number}/act"),
        ("post", "/clerk/bulk"),
        ("get", "/clerk/notes"),
    ]:
        assert getattr(client, method)(url).status_code == 403, url


def test_another_office_gets_404_on_every_route(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    applicant = citizen()
    stored = uploads.store_upload(
        io.BytesIO(b"%PDF-1.4\n" + b"x" * 200),
        "身份证.pdf",
        folder=tmp_path,
        limits=uploads.UploadLimits(),
    )
    case = submit(AHDT, applicant, CD_HF, CD_HF, files=[("id_card", stored)])
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id)
    ).one()
    own, other = signed_in(app, clerk(CD_HF)), signed_in(app, clerk("510100-mi"))
    number = case.tracking_number
    before = footprint(case)

    response = own.get(f"/clerk/cases/{number}/files/{attachment.id}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and body.startswith(b"%PDF-1.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]

    nothing_here = own.get("/clerk/cases/512699990000000")
    refusals = [
        other.get(f"/clerk/cases/{number}"),
        other.post(f"/clerk/cases/{number}/act", data={"action": "accept", "version": "1"}),
        other.post(f"/clerk/cases/{number}/assign", data={"op": "claim", "version": "1"}),
        other.post(f"/clerk/cases/{number}/reveal", data={"reason": "核对户籍信息"}),
        other.get(f"/clerk/cases/{number}/files/{attachment.id}"),
    ]
    answers = []
    for response in refusals:  # close every response first (a download holds a file open)
        answers.append((response.status_code, html_of(response)))
        response.close()
    for status, body in answers:
        assert status == 404
        assert applicant.real_name not in body and applicant.resident_id_masked not in body
        assert "页面不存在" in body  # the same page as a number that does not exist
    assert nothing_here.status_code == 404
    # A bulk move names the case but changes nothing.
    response = other.post("/clerk/bulk", data={"case": [number], "op": "accept"})
    assert "办件不存在或不属于本部门" in html_of(response)
    assert footprint(case) == before
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "reveal_resident_id")
        )
        == 0
    )
    # Every refusal is audited (SECURITY.md #3), in the sealed log; the own clerk's 404 on a
    # number that does not exist is audited too, with its own user id.
    db.session.rollback()
    denied = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "denied").order_by(AuditEntry.id)
    ).all()
    others = [
        (a.target, a.detail["status"], a.detail["method"])
        for a in denied
        if a.user_id != denied[0].user_id
    ]
    assert [t for t, _, _ in others] == [
        f"/clerk/cases/{number}",
        f"/clerk/cases/{number}/act",
        f"/clerk/cases/{number}/assign",
        f"/clerk/cases/{number}/reveal",
        f"/clerk/cases/{number}/files/{attachment.id}",
    ]
    assert {(s, m) for _, s, m in others} == {(404, "GET"), (404, "POST")}
    assert denied[0].target == "/clerk/cases/512699990000000"
    assert audit.verify().ok


def test_a_refusal_stands_when_its_audit_row_cannot_be_written(app, monkeypatch, caplog):
    client = signed_in(app, clerk(CD_HF))

    def broken(**_: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record_denial", broken)
    response = client.get("/clerk/cases/512699990000000")
    assert response.status_code == 404 and "页面不存在" in html_of(response)
    assert "could not audit a 404" in caplog.text


def test_a_file_of_another_case_is_404_through_a_visible_case(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    stored = uploads.store_upload(
        io.BytesIO(b"%PDF-1.4\n" + b"y" * 100),
        "a.pdf",
        folder=tmp_path,
        limits=uploads.UploadLimits(),
    )
    foreign = submit(AHDT, citizen(), CQ_HF, CQ_HF, files=[("id_card", stored)])
    mine = submit(AHDT, citizen(), CD_HF, CD_HF)
    attachment_id = db.session.scalars(
        sa.select(Attachment.id).where(Attachment.case_id == foreign.id)
    ).one()
    client = signed_in(app, clerk(CD_HF))
    response = client.get(f"/clerk/cases/{mine.tracking_number}/files/{attachment_id}")
    response.close()
    assert response.status_code == 404


# ---- the queue --------------------------------------------------------------------------------


def test_queue_shows_the_office_cases_by_the_day_they_must_be_acted_on(app):
    me = clerk(CD_HF)
    middle = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 10, 28)))
    latest = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 11, 2)))
    earliest = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 10, 20)))
    elsewhere = submit(AHDT, citizen(), CQ_HF, CQ_HF, now=at(date(2026, 10, 19)))
    # Forwarded here from Chongqing: in our custody now, so in our queue.
    forwarded = submit(AHDT, citizen(), CQ_HF, CD_HF, now=at(date(2026, 10, 29)))
    cq = clerk(CQ_HF)
    for action in (Action.FORMAL_CHECK, Action.IDENTITY_CHECK, Action.FORWARD):
        ops.act(forwarded.id, action, cq, at(date(2026, 10, 29)))

    response = signed_in(app, me).get("/clerk/")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = html_of(response)
    expected = sorted([middle, latest, earliest, forwarded], key=lambda c: (fresh(c).act_by, c.id))
    assert queue_numbers(html) == [c.tracking_number for c in expected]
    assert [c.tracking_number for c in expected][0] == earliest.tracking_number
    assert elsewhere.tracking_number not in html
    # Names, never ID or phone numbers.
    assert earliest.applicant.real_name in html
    assert earliest.applicant.resident_id not in html and earliest.applicant.phone not in html


def test_queue_filters_and_their_counts(app):
    me, colleague = clerk(CD_HF), clerk(CD_HF)
    overdue = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 10, 20)))  # 5 WD gone
    at_risk = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 10, 28)))
    on_time = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 11, 2)))
    paused = submit(AHDT, citizen(), CD_HF, CD_HF, now=at(date(2026, 11, 2)))
    ops.act(paused.id, Action.REQUEST_SUPPLEMENT, colleague, NOW, reason="缺退休证明")
    ops.assign(on_time.id, me, me, NOW)
    other_service = submit("hf-loan-certificate", citizen(), CD_HF, CD_HF, now=NOW)
    client = signed_in(app, me)

    html = html_of(client.get("/clerk/"))
    for label, n in [("逾期", 1), ("临期", 1), ("正常", 2), ("暂停计时", 1)]:
        assert f"{label}（{n}）" in html, label
    assert "已接件（4）" in html and "补正开始（1）" in html and "在办（5）" in html
    assert "我的（1）" in html

    def shown(query: str) -> set[str]:
        response = client.get("/clerk/?" + query)
        assert response.status_code == 200
        return set(queue_numbers(html_of(response)))

    assert shown("due=overdue") == {overdue.tracking_number}
    # The badge says what the filter says: before acceptance the clock is the Art. 32 deadline.
    rows = html_of(client.get("/clerk/?due=overdue")).split('id="subtasks-title"')[0]
    assert "due-overdue" in rows and "应受理" in rows
    rows = html_of(client.get("/clerk/?due=at_risk")).split('id="subtasks-title"')[0]
    assert "due-at_risk" in rows and "due-overdue" not in rows
    assert shown("due=at_risk") == {at_risk.tracking_number}
    assert shown("due=paused") == {paused.tracking_number}
    assert shown("status=supplement_requested") == {paused.tracking_number}
    assert shown("assigned=me") == {on_time.tracking_number}
    assert on_time.tracking_number not in shown("assigned=unassigned")
    assert shown(f"service={other_service.service_id}") == {other_service.tracking_number}
    assert shown("from=2026-10-27&to=2026-10-30") == {at_risk.tracking_number}
    assert shown("status=closed") == set()


def test_queue_search_by_tracking_number_and_by_applicant_name(app):
    me = clerk(CD_HF)
    wang, li = citizen(), citizen()
    a = submit(AHDT, wang, CD_HF, CD_HF)
    b = submit(AHDT, li, CD_HF, CD_HF)
    client = signed_in(app, me)
    found = queue_numbers(html_of(client.get("/clerk/", query_string={"q": a.tracking_number})))
    assert found == [a.tracking_number]
    spaced = a.tracking_number[:6] + " " + a.tracking_number[6:].lower()
    assert queue_numbers(html_of(client.get("/clerk/", query_string={"q": spaced}))) == [
        a.tracking_number
    ]
    # A name is personal data: it is POSTed and never appears in a URL (SECURITY #13 item 8).
    posted = client.post("/clerk/search", data={"q": li.real_name, "status": "open"})
    assert posted.status_code == 303
    assert li.real_name not in posted.headers["Location"]
    assert "%" not in posted.headers["Location"].split("?", 1)[1]  # no encoded name either
    page = html_of(client.get(posted.headers["Location"]))
    assert queue_numbers(page) == [b.tracking_number]
    assert f'value="{li.real_name}"' in page  # shown back in the search box
    assert li.real_name not in "".join(re.findall(r'href="([^"]*)"', page))
    nobody = client.post("/clerk/search", data={"q": "无此人"})
    assert queue_numbers(html_of(client.get(nobody.headers["Location"]))) == []
    # a tracking number is not personal data: it may stay in the address (bookmarkable)
    by_number = client.post("/clerk/search", data={"q": a.tracking_number})
    assert a.tracking_number in by_number.headers["Location"]
    # another clerk's session cannot use the search id
    other = signed_in(app, clerk(CD_HF))
    stranger = html_of(other.get(posted.headers["Location"]))
    assert sorted(queue_numbers(stranger)) == sorted([a.tracking_number, b.tracking_number])
    assert "搜索已过期" in stranger


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999999999999",
        "sort=id%20desc;--",
        "status=bogus",
        "due=soon",
        "assigned=everyone",
        "from=2026-13-45&to=yesterday",
        "service=1%20OR%201=1",
        "q=%27%20OR%201=1--",
        "q=%27%20UNION%20SELECT%20password_hash%20FROM%20users--",
        "status=open&status=closed",
        "from=0001-01-01",
    ],
)
def test_odd_queue_queries_are_harmless(app, query):
    me = clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    response = signed_in(app, me).get("/clerk/?" + query)
    assert response.status_code == 200
    if not query.startswith("q="):
        assert case.tracking_number in html_of(response)


# ---- one case: the actions offered are the workflow's ----------------------------------------


def test_buttons_are_the_workflow_available_actions(app):
    cq, cd = clerk(CQ_HF), clerk(CD_HF)
    case = submit(AHDT, citizen(), CQ_HF, CD_HF)
    cq_client, cd_client = signed_in(app, cq), signed_in(app, cd)

    def offered(client, user) -> list[str]:  # type: ignore[no-untyped-def]
        html = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
        current = fresh(case)
        expected = [
            a.value for a in available_actions(ops.case_facts(current), ops.actor_facts(user))
        ]
        assert case_actions(html) == expected
        return expected

    at_intake = offered(cq_client, cq)
    assert at_intake[:2] == ["formal_check", "identity_check"] and "accept" not in at_intake
    assert "forward" not in at_intake  # checks first
    assert offered(cd_client, cd) == []  # competent office sees it, may not act yet
    for action in ("formal_check", "identity_check"):
        response = cq_client.post(
            f"/clerk/cases/{case.tracking_number}/act",
            data={"action": action, "version": fresh(case).version},
        )
        assert response.status_code == 302
    assert "forward" in offered(cq_client, cq)
    response = cq_client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={"action": "forward", "version": fresh(case).version},
    )
    assert response.status_code == 302
    assert fresh(case).custody_office_id == office(CD_HF).id
    assert offered(cq_client, cq) == []  # the receiving office still sees the case
    assert {"accept", "reject", "request_supplement"} <= set(offered(cd_client, cd))


def test_case_page_masks_the_applicant_and_shows_form_materials_and_clock(app):
    applicant = citizen()
    case = submit(AHDT, applicant, CD_HF, CD_HF, licences={"retirement_proof": "DZZZ-2026-000123"})
    html = html_of(signed_in(app, clerk(CD_HF)).get(f"/clerk/cases/{case.tracking_number}"))
    assert applicant.resident_id_masked in html and applicant.resident_id not in html
    assert (
        applicant.phone not in html and applicant.phone[:3] + "****" + applicant.phone[-4:] in html
    )
    assert "DZZZ-2026-000123" in html
    for f in service(AHDT).fields:
        if f.name in case.form_data:
            assert f.label_zh in html
    assert "查看完整身份证号" in html and "应作出受理决定" in html


def test_accept_then_timeline_and_clock(app):
    me = clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, me)
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act", data={"action": "accept", "version": "1"}
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.status is CaseStatus.ACCEPTED and case.clock_start_on == date(2026, 11, 2)
    html = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert "已受理" in html and case.due_on.isoformat() in html


# ---- concurrency: the loser gets 409 and writes nothing --------------------------------------


def test_stale_version_gets_409_and_nothing_is_written(app):
    first, second = clerk(CD_HF), clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    a, b = signed_in(app, first), signed_in(app, second)
    # Both open the page at version 1; the first accepts.
    assert 'name="version" value="1"' in html_of(b.get(f"/clerk/cases/{case.tracking_number}"))
    assert (
        a.post(
            f"/clerk/cases/{case.tracking_number}/act", data={"action": "accept", "version": "1"}
        ).status_code
        == 302
    )
    before = footprint(case)
    response = b.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={"action": "reject", "version": "1", "reason": "材料不全"},
    )
    assert response.status_code == 409
    html = html_of(response)
    assert "办件已被他人更新" in html and "不予受理" in html and "受理" in html
    assert "已受理" in html  # the current status
    assert footprint(case) == before
    assert fresh(case).status is CaseStatus.ACCEPTED


def test_a_race_inside_the_service_is_also_409(app, monkeypatch):
    """The page's version matched when the request began; another clerk moves first while
    this request runs: the service's conditional update refuses, nothing of ours remains."""
    first, second = clerk(CD_HF), clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    real_act = ops.act
    snapshot: list[tuple[object, ...]] = []

    def other_clerk_first(case_id, action, actor, now, **kw):  # type: ignore[no-untyped-def]
        real_act(case_id, Action.ACCEPT, first, now)
        snapshot.append(footprint(case))
        return real_act(case_id, action, actor, now, **kw)

    monkeypatch.setattr(ops, "act", other_clerk_first)
    response = signed_in(app, second).post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={"action": "request_supplement", "version": "1", "reason": "缺材料"},
    )
    assert response.status_code == 409
    assert footprint(case) == snapshot[0]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ClockPause.id)).where(ClockPause.case_id == case.id)
        )
        == 0
    )


def test_a_form_without_its_version_is_refused(app):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, clerk(CD_HF))
    before = footprint(case)
    for data in (
        {"action": "accept"},
        {"action": "accept", "version": "x"},
        {"action": "fly", "version": "1"},
    ):
        response = client.post(f"/clerk/cases/{case.tracking_number}/act", data=data)
        assert response.status_code == 400
    assert footprint(case) == before


# ---- refusals come back as form errors with the typed text kept ------------------------------


def test_reason_required_is_422_with_the_message_and_the_typed_text(app):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, clerk(CD_HF))
    before = footprint(case)
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "reject",
            "version": "1",
            "reason": "  ",
            "competent_office_hint": "重庆市住房公积金管理中心渝北分中心",
        },
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "“不予受理”须填写理由" in html
    assert 'value="重庆市住房公积金管理中心渝北分中心"' in html
    assert footprint(case) == before

    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "request_supplement",
            "version": "1",
            "reason": "",
            "material": ["bank_card"],
            "note_bank_card": "卡号不清晰<script>",
        },
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "须填写理由" in html and 'value="卡号不清晰&lt;script&gt;"' in html
    assert footprint(case) == before


def test_a_rule_refusal_is_shown_not_raised(app):
    """A move the workflow no longer allows (e.g. posted from an old tab at the right
    version) is a 422 with the workflow's reason."""
    case = submit(AHDT, citizen(), CQ_HF, CD_HF)
    client = signed_in(app, clerk(CQ_HF))
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act", data={"action": "accept", "version": "1"}
    )
    assert response.status_code == 422 and "无权对该办件执行“受理”" in html_of(response)
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act", data={"action": "forward", "version": "1"}
    )
    assert response.status_code == 422 and "形式审查和身份核验" in html_of(response)


def test_reject_records_the_reason_hint_and_appeal_rights(app):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, clerk(CD_HF))
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "reject",
            "version": "1",
            "reason": "不属于本中心管辖",
            "competent_office_hint": "重庆市住房公积金管理中心",
        },
    )
    assert response.status_code == 302
    event = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event.action == "reject" and event.reason == "不属于本中心管辖"
    assert event.payload["competent_office_hint"] == "重庆市住房公积金管理中心"
    assert "行政复议" in event.payload["appeal_rights"]


def test_extension_and_delivery_fields(app):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    me = clerk(CD_HF)
    ops.act(case.id, Action.ACCEPT, me, NOW)
    client = signed_in(app, me)
    url = f"/clerk/cases/{case.tracking_number}/act"
    response = client.post(
        url,
        data={
            "action": "request_extension",
            "version": "2",
            "days": "abc",
            "reason": "需调取外省档案",
        },
    )
    assert response.status_code == 422 and "延长的工作日数（1至" in html_of(response)
    assert "需调取外省档案" in html_of(response)
    assert (
        client.post(
            url,
            data={
                "action": "request_extension",
                "version": "2",
                "days": "3",
                "reason": "需调取外省档案",
            },
        ).status_code
        == 302
    )
    assert fresh(case).extension_requested_days == 3
    ops.act(case.id, Action.APPROVE, me, NOW)
    response = client.post(
        url,
        data={"action": "deliver", "version": "4", "delivery_method": "post", "delivery_ref": ""},
    )
    assert response.status_code == 422 and "邮寄送达请填写快递单号" in html_of(response)
    assert (
        client.post(
            url,
            data={
                "action": "deliver",
                "version": "4",
                "delivery_method": "post",
                "delivery_ref": "SF1234567890",
            },
        ).status_code
        == 302
    )
    case = fresh(case)
    assert case.delivery_method == "post" and case.delivery_ref == "SF1234567890"


# ---- revealing the full ID number ------------------------------------------------------------


def test_reveal_needs_a_reason_is_audited_and_shown_only_on_its_response(app):
    applicant = citizen()
    case = submit(AHDT, applicant, CD_HF, CD_HF)
    me = clerk(CD_HF)
    client = signed_in(app, me)
    url = f"/clerk/cases/{case.tracking_number}"

    page = client.get(url)
    assert applicant.resident_id not in html_of(page)
    assert applicant.resident_id_masked in html_of(page)
    assert page.headers["Cache-Control"] == "no-store"

    refused = client.post(url + "/reveal", data={"reason": ""})
    assert refused.status_code == 422 and applicant.resident_id not in html_of(refused)
    assert "须填写理由" in html_of(refused)
    audits = sa.select(AuditEntry).where(AuditEntry.action == "reveal_resident_id")
    assert db.session.scalars(audits).all() == []

    shown = client.post(url + "/reveal", data={"reason": "核对户籍迁移信息"})
    assert shown.status_code == 200 and applicant.resident_id in html_of(shown)
    assert shown.headers["Cache-Control"] == "no-store"
    assert applicant.resident_id not in (shown.headers.get("Location") or "")
    entry = db.session.scalars(audits).one()
    assert entry.user_id == me.id and entry.detail["reason"] == "核对户籍迁移信息"
    assert entry.target == f"case:{case.tracking_number}"
    # Reloading the page shows the mask again.
    assert applicant.resident_id not in html_of(client.get(url))


# ---- claim, assign, release ------------------------------------------------------------------


def test_claim_assign_and_release(app):
    me, colleague, stranger = clerk(CD_HF), clerk(CD_HF), clerk(CQ_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, me)
    url = f"/clerk/cases/{case.tracking_number}/assign"
    assert client.post(url, data={"op": "claim", "version": "1"}).status_code == 302
    assert fresh(case).assignee_id == me.id
    response = client.post(url, data={"op": "assign", "version": "2", "assignee": stranger.id})
    assert response.status_code == 422 and "本部门的经办人员" in html_of(response)
    assert (
        client.post(
            url, data={"op": "assign", "version": "2", "assignee": colleague.id}
        ).status_code
        == 302
    )
    assert fresh(case).assignee_id == colleague.id
    assert client.post(url, data={"op": "release", "version": "2"}).status_code == 409
    assert client.post(url, data={"op": "release", "version": "3"}).status_code == 302
    assert fresh(case).assignee_id is None
    events = db.session.scalars(
        sa.select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assert events[-3:] == ["claim", "assign", "release"]


# ---- bulk --------------------------------------------------------------------------------------


def test_bulk_accept_reports_each_case(app):
    me, colleague = clerk(CD_HF), clerk(CD_HF)
    cases = [submit(AHDT, citizen(), CD_HF, CD_HF) for _ in range(3)]
    client = signed_in(app, me)
    html = html_of(client.get("/clerk/"))
    assert all(c.tracking_number in html for c in cases)
    # Meanwhile a colleague accepts the second one.
    ops.act(cases[1].id, Action.ACCEPT, colleague, NOW)
    response = client.post(
        "/clerk/bulk", data={"case": [c.tracking_number for c in cases], "op": "accept"}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "成功 2 件，未成功 1 件" in html
    refused = re.search(r'<tr class="is-refused">(.*?)</tr>', html, re.S)
    assert refused and cases[1].tracking_number in refused.group(1)
    assert "办件当前状态为“已受理”，不能受理" in refused.group(1)
    assert len(re.findall(r'<tr class="is-ok">', html)) == 2
    for c in cases:
        assert fresh(c).status is CaseStatus.ACCEPTED
    accepts = db.session.scalars(
        sa.select(CaseEvent).where(
            CaseEvent.action == "accept", CaseEvent.case_id.in_([c.id for c in cases])
        )
    ).all()
    assert sorted(e.actor_id for e in accepts) == sorted([me.id, me.id, colleague.id])


def test_bulk_assign_to_a_colleague(app):
    me, colleague = clerk(CD_HF), clerk(CD_HF)
    cases = [submit(AHDT, citizen(), CD_HF, CD_HF) for _ in range(2)]
    response = signed_in(app, me).post(
        "/clerk/bulk",
        data={
            "case": [c.tracking_number for c in cases],
            "op": "assign",
            "assignee": str(colleague.id),
        },
    )
    assert response.status_code == 200 and "成功 2 件，未成功 0 件" in html_of(response)
    assert all(fresh(c).assignee_id == colleague.id for c in cases)
    # Nothing selected, or a colleague from another office: nothing happens.
    client = signed_in(app, me)
    assert client.post("/clerk/bulk", data={"op": "accept"}).status_code == 302
    stranger = clerk(CQ_HF)
    assert (
        client.post(
            "/clerk/bulk",
            data={"case": [cases[0].tracking_number], "op": "assign", "assignee": str(stranger.id)},
        ).status_code
        == 302
    )
    assert fresh(cases[0]).assignee_id == colleague.id


# ---- canned notes and the supplement notice --------------------------------------------------


def test_canned_note_as_the_supplement_reason_with_two_items(app):
    me = clerk(CD_HF)
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    client = signed_in(app, me)
    assert (
        client.post(
            "/clerk/notes", data={"kind": "supplement", "text": "请补交清晰的身份证正反面"}
        ).status_code
        == 302
    )
    notes_page = html_of(client.get("/clerk/notes"))
    assert "请补交清晰的身份证正反面" in notes_page
    note_id = int(re.search(r"/clerk/notes/(\d+)/delete", notes_page).group(1))
    page = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert f'<option value="{note_id}">请补交清晰的身份证正反面</option>' in page

    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={
            "action": "request_supplement",
            "version": "1",
            "reason": "",
            "canned": str(note_id),
            "material": ["id_card", "bank_card", "not_a_material"],
            "note_id_card": "复印件模糊",
            "note_bank_card": "须本人名下的银行卡",
        },
    )
    assert response.status_code == 302
    pause = db.session.scalars(sa.select(ClockPause).where(ClockPause.case_id == case.id)).one()
    assert pause.reason == "请补交清晰的身份证正反面"
    assert pause.items == [
        {"material": "id_card", "note": "复印件模糊"},
        {"material": "bank_card", "note": "须本人名下的银行卡"},
    ]
    assert fresh(case).status is CaseStatus.SUPPLEMENT_REQUESTED
    html = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert "复印件模糊" in html and "暂停计时" in html


def test_canned_notes_belong_to_the_office(app):
    me, stranger = clerk(CD_HF), clerk(CQ_HF)
    client = signed_in(app, me)
    response = client.post("/clerk/notes", data={"kind": "rejection", "text": "x"})
    assert response.status_code == 422 and "2至500字" in html_of(response)
    assert (
        client.post(
            "/clerk/notes", data={"kind": "rejection", "text": "不属于本中心管辖"}
        ).status_code
        == 302
    )
    note_id = int(
        re.search(r"/clerk/notes/(\d+)/delete", html_of(client.get("/clerk/notes"))).group(1)
    )
    other = signed_in(app, stranger)
    assert "不属于本中心管辖" not in html_of(other.get("/clerk/notes"))
    assert other.post(f"/clerk/notes/{note_id}/delete").status_code == 404
    assert client.post(f"/clerk/notes/{note_id}/delete").status_code == 302
    assert "不属于本中心管辖" not in html_of(client.get("/clerk/notes"))


# ---- joint handling: sub-tasks from the other office's queue ---------------------------------


def test_joint_case_subtask_from_letter_to_completion(app):
    lead, partner = clerk(CQ_HF), clerk(CD_HF)
    case = submit(JOINT, citizen(), CQ_HF, CQ_HF)
    lead_client, partner_client = signed_in(app, lead), signed_in(app, partner)
    url = f"/clerk/cases/{case.tracking_number}"
    assert (
        lead_client.post(url + "/act", data={"action": "accept", "version": "1"}).status_code == 302
    )
    page = html_of(lead_client.get(url))
    select = re.search(r'<select[^>]*name="coop_0".*?</select>', page, re.S)
    assert select and f'value="{office(CD_HF).id}"' in select.group(0)
    assert f'value="{office(CQ_HF).id}"' not in select.group(0)  # never our own office
    # Partner cannot see the case before a letter is sent.
    assert partner_client.get(url).status_code == 404

    response = lead_client.post(url + "/act", data={"action": "start_processing", "version": "2"})
    assert response.status_code == 422 and "协办" in html_of(response)
    response = lead_client.post(
        url + "/act",
        data={"action": "start_processing", "version": "2", "coop_0": str(office(CD_HF).id)},
    )
    assert response.status_code == 302
    task = db.session.scalars(sa.select(SubTask).where(SubTask.case_id == case.id)).one()
    assert task.office_id == office(CD_HF).id and task.status is SubTaskStatus.SENT
    assert "approve" not in case_actions(html_of(lead_client.get(url)))

    queue = html_of(partner_client.get("/clerk/"))
    subtasks = queue.split('id="subtasks-title"', 1)[1]
    assert task.letter_number in subtasks and case.tracking_number in subtasks
    assert "已发函" in subtasks and office(CQ_HF).name_zh in subtasks
    page = html_of(partner_client.get(url))
    assert case_actions(page) == []  # the case's moves are the lead's
    assert re.findall(r'data-subtask-action="([a-z_]+)"', page) == [
        "subtask_accept",
        "subtask_negotiate",
    ]

    sub_url = f"/clerk/subtasks/{task.id}/act"
    response = partner_client.post(
        sub_url, data={"action": "subtask_negotiate", "version": "1", "reason": ""}
    )
    assert response.status_code == 422 and "须填写理由" in html_of(response)
    assert (
        partner_client.post(sub_url, data={"action": "subtask_accept", "version": "1"}).status_code
        == 302
    )
    assert (
        partner_client.post(
            sub_url, data={"action": "subtask_complete", "version": "1"}
        ).status_code
        == 409
    )
    assert (
        partner_client.post(
            sub_url, data={"action": "subtask_complete", "version": "2"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(SubTask, task.id).status is SubTaskStatus.DONE
    # Done: off the partner's list; the lead may now approve.
    assert (
        task.letter_number
        not in html_of(partner_client.get("/clerk/")).split('id="subtasks-title"', 1)[1]
    )
    assert "approve" in case_actions(html_of(lead_client.get(url)))
    # A stranger office can't touch the sub-task.
    stranger = signed_in(app, clerk("510100-mi"))
    assert (
        stranger.post(sub_url, data={"action": "subtask_accept", "version": "3"}).status_code == 404
    )


# ---- a late decision says why -----------------------------------------------------------------


def test_a_late_completion_asks_for_its_reason_beside_the_field(app, monkeypatch):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    me = clerk(CD_HF)
    case = ops.act(case.id, Action.ACCEPT, me, NOW)
    due = case.due_on
    assert due is not None
    later = at(date(due.year, due.month, due.day + 3))
    monkeypatch.setattr(wallclock, "now", lambda: later)
    client = signed_in(app, me)
    page = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert 'name="lateness_code"' in page and "request_extension" not in case_actions(page)
    url = f"/clerk/cases/{case.tracking_number}/act"
    before = footprint(case)
    response = client.post(url, data={"action": "approve", "version": "2", "lateness_note": "积压"})
    assert response.status_code == 422
    assert "请选择逾期原因" in html_of(response) and "积压" in html_of(response)
    response = client.post(
        url, data={"action": "approve", "version": "2", "lateness_code": "other"}
    )
    assert response.status_code == 422 and "请写明具体原因" in html_of(response)
    assert footprint(case) == before
    response = client.post(
        url,
        data={
            "action": "approve",
            "version": "2",
            "lateness_code": "coordination",
            "lateness_note": "等待转出地回函",
        },
    )
    assert response.status_code == 302
    done = fresh(case)
    assert (done.lateness_code, done.lateness_note) == ("coordination", "等待转出地回函")
    assert "等待其他部门协查或回复" in html_of(client.get(f"/clerk/cases/{case.tracking_number}"))


def test_an_on_time_completion_asks_nothing(app):
    case = submit(AHDT, citizen(), CD_HF, CD_HF)
    me = clerk(CD_HF)
    ops.act(case.id, Action.ACCEPT, me, NOW)
    client = signed_in(app, me)
    assert 'name="lateness_code"' not in html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act", data={"action": "approve", "version": "2"}
    )
    assert response.status_code == 302 and fresh(case).lateness_code is None


# ---- results and delivery ----------------------------------------------------------------------

RESULT_PDF = b"%PDF-1.4\n% result\n%%EOF\n"


def test_a_completion_with_a_result_document_and_postal_delivery_reaches_the_applicant(
    app, tmp_path
):
    files = tmp_path / "files"
    app.config["UPLOAD_FOLDER"] = str(files)
    owner = citizen()
    case = submit(AHDT, owner, CD_HF, CD_HF)
    me = clerk(CD_HF)
    ops.act(case.id, Action.ACCEPT, me, NOW)
    client = signed_in(app, me)
    url = f"/clerk/cases/{case.tracking_number}/act"
    page = html_of(client.get(f"/clerk/cases/{case.tracking_number}"))
    assert 'enctype="multipart/form-data"' in page and 'name="result"' in page
    # a file that is not a PDF/JPG/PNG: refused beside the field, nothing written or kept
    before = footprint(case)
    bad = client.post(
        url,
        data={"action": "approve", "version": "2", "result": (io.BytesIO(b"MZ\x90\x00"), "x.exe")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and 'id="result-error"' in html_of(bad)
    assert footprint(case) == before and not (files.exists() and list(files.iterdir()))
    done = client.post(
        url,
        data={
            "action": "approve",
            "version": "2",
            "result": (io.BytesIO(RESULT_PDF), "准予提取决定书.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    result = db.session.scalars(
        sa.select(Attachment).where(
            Attachment.case_id == case.id, Attachment.material_code == "_result"
        )
    ).one()
    assert result.original_name == "准予提取决定书.pdf" and result.uploaded_by_id == me.id
    sent = client.post(
        url,
        data={
            "action": "deliver",
            "version": "3",
            "delivery_method": "post",
            "delivery_ref": "ea 123456789 cn",
        },
    )
    assert sent.status_code == 302
    assert (fresh(case).delivery_ref, fresh(case).delivery_status) == ("EA123456789CN", "sent")
    # the delivery is a written notice too (送达告知书), naming the waybill
    from tracker.services.notices import notices_of

    kinds = [(n.kind, n.facts.get("delivery_ref")) for n in notices_of(case.id)]
    assert ("delivery", "EA123456789CN") in kinds, kinds
    applicant = app.test_client()
    login_as(applicant, owner)
    mine = html_of(applicant.get(f"/cases/{case.tracking_number}"))
    section = mine.split('id="result-title"', 1)[1].split("</section>", 1)[0]
    assert "准予提取决定书.pdf" in section and "EA123456789CN" in section and "已寄出" in section
    assert "<a" not in section.split("EA123456789CN", 1)[0].rsplit("<tr>", 1)[1]  # plain text
    download = applicant.get(f"/cases/{case.tracking_number}/files/{result.id}")
    body = download.get_data()
    download.close()
    assert download.status_code == 200 and body == RESULT_PDF
    # the clerk records the signature; the applicant hears of each step
    signed = client.post(f"/clerk/cases/{case.tracking_number}/delivery", data={"version": "4"})
    assert signed.status_code == 302 and fresh(case).delivery_status == "delivered"
    assert "已签收" in html_of(applicant.get(f"/cases/{case.tracking_number}"))
    notes = db.session.scalars(
        sa.select(Notification.body).where(Notification.case_id == case.id)
    ).all()
    assert any("EA123456789CN" in body for body in notes)
    assert any("寄给您的办理结果已签收" in body for body in notes)
    again = client.post(f"/clerk/cases/{case.tracking_number}/delivery", data={"version": "5"})
    assert again.status_code == 422 and "无需更新" in html_of(again)


def test_collection_at_the_counter_checks_the_pickup_code(app):
    owner = citizen()
    case = submit(AHDT, owner, CD_HF, CD_HF)
    me = clerk(CD_HF)
    ops.act(case.id, Action.ACCEPT, me, NOW)
    ops.act(case.id, Action.APPROVE, me, NOW)
    client = signed_in(app, me)
    response = client.post(
        f"/clerk/cases/{case.tracking_number}/act",
        data={"action": "deliver", "version": "3", "delivery_method": "counter"},
    )
    assert response.status_code == 302
    code = fresh(case).delivery_ref
    assert code and len(code) == 6 and code.isdigit()
    assert fresh(case).delivery_status == "awaiting_pickup"
    deliver_event = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "deliver")
    ).one()
    assert code not in str(deliver_event.payload)  # the code is not on the history
    applicant = app.test_client()
    login_as(applicant, owner)
    assert code in html_of(applicant.get(f"/cases/{case.tracking_number}"))
    url = f"/clerk/cases/{case.tracking_number}/delivery"
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(url, data={"version": "4", "code": wrong})
    assert refused.status_code == 422 and "领取码不正确" in html_of(refused)
    assert wrong in html_of(refused)  # what was typed stays
    assert fresh(case).delivery_status == "awaiting_pickup"
    assert client.post(url, data={"version": "4", "code": code}).status_code == 302
    assert fresh(case).delivery_status == "collected"
    page = html_of(applicant.get(f"/cases/{case.tracking_number}"))
    assert "已领取" in page and code not in page
