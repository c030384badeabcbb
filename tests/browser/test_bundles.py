"""一件事一次办 in Chromium: a citizen finds 退休一件事 from the catalogue, answers the region
and pre-check step once, fills the combined form (the phone once, each service's own fields,
the ID card uploaded once for three services) and files once: three linked cases in three
offices, shown on one bundle page. Screenshots at 1280 and 360 px, Chinese and English, go
to ``$BUNDLE_SHOTS`` when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from tests.builders import PASSWORD, citizen
from tracker.extensions import db
from tracker.models import BundleApplication

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHOTS = os.environ.get("BUNDLE_SHOTS")
HF, HRSS, MI = "hf-retirement-withdrawal", "hrss-pension-transfer", "mi-offsite-registration"


def _log_in(page, phone: str) -> None:
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def _shots(page, name: str, *, english: bool = True) -> None:
    """The page at 1280 and 360 px, in Chinese and in English (then back to Chinese; the
    English one is the page opened again, so a page after a POST is shot in Chinese only)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    url = page.url
    for lang in ("zh", "en") if english else ("zh",):
        if lang == "en":
            page.goto(url + ("&" if "?" in url else "?") + "lang=en")
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{lang}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    if english:
        page.goto(url + ("&" if "?" in url else "?") + "lang=zh")


def _radio(page, name: str, value: str) -> None:
    page.locator(f"input[name='{name}'][value='{value}']").check()


def _fill(page, name: str, value: str) -> None:
    page.locator(f"[name='{name}']").fill(value)


def test_a_citizen_files_the_retirement_bundle_once_and_gets_three_linked_cases(
    page, app, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(PDF)
    card = tmp_path / "银行卡.pdf"
    card.write_bytes(PDF)
    applicant = citizen(home="500112")
    _log_in(page, applicant.phone)

    page.goto(page.base + "/services")
    page.get_by_role("link", name="一件事一次办：退休、跨省迁居等几个事项一次申请").click()
    _shots(page, "bundles")
    page.get_by_role("link", name="退休一件事").click()
    assert page.get_by_role("heading", name="包含的事项").is_visible()
    _shots(page, "bundle")
    page.get_by_role("link", name="一次申请").click()

    # Step 1: the region (the registered one preselected) and every service's pre-check.
    assert page.get_by_role("heading", name="先确认办理地区和您的情形").is_visible()
    assert page.locator("select#region").input_value() == "500112"
    _shots(page, "bundle-step")  # (a shot reloads the page: before answering)
    _radio(page, f"{HF}.pc_retired", "yes")
    _radio(page, f"{HF}.pc_applicant_self", "yes")
    _radio(page, f"{HF}.pc_retired_here", "yes")
    _radio(page, f"{MI}.pc_filing_type", "resettled_retiree")
    _radio(page, f"{MI}.pc_paid_already", "no")
    page.get_by_role("button", name="确认，填写申请").click()

    # Step 2: the combined form. The phone once (prefilled), the ID card once.
    assert page.locator("[name='phone']").count() == 1
    assert page.locator("[name='phone']").input_value() == applicant.phone
    assert page.locator("input[type=file][name='file_id_card']").count() == 1
    page.locator(f"select[name='{HF}.competent']").select_option("510100-hf")
    page.locator(f"select[name='{MI}.competent']").select_option("510100-mi")
    page.locator(f"select[name='{HF}.depositing_region']").select_option("510100")
    page.locator(f"select[name='{HF}.depositing_centre']").select_option("510100-hf")
    _fill(page, f"{HF}.account_number", "5101000123456")
    _fill(page, f"{HF}.retirement_date", "2026-10-01")
    _fill(page, f"{HF}.bank_name", "中国建设银行")
    _fill(page, f"{HF}.bank_account", "6217000012345678")
    page.locator(f"select[name='{HRSS}.transfer_out_region']").select_option("510100")
    page.locator(f"select[name='{HRSS}.transfer_out_agency']").select_option("510100-hrss")
    page.locator(f"select[name='{HRSS}.scheme']").select_option("enterprise")
    _fill(page, f"{HRSS}.current_employer", "重庆渝北某某科技有限公司")
    page.locator(f"select[name='{MI}.insured_region']").select_option("510100")
    page.locator(f"select[name='{MI}.treatment_region']").select_option("500112")
    _fill(page, f"{MI}.start_date", "2026-11-10")
    page.locator("input[name='file_id_card']").set_input_files(str(scan))
    page.locator("input[name='file_bank_card']").set_input_files(str(card))

    # Forgetting the declaration refuses everything and keeps what was typed and uploaded.
    page.get_by_role("button", name="提交申请（3 个事项）").click()
    assert page.get_by_text("所有事项都没有提交").is_visible()
    assert page.locator(f"[name='{HF}.bank_name']").input_value() == "中国建设银行"
    assert page.get_by_text("已上传：身份证.pdf").is_visible()
    assert db.session.scalar(sa.select(sa.func.count(BundleApplication.id))) == 0
    db.session.rollback()  # end this read: the server writes next
    _shots(page, "bundle-form-refused", english=False)
    page.locator("#declaration").check()
    page.get_by_role("button", name="提交申请（3 个事项）").click()

    # One bundle page: the combined status and three cases in three offices.
    page.wait_for_url(lambda url: "/applications/" in url)
    assert page.get_by_text("已提交，共生成 3 个办件。").is_visible()
    db.session.rollback()
    application = db.session.scalars(sa.select(BundleApplication)).one()
    cases = application.cases
    assert len(cases) == 3 and len({c.custody_office_id for c in cases}) == 3
    rows = page.locator("table.bundle-cases tbody tr")
    assert rows.count() == 3
    for c in cases:
        assert page.get_by_role("link", name=c.tracking_number).is_visible()
    assert page.get_by_text("办理中").first.is_visible()
    _shots(page, "bundle-application")

    # Each case links back to its bundle; my cases lists the bundle.
    page.get_by_role("link", name=cases[0].tracking_number).click()
    assert page.get_by_role("link", name="查看整件申请").is_visible()
    page.goto(page.base + "/cases")
    assert page.get_by_role("link", name=application.number).is_visible()
    _shots(page, "my-cases")
    assert page.problems == []
