"""The case's end in Chromium: a completion with a result document and postal delivery
reaches the citizen; a late completion asks for its reason and shows up with it on the
supervisor's list; a bad rating goes through the office's and the supervisor's stages and
the applicant receives the reply. Each person logs in through /login in their own context;
the business clock is frozen (Monday 2026-11-02, 10:00 in Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.browser import test_clerk_journeys as journeys
from tests.builders import PASSWORD, citizen, clerk, submit, supervisor
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, Rectification
from tracker.services import cases as ops

# The clerk journeys' fixtures (a frozen business clock, one logged-in context per person).
clock = journeys.clock
person = journeys.person
click_and_wait, open_move = journeys.click_and_wait, journeys.open_move

AHDT = "hf-retirement-withdrawal"
CD_HF = "510100-hf"
PDF = b"%PDF-1.4\n% result\n%%EOF\n"
SHOTS = Path("/work/shots/case-end")


def shoot(p, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshots at 1280 and 360 px, when the shots folder exists (looked at by hand)."""
    if not SHOTS.is_dir():
        return
    for width in (1280, 360):
        p.set_viewport_size({"width": width, "height": 900})
        p.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    p.set_viewport_size({"width": 1280, "height": 900})


def fresh(case_id: int) -> Case:
    db.session.rollback()  # a new snapshot: the live server wrote in its own connection
    found = db.session.get(Case, case_id)
    assert found is not None
    return found


def test_a_completion_with_a_result_document_and_postal_delivery_reaches_the_citizen(
    app, person, clock, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "files")
    owner, cd = citizen(), clerk(CD_HF)
    case = submit(AHDT, owner, CD_HF, CD_HF)
    ops.act(case.id, Action.ACCEPT, cd, clock.now)
    c = person(cd)
    c.goto(c.base + f"/clerk/cases/{case.tracking_number}")
    open_move(c, "办结（通过）")
    result = tmp_path / "准予提取决定书.pdf"
    result.write_bytes(PDF)
    c.locator("form[data-action=approve] input[name=result]").set_input_files(str(result))
    click_and_wait(c, c.get_by_role("button", name="确认办结（通过）"))
    assert c.get_by_text("已完成：办结（通过）").is_visible()
    open_move(c, "送达结果")
    c.locator("#a-deliver-method").select_option("post")
    c.locator("#a-deliver-ref").fill("EA123456789CN")
    click_and_wait(c, c.get_by_role("button", name="确认送达结果"))
    assert c.get_by_text("已完成：送达结果").is_visible()
    shoot(c, "clerk-case-delivered")
    assert fresh(case.id).delivery_status == "sent"

    a = person(owner)
    a.goto(a.base + f"/cases/{case.tracking_number}")
    section = a.locator("section", has=a.locator("#result-title"))
    assert section.get_by_text("EA123456789CN").is_visible()
    assert section.get_by_text("已寄出").is_visible()
    assert section.locator("a", has_text="EA123456789CN").count() == 0  # plain text, no link
    shoot(a, "citizen-case-result")
    with a.expect_download() as info:
        section.get_by_role("link", name="准予提取决定书.pdf").click()
    assert Path(info.value.path()).read_bytes() == PDF
    # the timeline says what happened and what comes next, internal steps hidden
    timeline = a.locator("section", has=a.locator("#timeline-title"))
    assert timeline.get_by_text("办理结果已送出").is_visible()
    assert timeline.get_by_text("认领").count() == 0

    # the clerk records the signature; the citizen sees it and has the notice
    c.goto(c.base + f"/clerk/cases/{case.tracking_number}")
    click_and_wait(c, c.get_by_role("button", name="标记邮件已签收"))
    a.goto(a.base + f"/cases/{case.tracking_number}")
    assert section.get_by_text("已签收").is_visible()
    a.goto(a.base + "/notifications")
    assert a.get_by_text("EA123456789CN").first.is_visible()
    assert a.get_by_text("寄给您的办理结果已签收").first.is_visible()
    # the public tracker: the plain timeline, no waybill, no reasons
    a.goto(a.base + "/track")
    a.locator("#number").fill(case.tracking_number)
    a.locator("#last4").fill((owner.phone or "")[-4:])
    click_and_wait(a, a.get_by_role("button", name="查询", exact=True))
    assert a.get_by_text("邮件已签收").first.is_visible()
    assert a.get_by_text("EA123456789CN").count() == 0
    shoot(a, "track")


def log_in_supervisor(p, username: str) -> None:  # type: ignore[no-untyped-def]
    p.goto(p.base + "/login")
    p.get_by_label("手机号 / 身份证号 / 用户名").fill(username)
    p.get_by_label("密码").fill(PASSWORD)
    with p.expect_navigation():
        p.get_by_role("button", name="登录", exact=True).click()


