"""A province run without a developer, in Chromium: the admin adds Yunnan (530000), Kunming
(530100) and a medical-security office there in the console, and a clerk for it (a one-time
password); a citizen applies there for an existing service of that department; the new clerk
sets a new password at first login, sees the case and accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.builders import NOW, PASSWORD, admin, citizen
from tracker.extensions import db
from tracker.models import Case, Office, User
from tracker.services import admin_changes
from tracker.web import wallclock

PDF = b"%PDF-1.4\n%%EOF\n"
CLERK_PASSWORD = "Dianchi-Window-2027!"
OFFICE_NAME = "昆明市医疗保障事务服务中心"


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def _context(page):  # type: ignore[no-untyped-def]
    context = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(8000)
    p = context.new_page()
    p.on("pageerror", lambda e: page.problems.append(str(e)))
    p.base = page.base
    return p


def _log_in(p, login: str, password: str) -> None:  # type: ignore[no-untyped-def]
    p.goto(p.base + "/login")
    p.get_by_label("手机号 / 身份证号 / 用户名").fill(login)
    p.get_by_label("密码").fill(password)
    with p.expect_navigation():
        p.get_by_role("button", name="登录", exact=True).click()


def _submit(p, name: str) -> None:  # type: ignore[no-untyped-def]
    with p.expect_navigation():
        p.get_by_role("button", name=name, exact=True).click()


def test_admin_adds_yunnan_and_a_new_clerk_accepts_a_case_there(page, app: Flask, tmp_path: Path):  # type: ignore[no-untyped-def]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    boss = admin()
    applicant = citizen()

    # ---- the admin, in the console ----
    _log_in(page, boss.username, PASSWORD)
    assert page.url.endswith("/admin/")
    page.get_by_role("navigation", name="管理栏目").get_by_role("link", name="行政区划").click()
    page.get_by_role("link", name="新建地区").click()
    page.get_by_label("地区代码").fill("53000")  # a typo first: the error, nothing lost
    page.get_by_label("级别").select_option("province")
    page.get_by_label("中文名称").fill("云南省")
    page.get_by_label("英文名称").fill("Yunnan Province")
    _submit(page, "创建")
    assert page.get_by_text("地区代码须为6位数字").first.is_visible()
    assert page.get_by_label("中文名称").input_value() == "云南省"
    page.get_by_label("地区代码").fill("530000")
    _submit(page, "创建")
    assert page.get_by_role("heading", name="地区 530000 云南省").is_visible()

    page.goto(page.base + "/admin/regions/new")
    page.get_by_label("地区代码").fill("530100")
    page.get_by_label("级别").select_option("prefecture")
    page.get_by_label("上级地区").select_option("530000")
    page.get_by_label("中文名称").fill("昆明市")
    page.get_by_label("英文名称").fill("Kunming")
    _submit(page, "创建")
    page.get_by_role("link", name="在该地区新建部门窗口").click()
    assert page.get_by_label("所属地区").input_value() == "530100"
    page.get_by_label("窗口编码").fill("530100-mi")
    page.get_by_label("所属部门").select_option("mi")
    page.get_by_label("中文名称").fill(OFFICE_NAME)
    page.get_by_label("英文名称").fill("Kunming Medical Security Service Center")
    page.get_by_label("地址").fill("昆明市政务服务中心")
    _submit(page, "创建")
    assert page.get_by_text("已新建部门窗口 530100-mi").is_visible()
    assert page.get_by_text("mi-offsite-registration").is_visible()  # it takes part there
    page.get_by_role("link", name="为该窗口新建窗口人员").click()
    assert page.get_by_label("角色").input_value() == "clerk"
    assert page.get_by_label("所属部门窗口").input_value() == "530100-mi"
    page.get_by_label("用户名").fill("clerk.km.mi")
    page.get_by_label("姓名").fill("滇池")
    _submit(page, "创建")
    one_time = page.get_by_test_id("one-time-password").inner_text().strip()
    assert len(one_time) == 19
    db.session.rollback()
    assert [c.change for c in admin_changes.history("office", "530100-mi")] == ["created"]

    # ---- a citizen applies at the new office ----
    citizen_page = _context(page)
    _log_in(citizen_page, applicant.phone, PASSWORD)
    citizen_page.goto(  # with the guided pre-check answered
        citizen_page.base
        + "/services/mi-offsite-registration/apply?pc_filing_type=temporary&pc_paid_already=no"
    )
    citizen_page.get_by_label("办理地（参保地、缴存地或户籍地）").select_option(label=OFFICE_NAME)
    form = citizen_page.locator("form.apply-form")
    for field in form.locator("input.input[required]:not([type=file])").all():
        if not field.input_value():
            kind = field.get_attribute("type")
            field.fill({"date": "2026-11-10", "tel": "13812345678"}.get(kind, "测试内容1"))
    for select in form.locator("select[required]").all():
        if not select.input_value():
            select.select_option(index=1)
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(PDF)
    citizen_page.locator("input[name=file_id_card]").set_input_files(str(scan))
    citizen_page.get_by_label("本人承诺").check()
    citizen_page.get_by_role("button", name="提交申请").click()
    citizen_page.wait_for_url("**/receipt")
    number = citizen_page.locator(".receipt-number .tracking").inner_text().strip()
    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    assert case.competent_office.code == "530100-mi"

    # ---- the new clerk: a new password first, then the queue ----
    clerk_page = _context(page)
    _log_in(clerk_page, "clerk.km.mi", one_time)
    assert clerk_page.url.endswith("/account/password")
    clerk_page.goto(clerk_page.base + "/clerk/")  # nothing else until it is changed
    assert clerk_page.url.endswith("/account/password")
    clerk_page.locator("input[name=old]").fill(one_time)
    clerk_page.locator("input[name=new]").fill(CLERK_PASSWORD)
    clerk_page.locator("input[name=confirm]").fill(CLERK_PASSWORD)
    _submit(clerk_page, "修改密码")
    clerk_page.goto(clerk_page.base + "/clerk/")
    queue = clerk_page.get_by_role("region", name="本部门办件")
    queue.get_by_role("link", name=number).click()
    clerk_page.wait_for_url(f"**/clerk/cases/{number}")
    _submit(clerk_page, "受理")
    assert clerk_page.get_by_text("已完成：受理").is_visible()
    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    new_clerk = db.session.scalars(sa.select(User).where(User.username == "clerk.km.mi")).one()
    assert case.accepted_at is not None and not new_clerk.must_change_password
    assert (
        new_clerk.office_id
        == db.session.scalars(sa.select(Office.id).where(Office.code == "530100-mi")).one()
    )
    assert page.problems == [], page.problems
    citizen_page.context.close()
    clerk_page.context.close()
