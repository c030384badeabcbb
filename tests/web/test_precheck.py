"""The guided pre-check (情形引导) on the apply page, without JavaScript: the questions first
(a GET form), then a form with only what applies; answers checked again on submit, a form that
contradicts them refused with the reason and the input kept; stored with the case (sealed)
with its situation code, shown to the applicant and the clerk; English."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.builders import citizen, clerk, login_as, office
from tracker.extensions import db
from tracker.models import Case

HF = "/services/hf-transfer/apply"
SEALED = {"pc_left_employer": "yes", "pc_account_sealed": "yes", "pc_account_opened": "yes"}
MI = "/services/mi-offsite-registration/apply"


def _materials(html: str) -> list[str]:
    return re.findall(r'name="file_([a-z_]+)"', html)


def _fields(html: str) -> list[str]:
    form = html[html.index('id="fields-title"') : html.index('id="materials-title"')]
    return re.findall(r'id="f-([a-z_]+)"', form)


def test_the_questions_come_first_and_the_answers_reduce_the_form(client, app):
    login_as(client, citizen())
    first = client.get(HF)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "先确认您的办理情形" in html and "是否已与原缴存单位解除劳动关系" in html
    assert 'name="pc_account_sealed"' in html and "file_id_card" not in html

    form = client.get(HF, query_string=SEALED).get_data(as_text=True)
    assert _materials(form) == ["id_card"]
    assert "您的办理情形" in form and "是，已封存" in form
    for name, value in SEALED.items():
        assert f'name="{name}" value="{value}"' in form

    unsealed = client.get(HF, query_string={**SEALED, "pc_account_sealed": "no"})
    html = unsealed.get_data(as_text=True)
    assert _materials(html) == ["id_card", "account_sealed_statement", "termination_proof"]
    assert "转出地中心将根据您提交的解除劳动关系证明" in html  # the answer's advice


def test_an_unanswered_question_is_named_and_the_other_answers_kept(client, app):
    login_as(client, citizen())
    answer = client.get(HF, query_string={"pc_left_employer": "yes", "pc_account_opened": "no"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "请回答：原单位是否已为您办理公积金账户封存？" in html
    assert re.search(r'value="yes" checked', html)
    assert "file_id_card" not in html


def test_an_answer_that_stops_says_why_and_points_to_the_right_service(client, app):
    login_as(client, citizen())
    answer = client.get(
        "/services/hf-retirement-withdrawal/apply",
        query_string={"pc_retired": "no", "pc_applicant_self": "yes", "pc_retired_here": "yes"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "按您的回答，暂不能申请该事项" in html
    assert "需要办理的是住房公积金异地转移接续" in html
    assert 'href="/services/hf-transfer"' in html
    assert "file_id_card" not in html


def test_a_changed_answer_link_shows_the_questions_with_the_answers(client, app):
    login_as(client, citizen())
    form = client.get(HF, query_string=SEALED).get_data(as_text=True)
    link = re.search(r'href="([^"]*edit=1[^"]*)"', form).group(1).replace("&amp;", "&")
    html = client.get(link).get_data(as_text=True)
    assert "先确认您的办理情形" in html
    assert len(re.findall(r"checked", html)) == 3


def _mi_form(client, answers: dict[str, str]) -> dict[str, str]:
    page = client.get(MI, query_string=answers).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    competent = re.search(r'<option value="(\d+)"[^>]*>成都市医疗保障', page).group(1)
    return {
        **answers,
        "token": token,
        "competent": competent,
        "insured_region": "510100",
        "treatment_region": "500112",
        "start_date": "2026-12-01",
        "phone": "13800000000",
        "declaration": "y",
        "licence_id_card": "DZZZ12345678",
    }


def test_the_answer_presets_the_form_and_a_contradicting_form_is_refused_with_the_reason(
    client, app
):
    login_as(client, citizen())
    answers = {"pc_filing_type": "temporary", "pc_paid_already": "no"}
    page = client.get(MI, query_string=answers).get_data(as_text=True)
    assert re.search(r'<option value="temporary" selected>', page)
    assert "referral_hospital" not in _fields(page)
    assert _materials(page) == ["id_card", "social_security_card"]

    data = {**_mi_form(client, answers), "filing_type": "long_term_residence"}
    data["treatment_region"] = "500112"
    refused = client.post(MI, data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "备案类型与您在情形引导中的回答不符" in html and "临时外出就医" in html
    assert 'value="13800000000"' in html  # what was typed is kept
    assert 'name="pc_filing_type" value="temporary"' in html
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_a_referral_needs_its_certificate_and_hospital(client, app):
    login_as(client, citizen())
    answers = {"pc_filing_type": "referral", "pc_paid_already": "no"}
    data = {**_mi_form(client, answers), "filing_type": "referral"}
    refused = client.post(MI, data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "请填写转诊就医医院" in html and "请上传异地转诊证明" in html


def test_forged_answers_on_submit_are_refused(client, app):
    login_as(client, citizen())
    data = {**_mi_form(client, {"pc_filing_type": "temporary", "pc_paid_already": "no"})}
    data["filing_type"] = "temporary"
    data["pc_filing_type"] = "astronaut"
    refused = client.post(MI, data=data)
    assert refused.status_code == 422
    assert "请从列表中选择" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_answers_are_stored_sealed_with_the_situation_code_and_shown_to_both_sides(client, app):
    applicant = citizen()
    login_as(client, applicant)
    answers = {"pc_filing_type": "temporary", "pc_paid_already": "yes"}
    data = {**_mi_form(client, answers), "filing_type": "temporary"}
    filed = client.post(MI, data=data)
    assert filed.status_code == 302, filed.get_data(as_text=True)[:2000]
    case = db.session.scalars(sa.select(Case)).one()
    assert case.precheck == {"filing_type": "temporary", "paid_already": "yes"}
    assert case.situation_code == "52"
    raw = db.session.execute(sa.text("SELECT precheck FROM cases")).scalar_one()
    assert "temporary" not in str(raw)  # sealed at rest

    mine = client.get(f"/cases/{case.tracking_number}").get_data(as_text=True)
    assert "办理情形" in mine and "是，已自付" in mine

    client.post("/logout")
    login_as(client, clerk(office("510100-mi").code))
    page = client.get(f"/clerk/cases/{case.tracking_number}").get_data(as_text=True)
    assert "办理情形" in page and "临时外出就医" in page and "情形编码" in page and "52" in page


def test_the_pre_check_in_english(client, app):
    login_as(client, citizen())
    html = client.get(HF, headers={"Accept-Language": "en"}, query_string={"lang": "en"}).get_data(
        as_text=True
    )
    assert "Have you left the employer you paid into the fund with?" in html
    assert "Yes, I have left" in html
    assert "先确认" not in html
    stop = client.get(
        HF, query_string={**SEALED, "pc_account_opened": "no", "lang": "en"}
    ).get_data(as_text=True)
    assert "Ask your current employer to open an account" in stop
