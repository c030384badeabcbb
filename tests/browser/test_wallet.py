"""我的材料 in Chromium (issue #16, "Done when"): a citizen uploads an ID card for a first case,
finds it kept in 我的材料, reuses it for a second service without uploading again, and files;
the second case's clerk opens the file. No script is needed for the choice (radio buttons)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.browser.test_clerk_journeys import log_in
from tests.builders import citizen, clerk
from tracker.extensions import db
from tracker.models import Attachment, Case, WalletItem

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" + b"7" * 4000 + b"\n"


def _fill_required(page) -> None:  # type: ignore[no-untyped-def]
    for field in page.locator("form.apply-form input.input[required]:not([type=file])").all():
        if not field.input_value():
            kind = field.get_attribute("type")
            field.fill({"date": "2026-10-01", "tel": "13812345678"}.get(kind, "测试内容1"))
    for select in page.locator("form.apply-form select[required]").all():
        if not select.input_value():
            select.select_option(index=1)
    for licence in page.locator("input[name^=licence_]").all():
        licence.fill("")


def test_an_id_card_uploaded_for_one_case_is_reused_for_the_next(page, app: Flask, tmp_path: Path):
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    scan = tmp_path / "身份证正反面.pdf"
    scan.write_bytes(PDF)
    owner = citizen()  # lives in 渝北区 (500112)
    log_in(page, owner)

    # Case 1: cross-province medical-treatment registration, with an uploaded ID card.
    page.goto(
        page.base
        + "/services/mi-offsite-registration/apply?pc_filing_type=temporary&pc_paid_already=no"
    )
    assert page.locator("input[name=wallet_id_card]").count() == 0  # nothing saved yet
    page.get_by_label("办理地（参保地、缴存地或户籍地）").select_option(
        label="成都市医疗保障事务服务中心"
    )
    _fill_required(page)
    page.locator("input[name=file_id_card]").set_input_files(str(scan))
    assert page.get_by_label("保存到“我的材料”", exact=False).is_checked()
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    first = page.locator(".receipt-number .tracking").inner_text().strip()

    # 我的材料 lists it with its kind, and the case it came with.
    page.get_by_role("link", name="我的材料").click()
    page.wait_for_url("**/materials")
    row = page.locator("table.materials-table tbody tr")
    assert row.count() == 1
    assert "居民身份证" in row.inner_text() and "身份证正反面.pdf" in row.inner_text()
    assert first in row.inner_text()

    # Case 2: housing-fund transfer. The saved ID card is offered and already chosen.
    page.goto(
        page.base + "/services/hf-transfer/apply"
        "?pc_left_employer=yes&pc_account_sealed=yes&pc_account_opened=yes"
    )
    saved = page.get_by_label("使用我的材料：身份证正反面.pdf", exact=False)
    assert saved.is_checked()
    assert page.get_by_label("受理部门（转入地/迁入地）").input_value() != ""
    _fill_required(page)
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    second = page.locator(".receipt-number .tracking").inner_text().strip()
    assert second != first and page.get_by_text("身份证正反面.pdf").first.is_visible()
    assert page.problems == [], page.problems

    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == second)).one()
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id)
    ).one()
    item = db.session.scalars(sa.select(WalletItem).where(WalletItem.user_id == owner.id)).one()
    assert attachment.material_code == "id_card" and attachment.stored_name != item.stored_name

    # Case 2's clerk (the transfer-in centre of 渝北, preselected from the applicant's
    # registered region) opens the ID card.
    page.context.clear_cookies()
    log_in(page, clerk(case.competent_office.code))
    page.goto(f"{page.base}/clerk/cases/{second}")
    with page.expect_download() as info:
        page.locator(f'a[href$="/files/{attachment.id}"]').first.click()
    download = info.value
    target = tmp_path / "opened" / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == "身份证正反面.pdf"
    assert target.read_bytes() == PDF
    assert page.problems == [], page.problems
