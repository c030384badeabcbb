"""Fields that name an office (issue #16 item 3) in Chromium: the depositing centre is
preselected from the applicant's region; the transfer-out centre is found by typing a place
in the list's search box, which also fills the empty transfer-out place; choosing a place
chooses its centre; what is filed is the office's code."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from tests.browser.test_clerk_journeys import log_in
from tests.browser.test_wallet import _fill_required
from tests.builders import citizen
from tracker.extensions import db
from tracker.models import Case

RETIRED = "pc_retired=yes&pc_applicant_self=yes&pc_retired_here=yes"
HF = "pc_left_employer=yes&pc_account_sealed=yes&pc_account_opened=yes"


def _chosen(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"select[name={name}]").evaluate(
        "s => s.options[s.selectedIndex].textContent.trim()"
    )


def test_the_depositing_centre_is_preselected(page, app: Flask):
    log_in(page, citizen(home="510100"))
    page.goto(page.base + "/services/hf-retirement-withdrawal/apply?" + RETIRED)
    assert _chosen(page, "depositing_centre") == "成都住房公积金管理中心"
    assert page.locator("select[name=depositing_region]").input_value() == "510100"
    # choosing another place chooses its centre
    page.locator("select[name=depositing_region]").select_option("500112")
    assert page.locator("select[name=depositing_centre]").input_value() == "500112-hf"
    assert page.problems == [], page.problems


def test_the_transfer_out_centre_is_found_by_typing_a_place_and_filed_by_code(page, app: Flask):
    log_in(page, citizen(home="500112"))
    page.goto(page.base + "/services/hf-transfer/apply?" + HF)
    centre = page.locator("select[name=transfer_out_centre]")
    assert centre.input_value() == ""  # the other side's centre: not guessed from the account
    box = page.get_by_label("输入地名或机构名筛选，如 成都、渝北")
    box.fill("绵阳")
    assert centre.input_value() == "510700-hf"
    assert _chosen(page, "transfer_out_centre") == "绵阳市住房公积金管理中心"
    visible = centre.locator("option:not([hidden])").all_inner_texts()
    assert [t.strip() for t in visible if t.strip() != "请选择"] == ["绵阳市住房公积金管理中心"]
    # the empty transfer-out place follows the centre chosen
    assert page.locator("select[name=transfer_out_region]").input_value() == "510700"
    _fill_required(page)
    page.locator("input[name=licence_id_card]").fill("DZZZ12345678")
    page.get_by_label("本人承诺").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/receipt")
    number = page.locator(".receipt-number .tracking").inner_text().strip()
    assert "绵阳市住房公积金管理中心 (510700-hf)" in page.inner_text("body")
    assert page.problems == [], page.problems
    db.session.rollback()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == number)).one()
    assert case.form_data["transfer_out_centre"] == "510700-hf"
    assert case.form_data["transfer_out_region"] == "510700"
