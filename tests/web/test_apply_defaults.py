"""Smart defaults on the apply page (issue #16 item 3): the applicant's office first and
preselected, offices grouped by province (the applicant's first), the phone from the account."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.builders import citizen, clerk, login_as, office
from tracker.domain.office_order import LIKELY, grouped_offices, likely_office
from tracker.extensions import db
from tracker.models import Case

# the guided pre-check's answers (tests/web/test_precheck.py) that lead to the form
HF_ANSWERS = {"pc_left_employer": "yes", "pc_account_sealed": "yes", "pc_account_opened": "yes"}
RETIRED_ANSWERS = {"pc_retired": "yes", "pc_applicant_self": "yes", "pc_retired_here": "yes"}
PARENTS = {
    "510000": None,
    "510100": "510000",
    "510104": "510100",
    "510700": "510000",
    "500000": None,
    "500112": "500000",
}


def _select(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)


def test_joint_service_preselects_the_applicants_office_and_groups_by_province(client, app):
    applicant = citizen(home="500112")
    login_as(client, applicant)
    html = client.get("/services/hf-transfer/apply", query_string=HF_ANSWERS).get_data(as_text=True)
    select = _select(html, "competent")
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups == ["建议：您户籍所在地的部门", "重庆市", "四川省"]
    selected = re.findall(r'<option value="\d+" selected>([^<]+)<', select)
    assert selected == ["重庆市住房公积金管理中心"]
    assert "已按您的户籍所在地预先选好" in html
    # the phone from the account, in the phone field
    assert re.search(rf'name="phone"[^>]*value="{applicant.phone}"', html) or re.search(
        rf'value="{applicant.phone}"[^>]*name="phone"', html
    )


def test_receiving_office_for_a_sichuan_applicant(client, app):
    login_as(client, citizen(home="510100"))
    html = client.get(
        "/services/hf-retirement-withdrawal/apply", query_string=RETIRED_ANSWERS
    ).get_data(as_text=True)
    receiving = _select(html, "receiving")
    assert re.findall(r'<optgroup label="([^"]+)"', receiving)[1:] == ["四川省", "重庆市"]
    assert re.findall(r'<option value="\d+" selected>([^<]+)<', receiving) == [
        "成都住房公积金管理中心"
    ]
    # the competent office (the depositing centre) is the applicant's to choose
    assert " selected>" not in _select(html, "competent")


def test_a_refused_submit_keeps_the_choice_and_the_grouping(client, app):
    login_as(client, citizen(home="500112"))
    answer = client.post(
        "/services/hf-transfer/apply", data={"competent": "", "token": "x", **HF_ANSWERS}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code in (400, 422)
    select = _select(html, "competent")
    assert "<optgroup" in select and " selected>" not in select


def test_grouped_offices_rules():
    offices = [("cq", "500112"), ("cd", "510100"), ("my", "510700"), ("sc", "510000")]
    groups, likely = grouped_offices(offices, lambda o: o[1], "510104", PARENTS)  # a district
    assert likely == ("cd", "510100")  # its city's office
    assert groups == [
        (LIKELY, [("cd", "510100")]),
        ("510000", [("sc", "510000"), ("my", "510700")]),
        ("500000", [("cq", "500112")]),
    ]
    # only the province shared: nothing preselected, the province still first
    groups, likely = grouped_offices(offices[:1] + offices[3:], lambda o: o[1], "510104", PARENTS)
    assert likely is None and [k for k, _ in groups] == ["510000", "500000"]
    assert likely_office(offices, lambda o: o[1], None, PARENTS) is None


# ---- fields that name an office choose from the catalogue (issue #16 item 3) ---------------

HF = "/services/hf-transfer/apply"


def _hf_form(client, **changes: str) -> dict[str, str]:
    page = client.get(HF, query_string=HF_ANSWERS).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    competent = re.search(r'<option value="(\d+)"[^>]*>重庆市住房公积金管理中心', page).group(1)
    return {
        **HF_ANSWERS,
        "token": token,
        "competent": competent,
        "transfer_out_region": "510100",
        "transfer_out_centre": "510100-hf",
        "original_employer": "成都市锦江区某贸易有限公司",
        "original_account": "510100123456789",
        "transfer_in_account": "500112987654321",
        "current_employer": "重庆市渝北区某科技有限公司",
        "phone": "13800000000",
        "declaration": "y",
        "licence_id_card": "DZZZ12345678",
        **changes,
    }


def test_an_office_field_is_a_grouped_list_of_the_departments_offices(client, app):
    login_as(client, citizen(home="500112"))
    html = client.get(HF, query_string=HF_ANSWERS).get_data(as_text=True)
    select = _select(html, "transfer_out_centre")
    assert 'data-follows="f-transfer_out_region"' in select
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups == ["您户籍所在地", "重庆市", "四川省"]  # the applicant's region first
    codes = re.findall(r'<option value="([^"]*)"', select)
    assert codes[:2] == ["", "500112-hf"] and "510100-hf" in codes
    assert all(c == "" or c.endswith("-hf") for c in codes)  # the department's offices only
    # joint: the transfer-out centre is the other side's, not preselected from the account
    assert " selected>" not in select
    assert 'name="transfer_out_centre" type="text"' not in html


def test_the_depositing_centre_is_preselected_from_the_applicants_region(client, app):
    login_as(client, citizen(home="510100"))
    html = client.get(
        "/services/hf-retirement-withdrawal/apply", query_string=RETIRED_ANSWERS
    ).get_data(as_text=True)
    centre = _select(html, "depositing_centre")
    assert re.findall(r'<option value="([^"]+)"[^>]* selected>', centre) == ["510100-hf"]
    region = _select(html, "depositing_region")
    assert re.findall(r'<option value="(\d+)" selected>', region) == ["510100"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("成都住房公积金管理中心", "没有这个经办机构，请从列表中选择"),
        ("999999-hf", "没有这个经办机构，请从列表中选择"),
        ("510100-mi", "该机构不办理此类业务"),
        ("500112-hf", "所选机构不在“转出地”所选的地区"),
    ],
)
def test_the_server_refuses_what_is_not_an_office_of_the_kind_and_place(
    client, app, value, message
):
    login_as(client, citizen(home="500112"))
    refused = client.post(HF, data=_hf_form(client, transfer_out_centre=value))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    field = re.search(
        r'<div class="field has-error">.*?name="transfer_out_centre".*?</select>', html, re.S
    )
    assert field and message in field.group(0)  # beside the field
    assert "成都市锦江区某贸易有限公司" in html  # everything typed is kept
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_the_office_code_is_stored_and_named_on_the_clerks_page_and_letter(client, app):
    login_as(client, citizen(home="500112"))
    filed = client.post(HF, data=_hf_form(client))
    assert filed.status_code == 302, filed.get_data(as_text=True)[:3000]
    case = db.session.scalars(sa.select(Case)).one()
    assert case.form_data["transfer_out_centre"] == "510100-hf"

    client.post("/logout")
    lead = clerk("500112-hf")
    login_as(client, lead)
    url = f"/clerk/cases/{case.tracking_number}"
    page = client.get(url).get_data(as_text=True)
    assert "成都住房公积金管理中心 (510100-hf)" in page
    assert client.post(url + "/act", data={"action": "accept", "version": "1"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    letter = re.search(r'<select[^>]*name="coop_0".*?</select>', page, re.S).group(0)
    chosen = re.findall(r'<option value="(\d+)" selected>', letter)
    assert chosen == [str(office("510100-hf").id)]  # the office the applicant named
    english = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Chengdu Housing Provident Fund Management Center (510100-hf)" in english
