"""The clerk workbench in Chromium: four journeys, every clerk move clicked by that clerk.

1. fully online: the Chengdu medical-insurance agency accepts and approves;
2. accept here, decide there: Chongqing checks and forwards, Chengdu accepts and approves;
3. joint housing-fund transfer: Chongqing leads, Chengdu works the contact letter;
4. supplement round trip: the clock pauses, the citizen uploads, the due date moves on.

Each person has their own browser context and logs in through /login. The business clock of
the clerk and citizen pages is frozen (and moved on by the tests) so that dates are exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.browser.conftest import RESULTS
from tests.builders import NOW, PASSWORD, citizen, clerk, office, submit
from tracker.domain.states import CaseStatus, Role, SubTaskStatus
from tracker.extensions import db
from tracker.models import Attachment, Case, CaseEvent, ClockPause, SubTask, User
from tracker.services.calendar import get_calendar
from tracker.services.uploads import opened
from tracker.web import wallclock

PDF = b"%PDF-1.4\n%%EOF\n"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Clock:
    """The time the clerk and citizen pages believe it is (UTC)."""

    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, app: Flask) -> Clock:
    c = Clock(NOW)  # Monday 2026-11-02, 10:00 in Shanghai
    monkeypatch.setattr(wallclock, "now", lambda: c.now)
    # The journeys move the one web clock on by hours and days; sessions (which read the
    # same clock) must outlast them, as the session timeouts are not what is tested here.
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 60 * 24 * 30)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 24 * 30)
    return c


@pytest.fixture
def person(page, request) -> Iterator[Callable[[User], Any]]:  # type: ignore[no-untyped-def]
    """``person(user)``: a page in a fresh browser context, logged in as ``user`` through the
    login form. Console errors of every context go to ``page.problems``; on failure each
    context's screenshot and text are saved beside the main page's."""
    pages: list[tuple[str, Any]] = []

    def open_as(user: User) -> Any:
        if not pages:
            p = page  # the first person uses the fixture's own page
        else:
            context = page.context.browser.new_context(
                locale="zh-CN", viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(8000)
            p = context.new_page()
            p.on(
                "console",
                lambda m: (
                    m.type == "error"
                    and "status of 422" not in m.text
                    and page.problems.append(m.text)
                ),
            )
            p.on("pageerror", lambda e: page.problems.append(str(e)))
            p.base = page.base
        pages.append((user.username or user.phone or str(user.id), p))
        log_in(p, user)
        return p

    yield open_as
    failed = getattr(request.node, "failed_call", False)
    for who, p in pages[1:]:
        if failed:
            RESULTS.mkdir(exist_ok=True)
            name = f"{request.node.name}-{who}".replace("/", "_")
            p.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
            (RESULTS / f"{name}.txt").write_text(
                p.url + "\n" + p.inner_text("body"), encoding="utf-8"
            )
        p.context.close()


def log_in(p, user: User) -> None:  # type: ignore[no-untyped-def]
    p.goto(p.base + "/login")
    p.get_by_label("手机号 / 身份证号 / 用户名").fill(
        user.phone if user.role is Role.CITIZEN else user.username
    )
    p.get_by_label("密码").fill(PASSWORD)
    with p.expect_navigation():
        p.get_by_role("button", name="登录", exact=True).click()
    expected = "/cases" if user.role is Role.CITIZEN else "/clerk/"
    assert p.url.endswith(expected), p.url


def click_and_wait(p, button) -> None:  # type: ignore[no-untyped-def]
    """Submit a form and wait for the page it leads to (a redirect back to the same URL
    included, which ``wait_for_url`` alone would not notice)."""
    with p.expect_navigation():
        button.click()


def act(p, label: str, *, done: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Click the case page's button for a move without extra fields, then see it done."""
    click_and_wait(p, p.get_by_role("button", name=label, exact=True))
    assert p.get_by_text(done or f"已完成：{label}").is_visible(), p.inner_text("main")


def open_move(p, label: str) -> None:  # type: ignore[no-untyped-def]
    """Open the <details> of a move that has fields (its summary carries the move's name)."""
    p.locator("summary").get_by_text(label, exact=True).click()


def approve(p) -> None:  # type: ignore[no-untyped-def]
    open_move(p, "办结（通过）")
    click_and_wait(p, p.get_by_role("button", name="确认办结（通过）"))
    assert p.get_by_text("已完成：办结（通过）").is_visible()


