"""Regions and offices in the admin console: GB/T 2260 codes and parents, validation errors
beside the fields with nothing typed lost, deactivation instead of deletion (saying why),
the change history with before and after, and a deactivated office no longer offered to
applicants (page, API, Open311) while its cases keep working."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.builders import NOW, admin, citizen, clerk, login_as, office, submit, supervisor
from tracker.extensions import db
from tracker.models import AuditEntry, Office, Region
from tracker.services import admin_changes, admin_orgs, audit, filing, open311, queries
from tracker.web import wallclock

YUNNAN = {"code": "530000", "level": "province", "name_zh": "云南省", "name_en": "Yunnan"}
KUNMING = {
    "code": "530100",
    "level": "prefecture",
    "parent_code": "530000",
    "name_zh": "昆明市",
    "name_en": "Kunming",
}
KM_MI = {
    "code": "530100-mi",
    "region_code": "530100",
    "department_code": "mi",
    "name_zh": "昆明市医疗保障事务服务中心",
    "name_en": "Kunming Medical Security Service Center",
    "address": "昆明市政务服务中心",
    "phone": "12345",
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def _yunnan(actor):
    admin_orgs.create_region(YUNNAN, actor=actor, now=NOW)
    admin_orgs.create_region(KUNMING, actor=actor, now=NOW)
    return admin_orgs.create_office(KM_MI, actor=actor, now=NOW)


# ---- the rules (service) ---------------------------------------------------------------------


def test_region_codes_levels_and_parents_are_checked(app):
    actor = admin()
    cases = [
        ({**YUNNAN, "code": "53000"}, "code"),
        ({**YUNNAN, "code": "5300AB"}, "code"),
        ({**YUNNAN, "code": "510000"}, "code"),  # exists
        ({**YUNNAN, "level": "prefecture"}, "level"),
        ({**YUNNAN, "parent_code": "510000"}, "parent_code"),
        ({**KUNMING, "parent_code": "510000"}, "parent_code"),  # not its province
        ({**KUNMING}, "parent_code"),  # 530000 does not exist yet
        ({**YUNNAN, "name_zh": " "}, "name_zh"),
    ]
    for data, bad in cases:
        with pytest.raises(admin_orgs.AdminFormError) as refused:
            admin_orgs.create_region(data, actor=actor, now=NOW)
        assert bad in refused.value.errors, (data, refused.value.errors)
    assert db.session.get(Region, "530000") is None  # nothing half-written
    admin_orgs.create_region(YUNNAN, actor=actor, now=NOW)
    admin_orgs.create_region(KUNMING, actor=actor, now=NOW)
    # a county under a province whose prefecture exists must hang under the prefecture
    with pytest.raises(admin_orgs.AdminFormError) as refused:
        admin_orgs.create_region(
            {
                "code": "530102",
                "level": "county",
                "parent_code": "530000",
                "name_zh": "五华区",
                "name_en": "Wuhua",
            },
            actor=actor,
            now=NOW,
        )
    assert "parent_code" in refused.value.errors
    county = admin_orgs.create_region(
        {
            "code": "530102",
            "level": "county",
            "parent_code": "530100",
            "name_zh": "五华区",
            "name_en": "Wuhua",
        },
        actor=actor,
        now=NOW,
    )
    assert county.parent_code == "530100"


def test_a_new_office_in_a_new_province_is_offered_for_its_departments_services(app):
    o = _yunnan(admin())
    assert o.active
    assert o in queries.offices_of("mi")
    assert any(p.code == "530000" for p, _ in queries.offices_by_province("mi"))
    assert "mi-offsite-registration" in [s.code for s in admin_orgs.services_of(o)]


def test_office_validation_and_unique_code(app):
    actor = admin()
    _yunnan(actor)
    with pytest.raises(admin_orgs.AdminFormError) as refused:
        admin_orgs.create_office(
            {**KM_MI, "department_code": "nope", "phone": "call me", "code": "530100 mi"},
            actor=actor,
            now=NOW,
        )
    assert set(refused.value.errors) >= {"department_code", "phone", "code"}
    with pytest.raises(admin_orgs.AdminFormError) as refused:
        admin_orgs.create_office(KM_MI, actor=actor, now=NOW)
    assert "已被使用" in refused.value.errors["code"]


def test_changes_are_audited_with_before_and_after(app):
    actor = admin()
    _yunnan(actor)
    admin_orgs.update_office("530100-mi", {**KM_MI, "phone": "0871-12345"}, actor=actor, now=NOW)
    admin_orgs.set_office_active("530100-mi", False, actor=actor, now=NOW)
    newest, updated, created = admin_changes.history("office", "530100-mi")
    assert created.change == "created" and created.after["code"] == "530100-mi"
    assert (updated.before, updated.after) == ({"phone": "12345"}, {"phone": "0871-12345"})
    assert (newest.change, newest.before, newest.after) == (
        "deactivated",
        {"active": True},
        {"active": False},
    )
    assert all(c.actor == actor.username for c in (newest, updated, created))
    assert admin_changes.history("region", "530000")[0].change == "created"
    assert audit.verify().ok


def test_a_deactivated_office_is_not_offered_but_its_cases_keep_working(app):
    actor = admin()
    applicant = citizen()
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    admin_orgs.set_office_active("510100-mi", False, actor=actor, now=NOW)
    cd = office("510100-mi")
    assert cd not in queries.offices_of("mi")
    assert cd not in open311.offices_of_department("mi")
    assert all(cd not in offices for _, offices in queries.offices_by_province("mi"))
    errors: dict[str, str] = {}
    svc = db.session.scalars(
        sa.select(filing.Service).where(filing.Service.code == "mi-offsite-registration")
    ).one()
    filing.offices_for(svc, "510100-mi", None, errors)  # what the API and Open311 file through
    assert "competent_office" in errors
    # the existing case is still there, at the same office, for its clerk
    db.session.expire_all()
    assert db.session.get(type(case), case.id).competent_office.code == "510100-mi"
    admin_orgs.set_office_active("510100-mi", True, actor=actor, now=NOW)
    assert office("510100-mi") in queries.offices_of("mi")


def test_referenced_objects_are_not_deleted_and_the_refusal_says_why(app):
    actor = admin()
    clerk("510100-hf")
    with pytest.raises(admin_orgs.Refused) as refused:
        admin_orgs.delete_office("510100-hf", actor=actor, now=NOW)
    assert "账号1个" in refused.value.message and "可以停用" in refused.value.message
    with pytest.raises(admin_orgs.Refused) as refused:
        admin_orgs.delete_region("510100", actor=actor, now=NOW)
    assert "不能删除" in refused.value.message
    # a region with active offices cannot be deactivated before them
    with pytest.raises(admin_orgs.Refused) as refused:
        admin_orgs.set_region_active("510100", False, actor=actor, now=NOW)
    assert "启用的部门窗口" in refused.value.message
    # an unreferenced office can be deleted, and that is recorded too
    _yunnan(actor)
    admin_orgs.delete_office("530100-mi", actor=actor, now=NOW)
    assert db.session.scalar(sa.select(Office).where(Office.code == "530100-mi")) is None
    assert admin_changes.history("office", "530100-mi")[0].change == "deleted"


# ---- the pages -------------------------------------------------------------------------------


def test_lists_search_filter_and_page(app, client):
    login_as(client, admin())
    page = client.get("/admin/offices?q=510100-&department=hf").get_data(as_text=True)
    assert '/admin/offices/510100-hf"' in page and '/admin/offices/510100-mi"' not in page
    page = client.get("/admin/offices?province=500000").get_data(as_text=True)
    assert "/admin/offices/500" in page and '/admin/offices/510100-hf"' not in page
    first = client.get("/admin/offices").get_data(as_text=True)
    assert "下一页" in first
    assert client.get("/admin/offices?page=2").status_code == 200
    page = client.get("/admin/regions?q=成都").get_data(as_text=True)
    assert '/admin/regions/510100"' in page and '/admin/regions/500000"' not in page
    page = client.get("/admin/regions?level=province").get_data(as_text=True)
    assert '/admin/regions/510000"' in page and '/admin/regions/510100"' not in page


def test_validation_errors_are_beside_the_fields_and_nothing_typed_is_lost(app, client):
    login_as(client, admin())
    response = client.post(
        "/admin/regions/new",
        data={**YUNNAN, "code": "5300", "name_en": "Yunnan Province (typed)"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "地区代码须为6位数字" in page
    assert 'value="5300"' in page and "Yunnan Province (typed)" in page
    response = client.post("/admin/offices/new", data={**KM_MI, "region_code": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请选择所属地区" in page and "昆明市医疗保障事务服务中心" in page
    assert db.session.scalar(sa.select(Office).where(Office.code == "530100-mi")) is None


def test_province_prefecture_office_through_the_pages_with_history(app, client):
    user = admin()
    login_as(client, user)
    assert client.post("/admin/regions/new", data=YUNNAN).status_code == 302
    assert client.post("/admin/regions/new", data=KUNMING).status_code == 302
    response = client.post("/admin/offices/new", data=KM_MI)
    assert response.headers["Location"].endswith("/admin/offices/530100-mi")
    client.post("/admin/offices/530100-mi", data={**KM_MI, "phone": "0871-1"})
    page = client.get("/admin/offices/530100-mi").get_data(as_text=True)
    assert "修改记录" in page and "0871-1" in page and user.username in page
    assert "mi-offsite-registration" in page  # the services it takes part in
    rows = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.target == "office:530100-mi")
    ).all()
    assert [r.detail["change"] for r in rows] == ["created", "updated"]
    assert rows[1].detail["before"] == {"phone": "12345"}


def test_refused_deletion_and_deactivation_say_why_on_the_page(app, client):
    login_as(client, admin())
    clerk("510100-hf")
    response = client.post("/admin/offices/510100-hf/delete", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "不能删除" in page and "账号1个" in page
    assert office("510100-hf") is not None
    response = client.post(
        "/admin/regions/510100/active", data={"active": "0"}, follow_redirects=True
    )
    assert "请先停用它们" in response.get_data(as_text=True)
    assert db.session.get(Region, "510100").active


def test_the_pages_refuse_other_roles(app):
    for user in (citizen(), clerk("510100-hf"), supervisor(None)):
        browser = app.test_client()
        login_as(browser, user)
        for url in ("/admin/regions", "/admin/offices", "/admin/offices/510100-hf"):
            assert browser.get(url).status_code == 403
        assert (
            browser.post("/admin/offices/510100-hf/active", data={"active": "0"}).status_code == 403
        )
    assert office("510100-hf").active


def test_the_edit_pages_save_what_their_forms_post(app, client):
    """The edit forms do not show the code (it cannot change): saving must not ask for it."""
    login_as(client, admin())
    hf = office("510100-hf")
    response = client.post(
        "/admin/offices/510100-hf",
        data={
            "region_code": hf.region_code,
            "department_code": hf.department_code,
            "name_zh": hf.name_zh,
            "name_en": hf.name_en,
            "address": hf.address,
            "phone": "028-12345",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    response = client.post(
        "/admin/regions/510100",
        data={"parent_code": "510000", "name_zh": "成都市", "name_en": "Chengdu City"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert office("510100-hf").phone == "028-12345"
    assert db.session.get(Region, "510100").name_en == "Chengdu City"
