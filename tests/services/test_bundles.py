"""一件事一次办: a bundle files one case per service, all or nothing, each routed as a single
filing would be; withdrawing it withdraws what can still be withdrawn."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, office
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Attachment, BundleApplication, Case
from tracker.services import bundles
from tracker.services import cases as case_ops
from tracker.services.bundles import BundleFiling, BundleRefused
from tracker.services.filing import Application
from tracker.services.uploads import UploadLimits, store_upload

PDF = b"%PDF-1.7\n" + os.urandom(5000) + b"\n%%EOF\n"
HF, HRSS, MI = "hf-retirement-withdrawal", "hrss-pension-transfer", "mi-offsite-registration"
PHONE = "13900000001"


def _retirement(**over: object) -> BundleFiling:
    parts = {
        HF: Application(
            HF,
            "510100-hf",  # the depositing centre decides
            answers={
                "depositing_region": "510100",
                "depositing_centre": "510100-hf",
                "account_number": "5101000123456",
                "retirement_date": "2026-10-01",
                "bank_name": "中国建设银行",
                "bank_account": "6217000012345678",
                "phone": PHONE,
            },
            precheck={"retired": "yes", "applicant_self": "yes", "retired_here": "yes"},
        ),
        HRSS: Application(
            HRSS,
            "",
            answers={
                "transfer_out_region": "510100",
                "transfer_out_agency": "510100-hrss",
                "scheme": "enterprise",
                "current_employer": "重庆某某科技有限公司",
                "phone": PHONE,
            },
        ),
        MI: Application(
            MI,
            "510100-mi",  # the insuring place
            answers={
                "insured_region": "510100",
                "treatment_region": "500112",
                "filing_type": "resettled_retiree",
                "start_date": "2026-11-10",
                "phone": PHONE,
            },
            precheck={"filing_type": "resettled_retiree", "paid_already": "no"},
        ),
    }
    values = {"bundle_code": "retirement", "region_code": "500112", "parts": parts}
    values.update(over)
    return BundleFiling(**values)  # type: ignore[arg-type]


def _id_card(folder: Path):  # type: ignore[no-untyped-def]
    return store_upload(io.BytesIO(PDF), "身份证.pdf", folder=folder, limits=UploadLimits())


def _bank_card(folder: Path):  # type: ignore[no-untyped-def]
    return store_upload(io.BytesIO(PDF), "银行卡.pdf", folder=folder, limits=UploadLimits())


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Case.id))) or 0,
        db.session.scalar(sa.select(sa.func.count(BundleApplication.id))) or 0,
        db.session.scalar(sa.select(sa.func.count(Attachment.id))) or 0,
    )


def test_the_retirement_bundle_files_three_linked_cases_in_three_offices(app, tmp_path):
    applicant = citizen()
    application = bundles.file_bundle(
        applicant=applicant,
        filed=_retirement(),
        now=NOW,
        folder=tmp_path,
        files=[("id_card", _id_card(tmp_path)), ("bank_card", _bank_card(tmp_path))],
    )
    by_service = {c.service.code: c for c in application.cases}
    assert set(by_service) == {HF, HRSS, MI}
    # routed as each single filing would be: accept here (渝北), decide there (成都) ...
    assert by_service[HF].receiving_office.code == "500112-hf"
    assert by_service[HF].competent_office.code == "510100-hf"
    # ... joint: received and decided by the transfer-in agency where the citizen files ...
    assert by_service[HRSS].receiving_office.code == by_service[HRSS].competent_office.code
    assert by_service[HRSS].competent_office.code == "500112-hrss"
    # ... fully online: the insuring place
    assert by_service[MI].custody_office.code == "510100-mi"
    assert len({c.custody_office_id for c in application.cases}) == 3
    for c in application.cases:
        assert c.status is CaseStatus.RECEIVED and c.act_by is not None
        assert c.promised_days == c.service.promised_days
        assert c.bundle_application_id == application.id
        assert c.form_data["phone"] == PHONE  # the shared answer, in every case
        # the ID card uploaded once is filed with every case, each in its own file
        assert "id_card" in {a.material_code for a in c.attachments}
    assert {a.material_code for a in by_service[HF].attachments} == {"id_card", "bank_card"}
    names = {
        a.stored_name
        for c in application.cases
        for a in c.attachments
        if a.material_code == "id_card"
    }
    assert len(names) == 3 and all((tmp_path / n).exists() for n in names)
    assert by_service[HF].precheck == {
        "retired": "yes",
        "applicant_self": "yes",
        "retired_here": "yes",
    }
    assert application.number.startswith("YJ") and bundles.siblings(by_service[HF]) == [
        c for c in application.cases if c.id != by_service[HF].id
    ]


def test_a_service_not_offered_in_the_region_refuses_the_whole_bundle(app, tmp_path):
    office("500112-hrss").active = False
    db.session.commit()
    before = _counts()
    bundle = bundles.bundle_by_code("retirement")
    assert bundle is not None and set(bundles.unavailable(bundle, "500112")) == {HRSS}
    with pytest.raises(BundleRefused) as refused:
        bundles.file_bundle(
            applicant=citizen(),
            filed=_retirement(),
            now=NOW,
            folder=tmp_path,
            files=[("id_card", _id_card(tmp_path))],
        )
    assert HRSS in refused.value.errors
    assert _counts() == before


def test_one_bad_field_in_one_service_writes_nothing_and_names_every_problem(app, tmp_path):
    filed = _retirement()
    parts = dict(filed.parts)
    parts[MI] = Application(
        MI,
        "510100-hf",
        answers={**parts[MI].answers, "start_date": "x"},
        precheck=parts[MI].precheck,
    )
    before = _counts()
    with pytest.raises(BundleRefused) as refused:
        bundles.file_bundle(
            applicant=citizen(),
            filed=BundleFiling("retirement", "500112", parts),
            now=NOW,
            folder=tmp_path,
            files=[],
        )
    errors = refused.value.errors
    assert {f"{MI}/fields.start_date", f"{MI}/competent_office", "materials.id_card"} <= set(errors)
    assert _counts() == before


def test_the_same_idempotency_key_files_the_bundle_once(app, tmp_path):
    applicant = citizen()
    first = bundles.file_bundle(
        applicant=applicant,
        filed=_retirement(licences={"id_card": "EL-500112-0001"}),
        now=NOW,
        folder=tmp_path,
        idempotency_key="k1",
        files=[("bank_card", _bank_card(tmp_path))],
    )
    again = bundles.file_bundle(
        applicant=applicant,
        filed=_retirement(licences={"id_card": "EL-500112-0001"}),
        now=NOW,
        folder=tmp_path,
        idempotency_key="k1",
        files=[("bank_card", _bank_card(tmp_path))],
    )
    assert again.id == first.id and _counts()[1] == 1


def test_withdrawing_the_bundle_withdraws_what_can_be_and_says_what_could_not(app, tmp_path):
    applicant = citizen()
    application = bundles.file_bundle(
        applicant=applicant,
        filed=_retirement(licences={"id_card": "EL-500112-0001"}),
        now=NOW,
        folder=tmp_path,
        files=[("bank_card", _bank_card(tmp_path))],
    )
    by_service = {c.service.code: c for c in application.cases}
    # the medical-insurance agency has accepted and approved its case already
    mi = by_service[MI]
    cd_mi = clerk("510100-mi")
    mi = case_ops.act(mi.id, Action.ACCEPT, cd_mi, NOW, expected_version=mi.version)
    mi = case_ops.act(mi.id, Action.START_PROCESSING, cd_mi, NOW, expected_version=mi.version)
    mi = case_ops.act(mi.id, Action.APPROVE, cd_mi, NOW, expected_version=mi.version)
    assert mi.status is CaseStatus.APPROVED
    results = bundles.withdraw_bundle(
        applicant=applicant, application=application, reason="不再需要", now=NOW
    )
    outcome = {r.case.service.code: r for r in results}
    assert outcome[HF].withdrawn and outcome[HRSS].withdrawn
    assert not outcome[MI].withdrawn and outcome[MI].reason is not None
    statuses = {
        c.service.code: c.status for c in db.session.get(BundleApplication, application.id).cases
    }
    assert statuses == {
        HF: CaseStatus.RETRACTED,
        HRSS: CaseStatus.RETRACTED,
        MI: CaseStatus.APPROVED,
    }
    assert bundles.combined(application).status.value == "ended"