def status_badges(p) -> str:  # type: ignore[no-untyped-def]
    """The badges under the case heading (mode, status, due)."""
    return p.get_by_role("heading", level=1).locator("xpath=following-sibling::p[1]").inner_text()


def fact(p, label: str) -> str:  # type: ignore[no-untyped-def]
    """The value cell of a row of a facts table, by its row heading."""
    return (
        p.get_by_role("row")
        .filter(has=p.get_by_role("rowheader", name=label, exact=True))
        .get_by_role("cell")
        .inner_text()
    )


def due_on(p) -> date | None:  # type: ignore[no-untyped-def]
    found = DATE.search(fact(p, "承诺办结日期"))
    return date.fromisoformat(found.group()) if found else None


def timeline_entry(p, action: str):  # type: ignore[no-untyped-def]
    timeline = p.get_by_role("region", name="办理过程")
    return timeline.get_by_role("listitem").filter(has=p.get_by_text(action, exact=True)).last


def open_from_queue(p, number: str) -> None:  # type: ignore[no-untyped-def]
    queue = p.get_by_role("region", name="本部门办件")
    queue.get_by_role("link", name=number).click()
    p.wait_for_url(f"**/clerk/cases/{number}")
    assert p.get_by_text(number).first.is_visible()


def in_queue(p, number: str) -> bool:  # type: ignore[no-untyped-def]
    p.goto(p.base + "/clerk/")
    return p.get_by_role("region", name="本部门办件").get_by_role("link", name=number).count() == 1


def load(number: str) -> Case:
    db.session.rollback()
    return db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()


def events(case: Case) -> list[tuple[str, int | None, int | None]]:
    """(action, actor id, office id) of each event, in order."""
    return [
        (e.action, e.actor_id, e.office_id)
        for e in db.session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    ]


# ---- 1. fully online -----------------------------------------------------------------------


def test_fully_online_case_accepted_and_approved(page, person, clock: Clock):
    applicant = citizen()
    mi = clerk("510100-mi")
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi", now=NOW)
    number = case.tracking_number
    clock.advance(hours=1)

    p = person(mi)
    assert p.get_by_text("成都市医疗保障事务服务中心").first.is_visible()
    row = p.get_by_role("row").filter(has=p.get_by_role("link", name=number))
    assert "异地就医登记备案" in row.inner_text() and "已接件" in row.inner_text()
    open_from_queue(p, number)
    assert "全程网办" in status_badges(p) and "已接件" in status_badges(p)
    assert p.get_by_role("button", name="形式审查").count() == 0  # nothing to forward
    assert p.get_by_role("button", name="转办至办理地").count() == 0

    act(p, "受理")
    assert "已受理" in status_badges(p)
    assert fact(p, "受理日期") == "2026-11-02"
    if p.get_by_role("button", name="开始办理", exact=True).count():
        clock.advance(minutes=10)
        act(p, "开始办理")
        assert "部门开始办理" in status_badges(p)
    clock.advance(minutes=10)
    approve(p)
    assert "办结（通过）" in status_badges(p)
    assert timeline_entry(p, "办结（通过）").is_visible()
    assert p.get_by_text("办结时间").is_visible()
    # A decided case offers nothing that changes its state; it leaves the open queue.
    for move in ("受理", "开始办理", "撤销"):
        assert p.get_by_role("button", name=move, exact=True).count() == 0
    assert not in_queue(p, number)

    # The applicant sees the decision on their own case page, and may rate it.
    mine = person(applicant)
    mine.goto(f"{mine.base}/cases/{number}")
    assert "办结（通过）" in status_badges(mine)
    assert mine.get_by_role("heading", name="服务评价（好差评）").is_visible()
    assert mine.get_by_text("成都市医疗保障事务服务中心").first.is_visible()

    stored = load(number)
    assert stored.status is CaseStatus.APPROVED
    assert stored.completed_at is not None and stored.accepted_at is not None
    moves = events(stored)
    assert moves[0][0] == "submit" and moves[-1][0] == "approve"
    assert {a for a, _, _ in moves[1:]} <= {"accept", "start_processing", "approve"}
    assert all(actor == mi.id and where == office("510100-mi").id for _, actor, where in moves[1:])
    assert page.problems == [], page.problems


# ---- 2. accept here, decide there ----------------------------------------------------------


