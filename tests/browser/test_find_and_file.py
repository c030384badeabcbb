"""Issue #16's whole citizen journey in Chromium, in one go: a citizen who filed once before
(with an ID card kept in 我的材料) looks for the housing-fund transfer the way people ask —
``gjj``, then ``公积金转移`` — answers its pre-check, is asked only for the materials that
apply, reuses the saved ID card instead of uploading it again, and files."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.browser.test_clerk_journeys import log_in
from tests.browser.test_wallet import PDF, _fill_required
from tests.builders import citizen
from tracker.extensions import db
from tracker.models import Attachment, Case, WalletItem


def _titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        t.strip() for t in page.locator(".search-results .service-card-title").all_inner_texts()
    ]


def _search(page, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/services")
    page.get_by_label("按关键词搜索事项").fill(query)
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/services?q=*")
    return _titles(page)


def test_find_answer_reuse_and_file_the_housing_fund_transfer(page, app: Flask, tmp_path: Path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "身份证正反面.pdf"
    scan.write_bytes(PDF)
    owner = citizen()  # lives in 渝北区 (500112)
    log_in(page, owner)

    # An earlier case: medical-treatment registration, with the ID card uploaded and kept.
    page.goto(
        page.base
        + "/services/mi-offsite-registration/apply?pc_filing_type=temporary&pc_paid_already=no"
    )
    page.get_by_label("办理地（参保地、缴存地或户籍地）").select_option(
        label="成都市医疗保障事务服务中心"
    )
    _fill_required(page)
    page.locator("input[name=file_id_card]").set_input_files(str(scan))
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    earlier = page.locator(".receipt-number .tracking").inner_text().strip()

    # Found by pinyin initials, and first by the way people say it.
    assert "住房公积金异地转移接续" in _search(page, "gjj")
    assert _search(page, "公积金转移")[0] == "住房公积金异地转移接续"
    page.get_by_role("link", name="住房公积金异地转移接续").click()
    page.wait_for_url("**/services/hf-transfer")

    # The pre-check comes before the form; the answers decide the materials.
    page.get_by_role("link", name="在线申请").first.click()
    assert page.get_by_role("heading", name="先确认您的办理情形").is_visible()
    assert page.locator("input[type=file]").count() == 0
    page.get_by_label("是，已离职").check()
    page.get_by_label("是，已封存").check()
    page.get_by_label("是，已开户缴存").check()
    page.get_by_role("button", name="确认情形，填写申请").click()
    asked = page.locator("form.apply-form input[type=file]").evaluate_all(
        "els => els.map(e => e.name)"
    )
    assert asked == ["file_id_card"]  # not the sealing statement nor the proof of leaving
    assert page.get_by_text("原账户封存说明").count() == 0

    # The saved ID card is offered and chosen; nothing is uploaded again.
    saved = page.get_by_label("使用我的材料：身份证正反面.pdf", exact=False)
    assert saved.is_checked()
    _fill_required(page)
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    number = page.locator(".receipt-number .tracking").inner_text().strip()
    assert number != earlier
    assert page.problems == [], page.problems

    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    assert case.service.code == "hf-transfer"
    assert case.precheck == {
        "left_employer": "yes",
        "account_sealed": "yes",
        "account_opened": "yes",
    }
    filed = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(a.material_code, a.original_name) for a in filed] == [("id_card", "身份证正反面.pdf")]
    kept = db.session.scalars(sa.select(WalletItem).where(WalletItem.user_id == owner.id)).all()
    assert len(kept) == 1  # reused, not saved a second time
