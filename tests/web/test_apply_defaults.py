"""Smart defaults on the apply page (issue #16 item 3): the applicant's office first and
preselected, offices grouped by province (the applicant's first), the phone from the account."""

from __future__ import annotations

import re

from tests.builders import citizen, login_as
from tracker.domain.office_order import LIKELY, grouped_offices, likely_office

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