def test_a_late_completion_asks_for_its_reason_and_shows_on_the_supervisors_list(
    app, page, person, clock
):
    owner, cd = citizen(), clerk(CD_HF)
    case = submit(AHDT, owner, CD_HF, CD_HF)
    ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 10, 21, 2, tzinfo=UTC))  # due 26 Oct
    assert fresh(case.id).due_on is not None and fresh(case.id).due_on < clock.now.date()
    c = person(cd)
    c.goto(c.base + f"/clerk/cases/{case.tracking_number}")
    assert c.locator("summary").get_by_text("申请延期", exact=True).count() == 0  # too late
    open_move(c, "办结（通过）")
    form = c.locator("form[data-action=approve]")
    assert form.get_by_text("本办件已超过承诺办结日期").is_visible()
    form.locator("textarea[name=lateness_note]").fill("等待转出地回函")
    select = form.locator("select[name=lateness_code]")
    # the browser asks first (a required choice) ...
    c.get_by_role("button", name="确认办结（通过）").click()
    assert select.evaluate("el => el.validity.valueMissing")
    assert c.url.endswith(f"/clerk/cases/{case.tracking_number}")
    # ... and the server too: the error beside the field, the typed text kept
    select.evaluate("el => el.removeAttribute('required')")
    click_and_wait(c, c.get_by_role("button", name="确认办结（通过）"))
    error = c.locator("#lateness_code-error")
    assert error.get_by_text("请选择逾期原因").is_visible()
    form = c.locator("form[data-action=approve]")
    assert form.locator("textarea[name=lateness_note]").input_value() == "等待转出地回函"
    shoot(c, "clerk-late-reason-error")
    form.locator("select[name=lateness_code]").select_option("coordination")
    click_and_wait(c, c.get_by_role("button", name="确认办结（通过）"))
    assert c.get_by_text("已完成：办结（通过）").is_visible()
    assert fresh(case.id).lateness_code == "coordination"

    sup = supervisor("510000")
    s = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    sp = s.new_page()
    sp.base = page.base
    try:
        log_in_supervisor(sp, sup.username)
        office_id = fresh(case.id).competent_office_id
        sp.goto(sp.base + f"/supervisor/offices/{office_id}?from=2026-11-02&to=2026-11-02")
        late = sp.locator("section", has=sp.locator("#late-title"))
        row = late.locator("tr", has=sp.get_by_role("link", name=case.tracking_number))
        assert row.get_by_text("等待其他部门协查或回复").is_visible()
        assert row.get_by_text("等待转出地回函").is_visible()
        shoot(sp, "supervisor-office-late")
        click_and_wait(sp, row.get_by_role("link", name=case.tracking_number))
        assert sp.get_by_text("只读查看").is_visible()
        assert sp.get_by_text("等待其他部门协查或回复").first.is_visible()
        assert sp.get_by_text(owner.real_name or "none", exact=True).count() == 0
        shoot(sp, "supervisor-case")
    finally:
        s.close()


def test_a_bad_rating_goes_through_the_office_and_the_supervisor_and_the_applicant_gets_the_reply(
    app, page, person, clock
):
    owner, cd = citizen(), clerk(CD_HF)
    case = submit(AHDT, owner, CD_HF, CD_HF)
    ops.act(case.id, Action.ACCEPT, cd, clock.now)
    ops.act(case.id, Action.APPROVE, cd, clock.now)
    a = person(owner)
    a.goto(a.base + f"/cases/{case.tracking_number}")
    a.locator("label[for=score-1]").click()
    a.locator("#comment").fill("排队两个小时，没人解释")
    click_and_wait(a, a.get_by_role("button", name="提交评价"))
    assert a.locator("form.rate-form").count() == 0  # the form is gone, the rating shown
    assert a.get_by_text("非常不满意").first.is_visible()

    # the rated office: 核实, 整改, 反馈 (the reply reaches the applicant)
    c = person(cd)
    c.goto(c.base + "/clerk/")
    click_and_wait(c, c.get_by_role("link", name="差评整改"))
    click_and_wait(c, c.get_by_role("link", name=case.tracking_number))
    reply = "您好，已增开一个窗口并安排专人解答，今后等候时间会明显缩短。"
    for note in ("核实：当日排队确实过长", "整改：增开一个窗口", reply):
        c.locator("#note").fill(note)
        click_and_wait(c, c.get_by_role("button", name="保存并进入", exact=False))
    assert c.locator(".sv-steps [aria-current=step]").inner_text().strip() == "回访"
    shoot(c, "clerk-rectification")

    # the supervisor: 回访, then 复核 sends it back; the office sees it again
    sup = supervisor("510000")
    s = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    sp = s.new_page()
    sp.base = page.base
    try:
        log_in_supervisor(sp, sup.username)
        db.session.rollback()
        item = db.session.scalars(
            sa.select(Rectification).where(Rectification.case_id == case.id)
        ).one()
        sp.goto(sp.base + f"/supervisor/rectifications/{item.id}")
        sp.locator("#note").fill("回访：申请人认可")
        click_and_wait(sp, sp.get_by_role("button", name="保存并进入“复核”"))
        sp.locator("#note").fill("复核：整改措施未落实到排班表")
        click_and_wait(sp, sp.get_by_role("button", name="退回整改"))
        assert sp.locator(".sv-steps [aria-current=step]").inner_text().strip() == "整改"
        shoot(sp, "supervisor-rectification")
    finally:
        s.close()
    c.goto(c.base + "/clerk/rectifications")
    assert c.get_by_role("link", name=case.tracking_number).is_visible()
    shoot(c, "clerk-rectifications")

    # the applicant has the reply and adds a follow-up rating
    a.goto(a.base + "/notifications")
    assert a.get_by_text(reply, exact=False).first.is_visible()
    a.goto(a.base + f"/cases/{case.tracking_number}")
    assert a.locator(".office-reply").get_by_text(reply).is_visible()
    a.locator("label[for=fscore-4]").click()
    click_and_wait(a, a.get_by_role("button", name="提交追加评价"))
    assert a.get_by_text("您的追加评价：").is_visible()
    shoot(a, "citizen-follow-up")
