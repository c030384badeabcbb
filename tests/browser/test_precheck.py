"""The guided pre-check (情形引导) in Chromium: a citizen opens the housing-fund transfer,
answers its questions, sees only the materials that apply (and more when the old account was
not sealed), and files; an answer that stops says so and points elsewhere. Screenshots of
the questions and the reduced form at 1280 and 360 px, in Chinese and English, go to
``$PRECHECK_SHOTS`` when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from tests.builders import PASSWORD, citizen
from tracker.extensions import db
from tracker.models import Attachment, Case

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHOTS = os.environ.get("PRECHECK_SHOTS")


def _log_in(page, phone: str) -> None:
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _materials(page) -> list[str]:
    return [
        n.removeprefix("file_")
        for n in page.locator("form.apply-form input[type=file]").evaluate_all(
            "els => els.map(e => e.name)"
        )
    ]


def test_hf_transfer_pre_check_reduces_the_form_and_files(page, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(PDF)
    applicant = citizen(home="500112")
    _log_in(page, applicant.phone)

    page.goto(page.base + "/services/hf-transfer")
    page.get_by_role("link", name="在线申请").first.click()
    assert page.get_by_role("heading", name="先确认您的办理情形").is_visible()
    assert page.locator("input[type=file]").count() == 0
    _shot(page, "precheck-zh-1280")

    # Still employed: stopped, with the reason; nothing to file.
    page.get_by_label("否，仍在原单位工作").check()
    page.get_by_label("是，已封存").check()
    page.get_by_label("是，已开户缴存").check()
    page.get_by_role("button", name="确认情形，填写申请").click()
    assert page.get_by_role("heading", name="按您的回答，暂不能申请该事项").is_visible()
    assert page.get_by_text("在原单位在职期间不能办理异地转移").is_visible()
    assert page.locator("input[type=file]").count() == 0
    _shot(page, "precheck-stop-zh-1280")

    # Not sealed: the statement and the proof of leaving are asked for, as required.
    page.get_by_label("是，已离职").check()
    page.get_by_label("否，原单位已注销或无法联系").check()
    page.get_by_role("button", name="确认情形，填写申请").click()
    assert _materials(page) == ["id_card", "account_sealed_statement", "termination_proof"]

    # Change the answers: sealed, so only the ID card is asked for.
    page.get_by_role("link", name="修改回答").click()
    assert page.get_by_label("否，原单位已注销或无法联系").is_checked()
    page.get_by_label("是，已封存").check()
    page.get_by_role("button", name="确认情形，填写申请").click()
    assert _materials(page) == ["id_card"]
    assert page.get_by_text("原账户封存说明").count() == 0
    assert page.locator(".precheck-answers").get_by_text("是，已封存").is_visible()
    _shot(page, "form-zh-1280")

    typed = {
        "original_employer": "成都锦江区蓉城科技有限公司",
        "original_account": "510100123456",
        "transfer_in_account": "500112654321",
        "current_employer": "重庆渝北区两江物流有限公司",
        "transfer_out_centre": "成都住房公积金管理中心",
    }
    page.locator("[name=transfer_out_region]").select_option("510100")
    for name, value in typed.items():
        control = page.locator(f"form.apply-form [name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":  # an office list, not free text
            assert control.input_value() == "510100-hf"  # it followed the place chosen
            control.select_option(label=value)
        else:
            control.fill(value)
    page.locator("input[name=file_id_card]").set_input_files(str(scan))
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    number = page.locator(".receipt-number .tracking").inner_text().strip()
    assert page.problems == [], page.problems

    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    assert case.precheck == {
        "left_employer": "yes",
        "account_sealed": "yes",
        "account_opened": "yes",
    }
    assert case.situation_code == "111"
    filed = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [a.material_code for a in filed] == ["id_card"]

    page.goto(page.base + f"/cases/{number}")
    assert page.get_by_role("heading", name="办理情形").is_visible()


def test_screenshots_of_the_pre_check_and_the_reduced_form(page, app):
    if not SHOTS:
        return
    _log_in(page, citizen(home="500112").phone)
    answers = "pc_left_employer=yes&pc_account_sealed=yes&pc_account_opened=yes"
    for lang in ("zh", "en"):
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{page.base}/services/hf-transfer/apply?lang={lang}")
            _shot(page, f"precheck-{lang}-{width}")
            page.goto(f"{page.base}/services/hf-transfer/apply?lang={lang}&{answers}")
            _shot(page, f"form-{lang}-{width}")
            width_px = page.evaluate("document.documentElement.scrollWidth")
            assert width_px <= width, (lang, width, width_px)
    page.goto(
        f"{page.base}/services/hf-retirement-withdrawal/apply?lang=en"
        "&pc_retired=no&pc_applicant_self=yes&pc_retired_here=yes"
    )
    _shot(page, "stop-en-360")
    assert page.problems == [], page.problems