def test_accept_here_forward_and_decide_there(page, person, clock: Clock):
    applicant = citizen()
    cq, cd = clerk("500112-hf"), clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", applicant, "500112-hf", "510100-hf", now=NOW)
    number = case.tracking_number
    clock.advance(hours=1)

    # Chengdu decides but does not hold the case yet: not in its queue.
    chengdu = person(cd)
    assert not in_queue(chengdu, number)

    chongqing = person(cq)
    open_from_queue(chongqing, number)
    assert "异地代收代办" in status_badges(chongqing)
    assert chongqing.get_by_role("button", name="形式审查", exact=True).is_visible()
    assert chongqing.get_by_role("button", name="身份核验", exact=True).is_visible()
    # Chongqing may not accept (it is not competent), nor forward before both checks.
    assert chongqing.get_by_role("button", name="受理", exact=True).count() == 0
    assert chongqing.locator("summary").get_by_text("不予受理", exact=True).count() == 0
    assert chongqing.get_by_role("button", name="转办至办理地").count() == 0

    act(chongqing, "形式审查")
    assert chongqing.get_by_role("button", name="形式审查", exact=True).count() == 0
    assert chongqing.get_by_role("button", name="转办至办理地").count() == 0
    clock.advance(minutes=5)
    act(chongqing, "身份核验")
    clock.advance(minutes=5)
    act(chongqing, "转办至办理地")
    assert chongqing.get_by_text("本部门不持有该办件，仅可查看").is_visible()
    assert chongqing.get_by_text("本部门当前没有可执行的办理操作。").is_visible()
    assert "成都住房公积金管理中心" in chongqing.get_by_text("当前办理部门：").inner_text()
    assert not in_queue(chongqing, number)

    # Chengdu now holds it: it accepts and approves.
    clock.advance(hours=1)
    assert in_queue(chengdu, number)
    open_from_queue(chengdu, number)
    assert chengdu.get_by_role("button", name="形式审查", exact=True).count() == 0
    act(chengdu, "受理")
    if chengdu.get_by_role("button", name="开始办理", exact=True).count():
        clock.advance(minutes=10)
        act(chengdu, "开始办理")
    clock.advance(minutes=10)
    approve(chengdu)
    assert "办结（通过）" in status_badges(chengdu)

    # The history names both offices, each beside its own moves.
    for move in ("形式审查", "身份核验", "转办至办理地"):
        assert "重庆市住房公积金管理中心" in timeline_entry(chengdu, move).inner_text()
    for move in ("受理", "办结（通过）"):
        assert "成都住房公积金管理中心" in timeline_entry(chengdu, move).inner_text()
    # Chongqing can still look at the case it received, and sees it completed.
    chongqing.goto(f"{chongqing.base}/clerk/cases/{number}")
    assert "办结（通过）" in status_badges(chongqing)

    stored = load(number)
    assert stored.status is CaseStatus.APPROVED
    assert stored.custody_office_id == office("510100-hf").id
    assert stored.formal_checked_at is not None and stored.identity_checked_at is not None
    moves = events(stored)
    by_cq = [a for a, actor, where in moves if actor == cq.id]
    by_cd = [a for a, actor, where in moves if actor == cd.id]
    assert by_cq == ["formal_check", "identity_check", "forward"]
    assert by_cd[0] == "accept" and by_cd[-1] == "approve"
    assert page.problems == [], page.problems


# ---- 3. joint handling: housing-fund transfer -------------------------------------------


