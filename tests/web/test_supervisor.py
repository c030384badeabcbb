"""The supervisor's pages (issue 5, web part): access and scope, CSV exports, odd query
strings, extension decisions, rectification moves, and a bounded number of queries per page.

The database is the demo data (120 cases through the real services), seeded once for the
module and copied per test; the clock the views read is frozen at ``NOW``."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import citizen, clerk, login_as, office, submit, supervisor
from tests.conftest import seeded_copy
from tracker.domain.states import COMPLETED_STATES, CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import (
    Case,
    CaseEvent,
    Notification,
    Office,
    Rating,
    Rectification,
    User,
)
from tracker.services import cases as ops
from tracker.services.calendar import local_date
from tracker.services.demo import DEMO_PASSWORD
from tracker.web import wallclock

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
DEFAULT_FROM = TODAY - timedelta(days=29)
PAGES = [
    "/supervisor/",
    "/supervisor/?group=office",
    "/supervisor/?group=service",
    "/supervisor/clock",
    "/supervisor/ratings",
    "/supervisor/ratings?show=all",
    "/supervisor/extensions",
    "/supervisor/workload",
]


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=120, seed=5)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def signed_in(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, user)
    return client


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def csv_links(page: str) -> list[str]:
    return [
        link.replace("&amp;", "&") for link in re.findall(r'href="([^"]*format=csv[^"]*)"', page)
    ]


def office_id(code: str) -> int:
    return office(code).id


def sichuan_item() -> Rectification:
    db.session.rollback()
    return next(
        r
        for r in db.session.scalars(sa.select(Rectification).order_by(Rectification.id))
        if db.session.get(Office, r.office_id).region_code.startswith("51")
    )


# ---- access -------------------------------------------------------------------------------


def test_every_page_answers_for_a_supervisor_in_scope(app):
    client = signed_in(app, supervisor("510000"))
    item = sichuan_item()
    for path in [
        *PAGES,
        "/supervisor/regions/510000",
        "/supervisor/regions/510100",
        f"/supervisor/offices/{office_id('510100-hf')}",
        f"/supervisor/offices/{office_id('510300-mi')}",  # an office with no cases
        f"/supervisor/rectifications/{item.id}",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    page = html(client.get("/supervisor/"))
    assert "<svg" in page and 'role="img"' in page and 'id="t-daily"' in page
    assert "监管范围：四川省" in page


def test_other_roles_are_refused_and_strangers_sent_to_log_in(app):
    anonymous = app.test_client().get("/supervisor/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for user in (citizen(), clerk("510100-hf")):
        client = signed_in(app, user)
        for path in (
            "/supervisor/",
            "/supervisor/open-data",
            "/supervisor/ratings?format=csv&table=rectifications",
        ):
            assert client.get(path).status_code == 403, (user.role, path)
        assert (
            client.post(
                f"/supervisor/rectifications/{sichuan_item().id}", data={"note": "越权推进的尝试"}
            ).status_code
            == 403
        )


def test_out_of_scope_regions_offices_and_items_answer_404(app):
    chongqing = signed_in(app, supervisor("500000"))
    item = sichuan_item()
    for path in (
        "/supervisor/regions/510000",
        "/supervisor/regions/510100",
        f"/supervisor/offices/{office_id('510100-hf')}",
        f"/supervisor/rectifications/{item.id}",
        "/supervisor/regions/999999",
        "/supervisor/regions/abc",
        "/supervisor/offices/999999",
        "/supervisor/rectifications/999999",
    ):
        assert chongqing.get(path).status_code == 404, path
    assert (
        chongqing.post(
            f"/supervisor/rectifications/{item.id}",
            data={"note": "越权推进的尝试", "stage": "verify"},
        ).status_code
        == 404
    )
    db.session.rollback()
    assert db.session.get(Rectification, item.id).stage == "verify"
    chengdu = signed_in(app, supervisor("510100"))
    assert chengdu.get("/supervisor/regions/510000").status_code == 404  # no looking upwards
    assert chengdu.get(f"/supervisor/offices/{office_id('510300-hf')}").status_code == 404
    assert chengdu.get(f"/supervisor/offices/{office_id('510100-hf')}").status_code == 200


def test_chongqing_figures_and_exports_never_include_sichuan(app):
    db.session.rollback()
    client = signed_in(app, supervisor("500000"))
    sichuan_ids = {
        o.id for o in db.session.scalars(sa.select(Office)) if o.region_code.startswith("51")
    }
    sichuan_names = {
        o.name_zh for o in db.session.scalars(sa.select(Office)) if o.region_code.startswith("51")
    }
    cq_names = {
        o.name_zh for o in db.session.scalars(sa.select(Office)) if o.region_code.startswith("50")
    }
    for path in PAGES:
        page = html(client.get(path))
        linked = {int(n) for n in re.findall(r"/supervisor/offices/(\d+)", page)}
        assert not linked & sichuan_ids, path
        assert not re.search(r"/supervisor/regions/51\d{4}", page), path
        for link in csv_links(page):
            rows = csv_rows(client.get(link))
            first_column = {row[0] for row in rows[1:]} | {
                row[1] for row in rows[1:] if len(row) > 1
            }
            assert not first_column & sichuan_names, link
    rows = csv_rows(client.get("/supervisor/?group=office&format=csv&table=by_office"))
    offices = [row[0] for row in rows[1:] if row[0] != "合计"]
    assert offices and set(offices) <= cq_names
    # The received total is what the Chongqing offices received, nothing more.
    received = sum(
        1
        for c in db.session.scalars(sa.select(Case))
        if DEFAULT_FROM <= c.received_on <= TODAY
        and db.session.get(Office, c.receiving_office_id).region_code.startswith("50")
    )
    total = next(row for row in rows if row[0] == "合计")
    assert int(total[1]) == received > 0
    # The open-data file of a Chongqing supervisor holds Chongqing regions only.
    download = client.get("/supervisor/open-data")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    path = Path(app.instance_path) / "test-open-data.sqlite"
    path.write_bytes(download.get_data())
    try:
        conn = sqlite3.connect(path)
        regions = {r[0] for r in conn.execute("SELECT DISTINCT region_code FROM daily_outcomes")}
        conn.close()
    finally:
        path.unlink()
    assert regions and all(code.startswith("50") for code in regions)


def test_pages_show_no_applicant_data(app):
    db.session.rollback()
    people = db.session.scalars(sa.select(User).where(User.phone.is_not(None))).all()
    secrets = {
        s for u in people for s in (u.real_name, u.phone, u.resident_id, u.resident_id_masked) if s
    }
    assert len(secrets) > 20
    client = signed_in(app, supervisor(None))
    item = sichuan_item()
    paths = [*PAGES, f"/supervisor/rectifications/{item.id}"]
    paths += [
        f"/supervisor/offices/{o.id}?from=2026-09-01"
        for o in db.session.scalars(
            sa.select(Office).where(
                Office.code.in_(["510100-hf", "500112-hf", "510100-mi", "500112-psb"])
            )
        )
    ]
    for path in paths:
        page = html(client.get(path))
        leaked = [s for s in secrets if s in page]
        assert not leaked, (path, leaked)
        for link in csv_links(page):
            body = client.get(link).get_data(as_text=True)
            assert not [s for s in secrets if s in body], link


# ---- CSV -----------------------------------------------------------------------------------


def test_csv_has_bom_attachment_name_and_neutralised_cells(app):
    db.session.rollback()
    item = sichuan_item()
    rating = db.session.get(Rating, item.rating_id)
    rating.comment = '=HYPERLINK("http://evil.example","点我")'
    db.session.commit()
    client = signed_in(app, supervisor("510000"))
    response = client.get("/supervisor/ratings?format=csv&table=rectifications")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="tongban-rectifications-')
    assert "filename*=UTF-8''" in disposition and disposition.isascii()
    rows = csv_rows(response)
    assert rows[0][:2] == ["办件编号", "部门"]
    comments = [row[4] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","点我")' in comments
    assert not any(cell[:1] in ("=", "+", "@") for row in rows for cell in row)
    # Numbers stay numbers (summable), text cells carry no formula.
    daily = csv_rows(client.get("/supervisor/?format=csv&table=daily"))
    assert daily[0][0] == "日期" and daily[-1][0] == "合计"
    assert int(daily[-1][1]) == sum(int(r[1]) for r in daily[1:-1])


def test_every_table_on_every_page_downloads(app):
    client = signed_in(app, supervisor(None))
    seen = 0
    for path in [*PAGES, f"/supervisor/offices/{office_id('510100-hf')}"]:
        for link in csv_links(html(client.get(path))):
            response = client.get(link)
            assert response.status_code == 200, link
            assert csv_rows(response)[0], link
            seen += 1
    assert seen >= 15
    assert client.get("/supervisor/?format=csv&table=nope").status_code == 404


# ---- odd input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-45&to=abc",
        "from=2026-11-20&to=2026-01-01",
        "from=2020-01-01&to=2026-11-20",
        "from=0001-01-01",
        "to=9999-12-31",
        "from=%00&to=%ff",
        "group=%27%20OR%201%3D1--",
        "dept=hf%27;DROP%20TABLE%20cases;--",
        "service=-1",
        "service=99999999999999999999",
        "service=abc",
        "show=evil",
        "format=xml",
        "from=2026-11-20T00:00",
        "from=" + "9" * 5000,
    ],
)
def test_odd_query_strings_give_the_default_never_an_error(app, query):
    client = signed_in(app, supervisor("510000"))
    for path in (
        "/supervisor/",
        "/supervisor/clock",
        "/supervisor/ratings",
        "/supervisor/workload",
        "/supervisor/regions/510100",
    ):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)
    page = html(client.get("/supervisor/?from=2026-13-45&to=abc"))
    assert f"{DEFAULT_FROM.isoformat()} 至 {TODAY.isoformat()}" in page


def test_range_and_filters_are_kept(app):
    client = signed_in(app, supervisor("500000"))
    page = html(client.get("/supervisor/?from=2026-11-09&to=2026-11-15&dept=hf&group=office"))
    assert "2026-11-09 至 2026-11-15" in page
    assert 'value="hf" selected' in page
    # Drill-down links keep the range and the department.
    assert re.search(
        r"/supervisor/offices/\d+\?from=2026-11-09&amp;to=2026-11-15"
        r"&amp;group=office&amp;dept=hf",
        page,
    )


def test_late_completions_of_an_office_with_their_reasons(app):
    """'How many did this office complete late last week, and why': the office page lists the
    late completions in the range with the reasons from their history."""
    db.session.rollback()
    late = [
        c
        for c in db.session.scalars(sa.select(Case))
        if c.status in COMPLETED_STATES and c.due_on and local_date(c.completed_at) > c.due_on
    ]
    case = late[0]
    db.session.add(
        CaseEvent(
            case_id=case.id,
            at=case.completed_at - timedelta(hours=1),
            actor_role="clerk",
            office_id=case.competent_office_id,
            action=Action.START_SPECIAL.value,
            from_status=CaseStatus.PROCESSING,
            to_status=CaseStatus.SPECIAL_PROCEDURE,
            reason="需组织现场核查",
            payload={},
        )
    )
    db.session.commit()
    client = signed_in(app, supervisor(None))
    done = local_date(case.completed_at)
    page = html(
        client.get(
            f"/supervisor/offices/{case.competent_office_id}"
            f"?from={done.isoformat()}&to={done.isoformat()}"
        )
    )
    section = page.split('id="late-title"', 1)[1].split("</section>", 1)[0]
    assert case.tracking_number in section
    assert "启动特别程序：需组织现场核查" in section


# ---- extensions -----------------------------------------------------------------------------


def extension_case() -> Case:
    """Asked for on 19 Nov, due 23 Nov: still decidable at ``NOW`` (20 Nov)."""
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 11, 18, 3, tzinfo=UTC))
    return ops.act(
        case.id,
        Action.REQUEST_EXTENSION,
        cd,
        datetime(2026, 11, 19, 3, tzinfo=UTC),
        reason="需跨省核对缴存记录",
        payload={"days": 2},
    )


def test_extension_requests_are_listed_and_decided_with_a_reason(app):
    case = extension_case()
    client = signed_in(app, supervisor("510000"))
    page = html(client.get("/supervisor/extensions"))
    assert case.tracking_number in page and "需跨省核对缴存记录" in page
    # A reason is required; nothing changes without one.
    refused = client.post(
        f"/supervisor/extensions/{case.id}",
        data={"decision": "approve", "reason": " ", "version": case.version},
    )
    assert refused.status_code == 422 and "请填写理由" in html(refused)
    response = client.post(
        f"/supervisor/extensions/{case.id}",
        data={"decision": "approve", "reason": "同意延长两个工作日", "version": case.version},
    )
    assert response.status_code == 302
    db.session.rollback()
    fresh = db.session.get(Case, case.id)
    assert fresh.extension_days == 2 and fresh.extension_requested_days is None
    event = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event.action == "approve_extension" and event.reason == "同意延长两个工作日"
    notes = db.session.scalars(
        sa.select(Notification.body).where(Notification.user_id == case.applicant_id)
    ).all()
    assert any("同意延长两个工作日" in body for body in notes)  # the applicant sees the reason
    after = html(client.get(response.headers["Location"]))
    assert "已批准延期" in after and f'id="ext-{case.id}"' not in after


def test_extension_decisions_outside_the_scope_are_refused(app):
    case = extension_case()
    chongqing = signed_in(app, supervisor("500000"))
    assert case.tracking_number not in html(chongqing.get("/supervisor/extensions"))
    response = chongqing.post(
        f"/supervisor/extensions/{case.id}",
        data={"decision": "refuse", "reason": "不同意", "version": case.version},
    )
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Case, case.id).extension_requested_days == 2
    # A stale version is a conflict, nothing written.
    sichuan = signed_in(app, supervisor("510000"))
    stale = sichuan.post(
        f"/supervisor/extensions/{case.id}",
        data={"decision": "refuse", "reason": "不同意", "version": case.version - 1},
    )
    assert stale.status_code == 409
    db.session.rollback()
    assert db.session.get(Case, case.id).extension_requested_days == 2


# ---- rectification -------------------------------------------------------------------------


def rated_office_clerk(item: Rectification) -> User:
    return clerk(db.session.get(Office, item.office_id).code)


def test_rectification_moves_with_a_note_and_shows_its_history(app):
    item = sichuan_item()
    sup = signed_in(app, supervisor("510000"))
    # 核实 is the rated office's: the supervisor's page offers no form, a posted one is refused
    assert 'name="note"' not in html(sup.get(f"/supervisor/rectifications/{item.id}"))
    refused = sup.post(
        f"/supervisor/rectifications/{item.id}",
        data={"note": "电话核实：排队时间过长属实", "stage": "verify"},
    )
    assert refused.status_code == 422
    client = signed_in(app, rated_office_clerk(item))
    assert f"/clerk/rectifications/{item.id}" in html(client.get("/clerk/rectifications"))
    empty = client.post(f"/clerk/rectifications/{item.id}", data={"note": "", "stage": "verify"})
    assert empty.status_code == 422 and "请填写本阶段的处理情况" in html(empty)
    moved = client.post(
        f"/clerk/rectifications/{item.id}",
        data={"note": "电话核实：排队时间过长属实", "stage": "verify"},
    )
    assert moved.status_code == 302
    page = html(client.get(moved.headers["Location"]))
    assert "电话核实：排队时间过长属实" in page and "整改" in page
    db.session.rollback()
    assert db.session.get(Rectification, item.id).stage == "rectify"
    # The same form posted again (stale stage) moves nothing.
    again = client.post(
        f"/clerk/rectifications/{item.id}",
        data={"note": "电话核实：排队时间过长属实", "stage": "verify"},
    )
    assert again.status_code == 409
    db.session.rollback()
    assert db.session.get(Rectification, item.id).stage == "rectify"
    assert "电话核实：排队时间过长属实" in html(sup.get(f"/supervisor/rectifications/{item.id}"))
    rows = csv_rows(sup.get("/supervisor/ratings?format=csv&table=stages&from=2026-09-01"))
    assert ["整改", "1"] in rows
    # another office's clerk: the same 404 as no item
    other = signed_in(app, clerk("500112-hf"))
    assert other.get(f"/clerk/rectifications/{item.id}").status_code == 404


def test_the_office_replies_the_supervisor_follows_up_sends_back_and_the_applicant_rates_again(
    app,
):
    item = sichuan_item()
    office_client = signed_in(app, rated_office_clerk(item))
    for stage, note in (("verify", "核实属实，排队过长"), ("rectify", "已增开一个窗口")):
        assert (
            office_client.post(
                f"/clerk/rectifications/{item.id}", data={"note": note, "stage": stage}
            ).status_code
            == 302
        )
    page = html(office_client.get(f"/clerk/rectifications/{item.id}"))
    assert "给申请人的答复" in page  # the 反馈 note is the reply
    reply = "您好，我们已增开窗口，今后等候时间将明显缩短。"
    assert (
        office_client.post(
            f"/clerk/rectifications/{item.id}", data={"note": reply, "stage": "reply"}
        ).status_code
        == 302
    )
    db.session.rollback()
    case = db.session.get(Case, item.case_id)
    applicant = db.session.get(User, case.applicant_id)
    assert any(
        reply in n.body
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.user_id == applicant.id)
        )
    )
    sup = signed_in(app, supervisor("510000"))
    url = f"/supervisor/rectifications/{item.id}"
    assert (
        sup.post(url, data={"note": "回访：申请人表示认可", "stage": "follow_up"}).status_code
        == 302
    )
    back = sup.post(
        url, data={"note": "复核：整改未落实到位", "stage": "review", "op": "send_back"}
    )
    assert back.status_code == 302
    db.session.rollback()
    sent_back = db.session.get(Rectification, item.id)
    assert sent_back.stage == "rectify" and sent_back.history[-1]["sent_back"] is True
    assert "退回整改" in html(office_client.get(f"/clerk/rectifications/{item.id}"))
    # the applicant saw the reply and rates again, once
    citizen_client = app.test_client()
    login_as(citizen_client, applicant, DEMO_PASSWORD)  # a demo applicant
    own = html(citizen_client.get(f"/cases/{case.tracking_number}"))
    assert reply in own, own.split('id="rate-title"', 1)[-1][:1500]
    assert "follow-up-form" in own
    assert (
        citizen_client.post(
            f"/cases/{case.tracking_number}/follow-up", data={"score": "4", "comment": "好多了"}
        ).status_code
        == 302
    )
    own = html(citizen_client.get(f"/cases/{case.tracking_number}"))
    assert "follow-up-form" not in own and "您的追加评价" in own and "好多了" in own
    db.session.rollback()
    assert db.session.get(Rating, item.rating_id).follow_up_score == 4


# ---- speed by design ------------------------------------------------------------------------


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_queries_per_page_are_few_and_do_not_grow_with_the_data(app):
    client = signed_in(app, supervisor("510000"))
    paths = [*PAGES, "/supervisor/regions/510100", f"/supervisor/offices/{office_id('510100-hf')}"]

    def counts() -> dict[str, int]:
        out = {}
        for path in paths:
            with counting_queries() as statements:
                assert client.get(path).status_code == 200
            out[path] = len(statements)
        return out

    extension_case()  # one request pending, so that the extension page reads the reasons
    # one case overdue at the office, so that its overdue list reads the reasons' trail
    overdue = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    ops.act(overdue.id, Action.ACCEPT, clerk("510100-hf"), datetime(2026, 11, 2, 3, tzinfo=UTC))
    counts()  # warm-up: the working-day calendar is loaded once per process
    before = counts()
    assert max(before.values()) <= 20, before
    # Twenty more cases, overdue ones and extension requests among them: same number of queries.
    cd = clerk("510100-hf")
    for _ in range(10):
        extension_case()
        case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
        ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 11, 2, 3, tzinfo=UTC))
    assert counts() == before


# ---- lateness: reasons and working days on the office's lists -------------------------------


def late_and_overdue_cases() -> tuple[Case, Case]:
    """Two cases accepted Mon 2 Nov (due Thu 5 Nov): one decided Mon 16 Nov with its lateness
    reason (7 working days late, 11 calendar days), one still open at ``NOW`` (Fri 20 Nov: 11
    working days overdue, 15 calendar days)."""
    cd = clerk("510100-hf")
    cases = []
    for _ in range(2):
        case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
        case = ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 11, 2, 3, tzinfo=UTC))
        assert case.due_on == date(2026, 11, 5)
        cases.append(case)
    done = ops.act(
        cases[0].id,
        Action.APPROVE,
        cd,
        datetime(2026, 11, 16, 3, tzinfo=UTC),
        payload={"lateness_code": "coordination", "lateness_note": "等待转出地回函"},
    )
    return done, cases[1]


def row_of(rows: list[list[str]], tracking_number: str) -> list[str]:
    return next(r for r in rows if r and r[0] == tracking_number)


def test_the_office_lists_count_working_days_and_show_the_lateness_reason(app):
    done, open_case = late_and_overdue_cases()
    client = signed_in(app, supervisor("510000"))
    base = f"/supervisor/offices/{office_id('510100-hf')}?from=2026-11-16&to=2026-11-16"
    late = csv_rows(client.get(base + "&format=csv&table=late"))
    assert "超期工作日" in late[0] and "逾期原因" in late[0]
    row = row_of(late, done.tracking_number)
    assert row[late[0].index("超期工作日")] == "7"
    assert "等待其他部门协查或回复" in row[late[0].index("逾期原因")]
    assert "等待转出地回函" in row[late[0].index("逾期原因")]
    overdue = csv_rows(client.get(base + "&format=csv&table=overdue"))
    assert "逾期工作日" in overdue[0]
    assert row_of(overdue, open_case.tracking_number)[overdue[0].index("逾期工作日")] == "11"
    page = html(client.get(base))
    section = page.split('id="late-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/supervisor/cases/{done.tracking_number}"' in section
    section = page.split('id="overdue-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/supervisor/cases/{open_case.tracking_number}"' in section


def test_a_supervisor_opens_a_case_in_scope_read_only_with_the_applicant_masked(app):
    done, _open = late_and_overdue_cases()
    client = signed_in(app, supervisor("510000"))
    response = client.get(f"/supervisor/cases/{done.tracking_number}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = html(response)
    db.session.rollback()
    applicant = db.session.get(User, done.applicant_id)
    assert applicant.real_name not in page and applicant.phone not in page
    assert "等待其他部门协查或回复" in page and "等待转出地回函" in page  # the reason
    assert "2026-11-05" in page  # the clock: the due date
    assert 'name="action"' not in page and "/clerk/" not in page  # read-only: no moves
    # outside the scope, or not a case: the same 404
    chongqing = signed_in(app, supervisor("500000"))
    assert chongqing.get(f"/supervisor/cases/{done.tracking_number}").status_code == 404
    assert client.get("/supervisor/cases/510000000000000").status_code == 404
    assert (
        signed_in(app, clerk("510100-hf"))
        .get(f"/supervisor/cases/{done.tracking_number}")
        .status_code
        == 403
    )
