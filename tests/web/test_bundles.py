"""一件事一次办 on the web: the bundles in the catalogue, the combined form (region and
pre-checks first, shared fields once, materials once), all-or-nothing submission that keeps
what was typed, the bundle page, the clerk's view of the link, withdrawing the bundle."""

from __future__ import annotations

import io
import os
import re

import sqlalchemy as sa

from tests.builders import citizen, clerk, login_as, office
from tracker.extensions import db
from tracker.models import BundleApplication, Case

APPLY = "/bundles/retirement/apply"
HF, HRSS, MI = "hf-retirement-withdrawal", "hrss-pension-transfer", "mi-offsite-registration"
STEP = {
    "region": "500112",
    f"{HF}.pc_retired": "yes",
    f"{HF}.pc_applicant_self": "yes",
    f"{HF}.pc_retired_here": "yes",
    f"{MI}.pc_filing_type": "resettled_retiree",
    f"{MI}.pc_paid_already": "no",
}
PDF = b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n"


def _form() -> dict[str, object]:
    return {
        **STEP,
        "token": os.urandom(8).hex(),
        "declaration": "y",
        f"{HF}.competent": "510100-hf",
        f"{MI}.competent": "510100-mi",
        "phone": "13900000001",
        f"{HF}.depositing_region": "510100",
        f"{HF}.depositing_centre": "510100-hf",
        f"{HF}.account_number": "5101000123456",
        f"{HF}.retirement_date": "2026-10-01",
        f"{HF}.bank_name": "中国建设银行",
        f"{HF}.bank_account": "6217000012345678",
        f"{HRSS}.transfer_out_region": "510100",
        f"{HRSS}.transfer_out_agency": "510100-hrss",
        f"{HRSS}.scheme": "enterprise",
        f"{HRSS}.current_employer": "重庆某某科技有限公司",
        f"{MI}.insured_region": "510100",
        f"{MI}.treatment_region": "500112",
        f"{MI}.start_date": "2026-11-10",
        f"{MI}.filing_type": "resettled_retiree",
        "licence_id_card": "EL-500112-0001",
        "file_bank_card": (io.BytesIO(PDF), "银行卡.pdf"),
    }


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Case.id))) or 0,
        db.session.scalar(sa.select(sa.func.count(BundleApplication.id))) or 0,
    )


def test_the_catalogue_links_the_bundles_and_each_says_its_services_and_materials(client, app):
    assert "/bundles" in client.get("/services").get_data(as_text=True)
    listing = client.get("/bundles").get_data(as_text=True)
    assert "退休一件事" in listing and "跨省迁居一件事" in listing
    page = client.get("/bundles/retirement").get_data(as_text=True)
    for name in ("退休提取住房公积金", "基本养老保险关系转移接续", "异地就医登记备案"):
        assert name in page
    # the ID card once, used by all three
    assert page.count(">居民身份证<") == 1
    assert client.get("/bundles/nope").status_code == 404


def test_the_form_asks_region_and_prechecks_first_then_shared_fields_once(client, app):
    login_as(client, citizen())
    first = client.get(APPLY).get_data(as_text=True)
    assert 'name="region"' in first and f'name="{HF}.pc_retired"' in first
    assert 'value="500112" selected' in first  # the applicant's registered region
    form = client.get(APPLY, query_string=STEP).get_data(as_text=True)
    # phone is asked by all three services: once, unprefixed, prefilled from the account
    assert len(re.findall(r'name="phone"', form)) == 1
    assert f'name="{HF}.depositing_centre"' in form and f'name="{HRSS}.scheme"' in form
    assert len(re.findall(r'name="file_id_card"', form)) == 1
    # joint: the region's agency receives; the others choose the deciding office
    assert "受理并办理：<strong>重庆市渝北区人力资源和社会保障局</strong>" in form
    assert f'name="{HF}.competent"' in form and f'name="{HRSS}.competent"' not in form


def test_submitting_files_three_linked_cases_and_shows_the_bundle_page(client, app):
    owner = citizen()
    login_as(client, owner)
    done = client.post(APPLY, query_string=STEP, data=_form())
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    application = db.session.scalars(sa.select(BundleApplication)).one()
    assert done.headers["Location"].endswith(f"/applications/{application.number}")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert (
        len(application.cases) == 3 and len({c.custody_office_id for c in application.cases}) == 3
    )
    for c in application.cases:
        assert f"/cases/{c.tracking_number}" in page
    assert "办理中" in page
    mine = client.get("/cases").get_data(as_text=True)
    assert application.number in mine
    one = client.get(f"/cases/{application.cases[0].tracking_number}").get_data(as_text=True)
    assert f"/applications/{application.number}" in one

    # the clerk of one case sees the link and the sibling cases
    hf_case = next(c for c in application.cases if c.service.code == HF)
    client.post("/logout")
    login_as(client, clerk(hf_case.custody_office.code))
    clerk_page = client.get(f"/clerk/cases/{hf_case.tracking_number}").get_data(as_text=True)
    assert application.number in clerk_page
    for other in application.cases:
        if other.id != hf_case.id:
            assert other.tracking_number in clerk_page


def test_a_service_not_offered_in_the_region_is_said_first_and_nothing_is_written(client, app):
    office("500112-hrss").active = False
    db.session.commit()
    login_as(client, citizen())
    said = client.get(APPLY, query_string=STEP)
    html = said.get_data(as_text=True)
    assert said.status_code == 422
    assert "基本养老保险关系转移接续在渝北区没有受理部门" in html
    before = _counts()
    refused = client.post(APPLY, query_string=STEP, data=_form())
    assert refused.status_code == 422 and _counts() == before
    html = refused.get_data(as_text=True)
    assert "基本养老保险关系转移接续在渝北区没有受理部门" in html
    assert 'value="中国建设银行"' in html  # what was typed is kept


def test_a_bad_field_refuses_everything_and_keeps_what_was_typed(client, app):
    login_as(client, citizen())
    before = _counts()
    form = _form()
    form[f"{MI}.start_date"] = "not a date"
    refused = client.post(APPLY, query_string=STEP, data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and _counts() == before
    assert "所有事项都没有提交" in html
    assert 'value="中国建设银行"' in html
    assert re.search(r'<option value="510100-hrss"[^>]*\bselected', html)  # the office chosen
    assert "已上传：银行卡.pdf" in html  # the file is kept, not asked again


def test_withdrawing_the_bundle_says_which_could_not_be_withdrawn(client, app):
    from tests.builders import NOW
    from tracker.domain.workflow import Action
    from tracker.services import cases as case_ops

    login_as(client, citizen())
    assert client.post(APPLY, query_string=STEP, data=_form()).status_code == 302
    application = db.session.scalars(sa.select(BundleApplication)).one()
    mi = next(c for c in application.cases if c.service.code == MI)
    cd = clerk("510100-mi")
    mi = case_ops.act(mi.id, Action.ACCEPT, cd, NOW, expected_version=mi.version)
    mi = case_ops.act(mi.id, Action.START_PROCESSING, cd, NOW, expected_version=mi.version)
    case_ops.act(mi.id, Action.APPROVE, cd, NOW, expected_version=mi.version)
    done = client.post(
        f"/applications/{application.number}/withdraw",
        data={"reason": "不办了"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert f"{mi.tracking_number}（异地就医登记备案）未撤回：已办结，不能撤回" in html
    assert "已撤回：" in html
    db.session.expire_all()
    statuses = sorted(
        c.status.value for c in db.session.get(BundleApplication, application.id).cases
    )
    assert statuses == ["approved", "retracted", "retracted"]
