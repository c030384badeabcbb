"""Filing from outside the portal: the apply page's checks, every problem at once."""

from __future__ import annotations

import pytest

from tests.builders import NOW, citizen
from tracker.services.filing import Application, FilingRefused, file_application

ANSWERS = {
    "insured_region": "510100",
    "treatment_region": "500112",
    "filing_type": "long_term_residence",
    "start_date": "2026-11-10",
    "phone": "13800000000",
}


def test_a_complete_application_files_a_case(app):
    case = file_application(
        applicant=citizen(),
        application=Application(
            "mi-offsite-registration",
            "510100-mi",
            answers=ANSWERS,
            licences={"id_card": "EL-123456"},
        ),
        now=NOW,
    )
    assert case.tracking_number and case.form_data["filing_type"] == "long_term_residence"
    assert case.receiving_office.code == case.competent_office.code == "510100-mi"


def test_every_problem_is_named_beside_its_field(app):
    with pytest.raises(FilingRefused) as refused:
        file_application(
            applicant=citizen(),
            application=Application(
                "mi-offsite-registration",
                "510100-hf",  # a housing-fund centre does not decide medical insurance
                receiving_office="500112-mi",
                answers={**ANSWERS, "filing_type": "holiday", "phone": "12"},
                licences={"no_such_material": "EL-123456"},
            ),
            now=NOW,
        )
    errors = refused.value.errors
    assert {
        "competent_office",
        "fields.filing_type",
        "fields.phone",
        "materials.id_card",
        "materials.no_such_material",
    } <= set(errors)


def test_an_unknown_service_is_refused(app):
    with pytest.raises(FilingRefused) as refused:
        file_application(applicant=citizen(), application=Application("nope", "x"), now=NOW)
    assert set(refused.value.errors) == {"service"}


def test_accept_here_decide_there_needs_a_receiving_office(app):
    with pytest.raises(FilingRefused) as refused:
        file_application(
            applicant=citizen(),
            application=Application("mi-manual-reimbursement", "510100-mi", answers={}),
            now=NOW,
        )
    assert "receiving_office" in refused.value.errors