def test_housing_fund_transfer_with_a_subtask_at_the_other_centre(page, person, clock: Clock):
    applicant = citizen()
    lead, other = clerk("500112-hf"), clerk("510100-hf")
    case = submit("hf-transfer", applicant, "500112-hf", "500112-hf", now=NOW)
    number = case.tracking_number
    clock.advance(hours=1)

    cq = person(lead)
    open_from_queue(cq, number)
    assert "多地联办" in status_badges(cq)
    assert cq.get_by_text("尚未发出联系函").is_visible()
    act(cq, "受理")

    # Start processing: one cooperating office per cooperation role, chosen from a list.
    clock.advance(minutes=10)
    open_move(cq, "开始办理")
    role = cq.get_by_label("转出地公积金中心", exact=True)
    offered = [o.strip() for o in role.locator("option").all_inner_texts()]
    assert "重庆市住房公积金管理中心" not in offered  # never our own office
    role.select_option(label="成都住房公积金管理中心")
    click_and_wait(cq, cq.get_by_role("button", name="确认开始办理"))
    assert cq.get_by_text("已完成：开始办理").is_visible()
    assert "部门开始办理" in status_badges(cq)
    letter = f"LXH{number}-1"
    subtasks = cq.get_by_role("region", name="协办任务（联系函）")
    assert subtasks.get_by_text(letter).is_visible()
    assert "已发函" in subtasks.inner_text() and "成都住房公积金管理中心" in subtasks.inner_text()
    # While the sub-task is open the case cannot be approved.
    assert cq.locator("summary").get_by_text("办结（通过）", exact=True).count() == 0
    assert cq.get_by_role("button", name="确认办结（通过）").count() == 0

    # The transfer-out centre finds the contact letter under 协办任务 in its queue.
    clock.advance(hours=2)
    cd = person(other)
    tasks = cd.get_by_role("region", name="协办任务")
    assert not in_queue(cd, number)  # the case itself is not Chengdu's to hold
    row = tasks.get_by_role("row").filter(has=cd.get_by_role("link", name=letter))
    assert "转出地公积金中心" in row.inner_text() and "已发函" in row.inner_text()
    assert "重庆市住房公积金管理中心" in row.inner_text()
    row.get_by_role("link", name=letter).click()
    cd.wait_for_url(f"**/clerk/cases/{number}*")
    assert cd.get_by_text("本部门不持有该办件，仅可查看和办理协办任务").is_visible()
    assert cd.get_by_role("button", name="完成协办任务").count() == 0  # accept it first
    act(cd, "接收协办任务", done=f"联系函 {letter}：已完成“接收协办任务”")
    clock.advance(hours=1)
    act(cd, "完成协办任务", done=f"联系函 {letter}：已完成“完成协办任务”")
    assert "已完成" in cd.get_by_role("region", name="协办任务（联系函）").inner_text()
    cd.goto(cd.base + "/clerk/")
    assert cd.get_by_role("region", name="协办任务").get_by_text("暂无协办任务").is_visible()

    # Back at the lead centre: now the case can be approved.
    clock.advance(minutes=30)
    cq.reload()
    approve(cq)
    assert "办结（通过）" in status_badges(cq)
    for move in ("接收协办任务", "完成协办任务"):
        entry = timeline_entry(cq, move).inner_text()
        assert "成都住房公积金管理中心" in entry and f"联系函编号：{letter}" in entry

    stored = load(number)
    assert stored.status is CaseStatus.APPROVED
    task = db.session.scalars(sa.select(SubTask).where(SubTask.case_id == stored.id)).one()
    assert (task.letter_number, task.status) == (letter, SubTaskStatus.DONE)
    assert task.office_id == office("510100-hf").id and task.done_at is not None
    moves = events(stored)
    assert [a for a, actor, _ in moves if actor == other.id] == [
        "subtask_accept",
        "subtask_complete",
    ]
    assert [a for a, actor, _ in moves if actor == lead.id][-1] == "approve"
    assert page.problems == [], page.problems


# ---- 4. supplement round trip ----------------------------------------------------------


