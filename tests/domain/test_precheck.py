"""Guided pre-check rules (情形引导): which materials and fields apply, hints, the situation
code, contradictions with the form, and the checks an admin's questions must pass."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tracker.domain import precheck
from tracker.domain.service_spec import canonical, problems
from tracker.domain.text import Named

DATA = Path(__file__).resolve().parents[2] / "tracker" / "catalogue" / "data" / "services.json"
SERVICES = {s["code"]: canonical(s) for s in json.loads(DATA.read_text(encoding="utf-8"))}
DEPARTMENTS = {"hf", "mi", "hrss", "psb", "traffic", "amr", "dpf"}


def questions(code: str) -> list[dict]:
    return SERVICES[code]["precheck"]


def test_at_least_three_shipped_services_ask_questions_with_english():
    asking = [code for code, s in SERVICES.items() if s["precheck"]]
    assert {"hf-transfer", "hf-retirement-withdrawal", "mi-offsite-registration"} <= set(asking)
    for code in asking:
        for q in questions(code):
            assert q["text_zh"] and q["text_en"], (code, q["code"])
            for c in q["choices"]:
                assert c["label_en"], (code, q["code"], c["value"])
                assert bool(c["hint_zh"]) == bool(c["hint_en"]), (code, c["value"])


def test_the_shipped_questions_pass_the_editor_checks():
    for code, spec in SERVICES.items():
        wrong = {k: v for k, v in problems(spec, DEPARTMENTS).items() if k.startswith("precheck")}
        assert wrong == {}, code


def test_hf_transfer_with_a_sealed_account_asks_only_the_id_card():
    qs = questions("hf-transfer")
    answers, errors = precheck.read_answers(
        qs, {"left_employer": "yes", "account_sealed": "yes", "account_opened": "yes"}
    )
    assert errors == {}
    outcome = precheck.decide(qs, answers)
    assert outcome.situation_code == "111"
    assert not outcome.stopped
    assert outcome.hidden_materials == {"account_sealed_statement", "termination_proof"}
    assert outcome.applies("id_card") and outcome.applies("transfer_in_account")


def test_an_unsealed_account_adds_the_proofs_and_makes_them_required():
    qs = questions("hf-transfer")
    outcome = precheck.decide(
        qs, {"left_employer": "yes", "account_sealed": "no", "account_opened": "yes"}
    )
    assert outcome.situation_code == "121"
    assert outcome.hidden_materials == frozenset()
    assert {"account_sealed_statement", "termination_proof"} <= outcome.required
    assert [h.question for h in outcome.hints] == ["account_sealed"]
    assert not outcome.stopped


def test_still_employed_stops_with_the_reason():
    qs = questions("hf-transfer")
    outcome = precheck.decide(
        qs, {"left_employer": "no", "account_sealed": "yes", "account_opened": "yes"}
    )
    assert outcome.stopped
    assert "在职期间不能办理异地转移" in outcome.hints[0].text_zh


def test_not_retired_points_to_the_transfer_service():
    qs = questions("hf-retirement-withdrawal")
    outcome = precheck.decide(qs, {"retired": "no", "applicant_self": "yes", "retired_here": "yes"})
    assert outcome.stopped
    assert outcome.hints[0].service == "hf-transfer"


def test_retired_here_needs_no_retirement_proof_elsewhere_does():
    qs = questions("hf-retirement-withdrawal")
    here = precheck.decide(qs, {"retired": "yes", "applicant_self": "yes", "retired_here": "yes"})
    away = precheck.decide(qs, {"retired": "yes", "applicant_self": "yes", "retired_here": "no"})
    assert not here.applies("retirement_proof")
    assert away.applies("retirement_proof")
    assert away.situation_code == "112"


def test_referral_shows_its_certificate_and_hospital_required():
    qs = questions("mi-offsite-registration")
    outcome = precheck.decide(qs, {"filing_type": "referral", "paid_already": "no"})
    assert outcome.applies("referral_certificate") and outcome.applies("referral_hospital")
    assert not outcome.applies("personal_commitment")
    assert {"referral_certificate", "referral_hospital"} <= outcome.required
    assert precheck.preset(outcome) == {"filing_type": "referral"}
    temporary = precheck.decide(qs, {"filing_type": "temporary", "paid_already": "no"})
    assert temporary.hidden_fields == {"referral_hospital"}
    assert temporary.situation_code == "51"


def test_already_paid_hints_at_reimbursement_without_stopping():
    qs = questions("mi-offsite-registration")
    outcome = precheck.decide(qs, {"filing_type": "temporary", "paid_already": "yes"})
    assert not outcome.stopped
    assert outcome.hints[0].service == "mi-manual-reimbursement"


def test_missing_unknown_and_foreign_answers_are_refused():
    qs = questions("hf-transfer")
    answers, errors = precheck.read_answers(
        qs, {"pc_left_employer": "maybe", "pc_nonsense": "yes", "other": "x"}, prefix="pc_"
    )
    assert answers == {}
    assert set(errors) == {"left_employer", "account_sealed", "account_opened", "nonsense"}
    assert errors["left_employer"] == "请从列表中选择"
    assert errors["account_sealed"].startswith("请回答：")


def test_a_form_that_contradicts_an_answer_is_refused_with_the_reason():
    qs = questions("mi-offsite-registration")
    outcome = precheck.decide(qs, {"filing_type": "referral", "paid_already": "no"})
    labels = {"filing_type": Named("备案类型", "Registration type")}
    errors = precheck.contradictions(
        outcome, {"filing_type": "temporary"}, labels, date(2026, 12, 1)
    )
    assert list(errors) == ["fields.filing_type"]
    assert "备案类型与您在情形引导中的回答不符" in errors["fields.filing_type"]
    assert "异地转诊" in errors["fields.filing_type"]
    assert precheck.contradictions(outcome, {"filing_type": "referral"}, labels, date.today()) == {}


def test_a_retirement_date_after_today_contradicts_having_retired():
    qs = questions("hf-retirement-withdrawal")
    outcome = precheck.decide(
        qs, {"retired": "yes", "applicant_self": "yes", "retired_here": "yes"}
    )
    today = date(2026, 12, 1)
    late = precheck.contradictions(outcome, {"retirement_date": "2027-01-01"}, {}, today)
    assert "晚于今天" in late["fields.retirement_date"]
    assert precheck.contradictions(outcome, {"retirement_date": "2026-12-01"}, {}, today) == {}


def test_editor_checks_name_bad_questions():
    spec = canonical(
        {
            **SERVICES["hf-transfer"],
            "precheck": [
                {"code": "Bad Code", "text_zh": "", "choices": [{"value": "a", "label_zh": "A"}]},
                {
                    "code": "q",
                    "text_zh": "问",
                    "choices": [
                        {"value": "a", "label_zh": "A", "stop": True},
                        {"value": "b", "label_zh": "B", "stop": True, "materials": ["nope"]},
                    ],
                },
            ],
        }
    )
    wrong = problems(spec, DEPARTMENTS)
    assert set(k for k in wrong if k.startswith("precheck")) == {
        "precheck.0.code",
        "precheck.0.text_zh",
        "precheck.0.choices",
        "precheck.1.choices",
        "precheck.1.choices.1",
    }


def test_canonical_questions_round_trip():
    qs = questions("hf-transfer")
    assert precheck.canonical(qs) == qs
    assert precheck.canonical(None) == []
    assert precheck.answered(qs, {"left_employer": "yes", "account_opened": "zzz"})[1][1] is None


def test_household_transfer_asks_for_the_proof_of_its_reason_only():
    qs = questions("psb-household-transfer")
    spouse = precheck.decide(qs, {"reason": "spouse"})
    assert spouse.applies("marriage_certificate")
    assert spouse.hidden_materials == {
        "property_certificate",
        "employment_proof",
        "relationship_proof",
    }
    assert precheck.preset(spouse) == {"reason": "spouse"}
    graduate = precheck.decide(qs, {"reason": "graduate"})
    assert graduate.situation_code == "7"
    assert not any(graduate.applies(m) for m in ("marriage_certificate", "employment_proof"))
    assert graduate.applies("household_register")


def test_conditions_say_which_answers_bring_a_material_or_field():
    questions = precheck.canonical(
        [
            {
                "code": "sealed",
                "text_zh": "已封存？",
                "text_en": "Sealed?",
                "choices": [
                    {"value": "yes", "label_zh": "是", "label_en": "Yes"},
                    {
                        "value": "no",
                        "label_zh": "否",
                        "label_en": "No",
                        "materials": ["statement"],
                        "fields": ["reason"],
                        "require": ["statement"],
                    },
                ],
            }
        ]
    )
    assert isinstance(questions, list)
    found = precheck.conditions(questions)
    assert set(found) == {"statement", "reason"}
    [(question, choice, required)] = found["statement"]
    assert (str(question), str(choice), choice.en, required) == ("已封存？", "否", "No", True)
    assert found["reason"][0][2] is False
    assert precheck.conditions([]) == {}
