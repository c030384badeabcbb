"""A citizen in Chongqing whose housing fund is in Chengdu, end to end in Chromium:
register → apply with an upload → supplement request → answer it → completion → rate;
and anyone tracking the case without logging in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.builders import clerk
from tracker.domain.identifiers import iso7064_mod11_2
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Attachment, Case
from tracker.services import cases as ops
from tracker.services.uploads import opened

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "Yubei-Chengdu-2026!"


def resident_id() -> str:
    body = "50011219880808123"
    return body + iso7064_mod11_2(body)


def test_register_apply_supplement_complete_rate_and_track(page, app, tmp_path: Path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(PDF)
    retire = tmp_path / "退休证.pdf"
    retire.write_bytes(PDF)

    # Register.
    page.goto(page.base + "/register")
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    assert page.get_by_text("如该手机号可以注册，验证码已发送").is_visible()
    page.get_by_label("短信验证码").fill(_texted_code("13812345678"))
    page.get_by_label("姓名").fill("周渝北")
    page.get_by_label("身份证号").fill(resident_id())
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=confirm]").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url("**/cases")
    assert page.get_by_text("您还没有办件").is_visible()

    # Apply for housing-fund withdrawal on retirement: file in 渝北, decided in 成都.
    page.goto(page.base + "/services/hf-retirement-withdrawal")
    page.get_by_role("link", name="在线申请").first.click()
    # The guided pre-check first: retired elsewhere, so the proof of retirement is asked for.
    page.get_by_label("是，已退休").check()
    page.get_by_label("是，本人申请").check()
    page.get_by_label("否，在其他地方退休").check()
    page.get_by_role("button", name="确认情形，填写申请").click()
    page.get_by_label("收件地（就近提交）").select_option(label="重庆市住房公积金管理中心")
    page.get_by_label("办理地（参保地、缴存地或户籍地）").select_option(
        label="成都住房公积金管理中心"
    )
    page.get_by_role("button", name="提交申请").click()  # nothing filled: errors, nothing lost
    assert page.get_by_role("heading", name="请修改以下内容后再提交").is_visible()
    assert page.get_by_label("收件地（就近提交）").input_value() != ""
    for field in page.locator("form.apply-form input.input[required]:not([type=file])").all():
        if not field.input_value():
            kind = field.get_attribute("type")
            field.fill({"date": "2026-10-01", "tel": "13812345678"}.get(kind, "测试内容1"))
    for select in page.locator("form.apply-form select[required]").all():
        if not select.input_value():
            select.select_option(index=1)
    page.locator("input[name=file_id_card]").set_input_files(str(scan))
    page.locator("input[name=file_retirement_proof]").set_input_files(str(retire))
    page.locator("input[name=file_bank_card]").set_input_files(str(retire))
    for licence in page.locator("input[name^=licence_]").all():
        licence.fill("")
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    number = page.locator(".receipt-number .tracking").inner_text().strip()
    assert page.get_by_text("身份证.pdf").is_visible()
    assert page.problems == [], page.problems

    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    stored = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    assert {a.original_name for a in stored} >= {"身份证.pdf", "退休证.pdf"}
    assert all(
        b"".join(opened(tmp_path / "uploads" / a.stored_name)) == PDF
        for a in stored
        if a.stored_name
    )

    # The offices work it: Chongqing checks and forwards; Chengdu asks for a clearer scan.
    cq, cd = clerk("500112-hf"), clerk("510100-hf")
    now = datetime.now(UTC)
    for action in (Action.FORMAL_CHECK, Action.IDENTITY_CHECK, Action.FORWARD):
        ops.act(case.id, action, cq, now)
    ops.act(
        case.id,
        Action.REQUEST_SUPPLEMENT,
        cd,
        now,
        reason="身份证扫描件不清晰",
        payload={"items": [{"material": "id_card", "note": "请上传清晰的身份证正反面"}]},
    )

    # The citizen sees the notice (unread count), answers exactly that item.
    page.goto(page.base + "/cases")
    assert page.locator(".nav-count").inner_text().split()[0] == "3"  # submitted, forwarded, 补正
    page.get_by_role("link", name=number).click()
    # (shown in the timeline and again in the 补正材料通知书 on the page)
    assert page.get_by_text("请上传清晰的身份证正反面").first.is_visible()
    page.get_by_role("link", name="补正材料").click()
    page.locator("input[name=file_id_card]").set_input_files(str(scan))
    page.get_by_role("button", name="提交补正材料").click()
    page.wait_for_url(f"**/cases/{number}")
    assert page.get_by_text("补正材料已提交").first.is_visible()

    # Chengdu accepts and approves; the citizen sees completion and rates.
    db.session.rollback()
    for action in (Action.ACCEPT, Action.START_PROCESSING, Action.APPROVE):
        ops.act(case.id, action, cd, datetime.now(UTC))
    page.reload()
    assert page.get_by_text("办结（通过）").first.is_visible()
    page.get_by_label("非常满意").check()
    page.get_by_label("意见建议（选填）").fill("两地跑变成一次办，很方便")
    page.get_by_role("button", name="提交评价").click()
    assert page.get_by_text("感谢您的评价").is_visible()
    db.session.rollback()
    assert db.session.get(Case, case.id).status is CaseStatus.APPROVED

    # Anyone can track it with the number and the last four digits, and sees no names.
    page.context.clear_cookies()
    page.goto(page.base + "/track")
    page.get_by_label("办件编号").fill(number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.get_by_label("手机号后四位").fill("5678")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("校验位").is_visible()
    page.get_by_label("办件编号").fill(number)
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("办结（通过）").first.is_visible()
    body = page.content()
    assert "周渝北" not in body and resident_id() not in body and "身份证.pdf" not in body
    assert page.problems == [], page.problems


def _texted_code(phone: str) -> str:
    """The code in the text message queued for ``phone`` (what the applicant reads)."""
    import re

    import sqlalchemy as sa

    from tracker.extensions import db
    from tracker.models import OutboxMessage

    db.session.expire_all()
    subject = db.session.scalars(
        sa.select(OutboxMessage.subject)
        .where(OutboxMessage.recipient == phone)
        .order_by(OutboxMessage.id.desc())
    ).first()
    found = re.search(r"\d{6}", subject or "")
    assert found, subject
    return found.group(0)