def test_supplement_round_trip_pauses_the_clock(page, person, clock: Clock, app, tmp_path: Path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "退休证明（补正）.pdf"
    scan.write_bytes(PDF)
    applicant = citizen()
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf", now=NOW)
    number = case.tracking_number

    # Monday: accepted; three working days promised.
    clock.advance(hours=1)
    p = person(cd)
    open_from_queue(p, number)
    act(p, "受理")
    original = due_on(p)
    assert original == date(2026, 11, 5), fact(p, "承诺办结日期")

    # Tuesday: one notice listing the faulty material, with a note and a reason.
    clock.advance(days=1)
    p.reload()
    open_move(p, "一次性告知补正")
    p.get_by_label("退休证明", exact=True).check()
    p.get_by_label("退休证明 补正说明").fill("退休证扫描件不清晰，请上传原件扫描件")
    p.get_by_label("补正告知说明").fill("材料不清晰，无法审核")
    click_and_wait(p, p.get_by_role("button", name="确认一次性告知补正"))
    assert p.get_by_text("已完成：一次性告知补正").is_visible()
    assert "补正开始" in status_badges(p) and "暂停" in status_badges(p)
    assert due_on(p) is None and "计时暂停中" in fact(p, "承诺办结日期")
    pauses = p.get_by_role("heading", name="暂停计时").locator("xpath=following-sibling::div[1]")
    assert "进行中" in pauses.inner_text()
    assert "退休证明：退休证扫描件不清晰，请上传原件扫描件" in pauses.inner_text()
    assert p.get_by_role("button", name="受理", exact=True).count() == 0
    held = load(number)
    assert held.due_on is None and held.status is CaseStatus.SUPPLEMENT_REQUESTED

    # Friday: the applicant answers from their own browser.
    clock.advance(days=3)
    mine = person(applicant)
    mine.goto(f"{mine.base}/cases/{number}")
    assert mine.get_by_text("补正通知（一次性告知）").is_visible()
    # (shown in the timeline and again in the 补正材料通知书 on the page)
    assert mine.get_by_text("退休证扫描件不清晰，请上传原件扫描件").first.is_visible()
    assert "计时暂停中" in fact(mine, "承诺办结日期")
    mine.get_by_role("link", name="补正材料").click()
    mine.wait_for_url(f"**/cases/{number}/supplement")
    mine.get_by_label("上传退休证明").set_input_files(str(scan))
    click_and_wait(mine, mine.get_by_role("button", name="提交补正材料"))
    assert mine.url.endswith(f"/cases/{number}"), mine.url
    assert mine.get_by_text("补正材料已提交").first.is_visible()
    assert "补正结束" in status_badges(mine)

    # The clerk reloads: supplement received, a due date again, later by the paused days.
    p.reload()
    assert "补正结束" in status_badges(p)
    resumed = due_on(p)
    paused_days = get_calendar().working_days_between(date(2026, 11, 3), date(2026, 11, 6))
    assert paused_days == 3  # Wed, Thu, Fri do not count
    assert resumed == get_calendar().add_working_days(original, paused_days) == date(2026, 11, 10)
    pause_row = p.get_by_role("row").filter(has=p.get_by_role("rowheader", name="补正"))
    assert "2026-11-03" in pause_row.inner_text() and "2026-11-06" in pause_row.inner_text()
    assert p.get_by_role("link", name=scan.name).is_visible()
    request = timeline_entry(p, "一次性告知补正").inner_text()
    assert "成都住房公积金管理中心" in request and "材料不清晰，无法审核" in request
    assert "申请人" in timeline_entry(p, "提交补正材料").inner_text()

    stored = load(number)
    assert stored.status is CaseStatus.SUPPLEMENTED and stored.due_on == date(2026, 11, 10)
    pause = db.session.scalars(sa.select(ClockPause).where(ClockPause.case_id == stored.id)).one()
    assert (pause.kind, pause.started_on, pause.ended_on) == (
        "supplement",
        date(2026, 11, 3),
        date(2026, 11, 6),
    )
    assert pause.items == [
        {"material": "retirement_proof", "note": "退休证扫描件不清晰，请上传原件扫描件"}
    ]
    upload = db.session.scalars(
        sa.select(Attachment).where(
            Attachment.case_id == stored.id, Attachment.material_code == "retirement_proof"
        )
    ).one()
    assert upload.original_name == scan.name
    assert b"".join(opened(tmp_path / "uploads" / upload.stored_name)) == PDF
    assert [a for a, _, _ in events(stored)] == [
        "submit",
        "accept",
        "request_supplement",
        "submit_supplement",
    ]
    assert page.problems == [], page.problems


def test_searching_by_name_keeps_the_name_out_of_the_address(page, person, clock: Clock):
    """SECURITY #13 item 8: the name a clerk searches for never reaches a URL (access logs)."""
    wang, li = citizen(), citizen()
    first = submit("mi-offsite-registration", wang, "510100-mi", "510100-mi", now=NOW)
    second = submit("mi-offsite-registration", li, "510100-mi", "510100-mi", now=NOW)
    clock.advance(hours=1)
    p = person(clerk("510100-mi"))
    urls: list[str] = []
    p.on("request", lambda r: urls.append(r.url))
    p.get_by_label("办件编号或申请人姓名").fill(li.real_name)
    with p.expect_navigation():
        p.get_by_role("button", name="筛选", exact=True).click()
    assert p.get_by_role("link", name=second.tracking_number).count() == 1
    assert p.get_by_role("link", name=first.tracking_number).count() == 0
    assert p.get_by_label("办件编号或申请人姓名").input_value() == li.real_name
    from urllib.parse import unquote

    assert urls and not any(li.real_name in unquote(u) for u in urls), urls
