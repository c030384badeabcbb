"""POST /cases with the guided pre-check's answers (an optional ``precheck`` object), checked
by the same filing service as the portal: stored with the situation code, a stopping or
contradicted answer refused with the reason beside the member, and no answers still files."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import AHDT, CD_HF, CQ_HF, mi_body, token_for
from tests.builders import citizen
from tracker.extensions import db
from tracker.models import Case

PROBLEM = "application/problem+json"
PRECHECK = {"filing_type": "long_term_residence", "paid_already": "no"}


def _cases() -> int:
    return db.session.scalar(sa.select(sa.func.count(Case.id))) or 0


def test_answers_are_stored_with_the_situation_code_and_read_back(app, post_case):
    secret = token_for(user=citizen())
    answer = post_case(secret, mi_body(precheck=PRECHECK))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["precheck"] == PRECHECK and body["situation_code"] == "21"
    case = db.session.scalars(sa.select(Case)).one()
    assert case.precheck == PRECHECK and case.situation_code == "21"


def test_without_answers_the_service_files_as_before(app, post_case):
    answer = post_case(token_for(user=citizen()), mi_body())
    assert answer.status_code == 201
    assert answer.get_json()["situation_code"] is None


def test_a_form_that_contradicts_the_answers_is_refused_with_the_reason(app, post_case):
    body = mi_body(precheck={**PRECHECK, "filing_type": "temporary"})
    answer = post_case(token_for(user=citizen()), body)
    assert answer.status_code == 422 and answer.content_type == PROBLEM
    reason = answer.get_json()["fields"]["fields.filing_type"]
    assert "与您在情形引导中的回答不符" in reason and "临时外出就医" in reason
    assert _cases() == 0


def test_unknown_missing_and_stopping_answers_are_refused(app, post_case):
    secret = token_for(user=citizen())
    wrong = post_case(secret, mi_body(precheck={"filing_type": "x", "mood": "ok"}), key="a")
    fields = wrong.get_json()["fields"]
    assert wrong.status_code == 422
    assert set(fields) >= {"precheck.filing_type", "precheck.paid_already", "precheck.mood"}

    stop = {
        "service": AHDT,
        "receiving_office": CQ_HF,
        "competent_office": CD_HF,
        "answers": {},
        "precheck": {"retired": "no", "applicant_self": "yes", "retired_here": "yes"},
    }
    refused = post_case(secret, stop, key="b")
    assert refused.status_code == 422
    assert "需要办理的是住房公积金异地转移接续" in refused.get_json()["fields"]["precheck.retired"]
    assert _cases() == 0


def test_a_material_the_answers_leave_out_is_refused(app, post_case):
    body = mi_body(
        precheck=PRECHECK,
        licences={"id_card": "EL-123456", "referral_certificate": "EL-654321"},
    )
    answer = post_case(token_for(user=citizen()), body)
    assert answer.status_code == 422
    assert "不需要提交这项材料" in answer.get_json()["fields"]["materials.referral_certificate"]
