"""Staff accounts in the admin console: clerks of an office, supervisors of a scope; a reset
password is one-time and must be changed at the next login; lock and unlock with a reason;
deactivate; citizens only locked and unlocked, masked; no admin changes their own account or
makes an admin; every change audited (never the password)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.builders import NOW, PASSWORD, admin, citizen, clerk, login_as, supervisor
from tracker.domain.passwords import password_problems
from tracker.domain.states import Role
from tracker.extensions import db
from tracker.models import AuditEntry, User
from tracker.services import accounts, admin_changes, admin_orgs, admin_staff, audit
from tracker.web import wallclock

NEW_CLERK = {
    "role": "clerk",
    "username": "clerk.new.hf",
    "real_name": "新窗口",
    "office_code": "510100-hf",
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def _fresh(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


# ---- the rules (service) ---------------------------------------------------------------------


def test_create_a_clerk_and_a_supervisor_with_one_time_passwords(app):
    actor = admin()
    user, password = admin_staff.create_staff(NEW_CLERK, actor=actor, now=NOW)
    assert user.role is Role.CLERK and user.office.code == "510100-hf"
    assert user.must_change_password
    assert not password_problems(password, personal=[user.username])
    sup, other = admin_staff.create_staff(
        {
            "role": "supervisor",
            "username": "sup.sc",
            "real_name": "四川督查",
            "scope_region_code": "510000",
        },
        actor=actor,
        now=NOW,
    )
    assert sup.scope_region_code == "510000" and other != password
    everywhere, _ = admin_staff.create_staff(
        {"role": "supervisor", "username": "sup.all", "real_name": "全部督查"},
        actor=actor,
        now=NOW,
    )
    assert everywhere.scope_region_code is None
    entry = admin_changes.history("user", user.id)[0]
    assert entry.change == "created" and entry.after["office"] == "510100-hf"
    assert password not in json.dumps([e.detail for e in db.session.scalars(sa.select(AuditEntry))])


def test_staff_input_is_checked_and_admins_cannot_be_made(app):
    actor = admin()
    for data, bad in [
        ({**NEW_CLERK, "role": "admin"}, "role"),
        ({**NEW_CLERK, "role": "citizen"}, "role"),
        ({**NEW_CLERK, "username": "A b"}, "username"),
        ({**NEW_CLERK, "username": actor.username}, "username"),
        ({**NEW_CLERK, "office_code": ""}, "office_code"),
        ({**NEW_CLERK, "real_name": "x"}, "real_name"),
        (
            {
                "role": "supervisor",
                "username": "s.x",
                "real_name": "督查",
                "scope_region_code": "999999",
            },
            "scope_region_code",
        ),
    ]:
        with pytest.raises(admin_orgs.AdminFormError) as refused:
            admin_staff.create_staff(data, actor=actor, now=NOW)
        assert bad in refused.value.errors, (data, refused.value.errors)
    admin_orgs.set_office_active("510100-hf", False, actor=actor, now=NOW)
    with pytest.raises(admin_orgs.AdminFormError) as refused:
        admin_staff.create_staff(NEW_CLERK, actor=actor, now=NOW)
    assert "已停用" in refused.value.errors["office_code"]


def test_an_admin_cannot_change_their_own_account(app):
    me = admin()
    for change in (
        lambda: admin_staff.update_staff(
            me.id, {**NEW_CLERK, "role": "supervisor"}, actor=me, now=NOW
        ),
        lambda: admin_staff.set_active(me.id, False, actor=me, now=NOW),
        lambda: admin_staff.set_locked(me.id, True, "测试", actor=me, now=NOW),
        lambda: admin_staff.reset_password(me.id, actor=me, now=NOW),
    ):
        with pytest.raises(admin_orgs.Refused):
            change()
    me = _fresh(me)
    assert me.role is Role.ADMIN and me.is_active_account and me.locked_reason is None
    other = admin()
    with pytest.raises(admin_orgs.Refused):
        admin_staff.update_staff(other.id, {**NEW_CLERK}, actor=me, now=NOW)
    assert _fresh(other).role is Role.ADMIN


def test_reset_password_forces_a_change_and_ends_sessions(app):
    actor = admin()
    target = clerk("510100-hf")
    nonce = target.session_nonce
    user, password = admin_staff.reset_password(target.id, actor=actor, now=NOW)
    user = _fresh(user)
    assert user.must_change_password and user.session_nonce != nonce
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(login=user.username, password=PASSWORD, ip=None, now=NOW)
    signed_in = accounts.authenticate(login=user.username, password=password, ip=None, now=NOW)
    accounts.change_password(signed_in, old=password, new="Kunming-Window-2027!", now=NOW)
    assert not _fresh(user).must_change_password
    entry = admin_changes.history("user", user.id)[0]
    assert entry.change == "password_reset" and entry.after == {"password": "(one-time)"}


def test_lock_needs_a_reason_and_refuses_login_until_unlocked(app):
    actor = admin()
    target = clerk("510100-hf")
    with pytest.raises(admin_orgs.AdminFormError) as refused:
        admin_staff.set_locked(target.id, True, "  ", actor=actor, now=NOW)
    assert "reason" in refused.value.errors
    admin_staff.set_locked(target.id, True, "离职交接", actor=actor, now=NOW)
    with pytest.raises(accounts.AccountLockedByAdmin):
        accounts.authenticate(login=target.username, password=PASSWORD, ip=None, now=NOW)
    admin_staff.set_locked(target.id, False, "交接完成", actor=actor, now=NOW)
    assert accounts.authenticate(login=target.username, password=PASSWORD, ip=None, now=NOW)
    unlocked, locked, _created = admin_changes.history("user", target.id) + [None]
    assert (locked.change, locked.note, locked.after) == ("locked", "离职交接", {"locked": True})
    assert (unlocked.change, unlocked.before) == ("unlocked", {"locked": True})
    assert audit.verify().ok


def test_citizens_are_only_locked_and_unlocked_and_never_logged_in_full(app):
    actor = admin()
    person = citizen()
    with pytest.raises(admin_orgs.Refused):
        admin_staff.set_active(person.id, False, actor=actor, now=NOW)
    with pytest.raises(admin_orgs.Refused):
        admin_staff.reset_password(person.id, actor=actor, now=NOW)
    with pytest.raises(admin_orgs.Refused):
        admin_staff.update_staff(person.id, NEW_CLERK, actor=actor, now=NOW)
    admin_staff.set_locked(person.id, True, "冒用举报", actor=actor, now=NOW)
    logged = json.dumps(admin_changes.history("user", person.id)[0].after, ensure_ascii=False)
    assert person.real_name not in logged and person.phone not in logged
    shown = admin_staff.account(_fresh(person))
    assert shown.phone != person.phone and shown.phone.endswith(person.phone[-4:])
    assert shown.name != person.real_name and shown.resident_id == person.resident_id_masked


def test_deactivated_accounts_cannot_sign_in(app):
    actor = admin()
    target = supervisor(None)
    admin_staff.set_active(target.id, False, actor=actor, now=NOW)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(login=target.username, password=PASSWORD, ip=None, now=NOW)
    admin_staff.set_active(target.id, True, actor=actor, now=NOW)
    assert accounts.authenticate(login=target.username, password=PASSWORD, ip=None, now=NOW)


# ---- the pages -------------------------------------------------------------------------------


def test_list_search_and_filters(app, client):
    login_as(client, admin())
    mine = clerk("510100-hf")
    other = clerk("510100-mi")
    admin_staff.set_locked(other.id, True, "测试", actor=admin(), now=NOW)
    page = client.get("/admin/staff?office=510100-hf").get_data(as_text=True)
    assert mine.username in page and other.username not in page
    page = client.get("/admin/staff?state=locked").get_data(as_text=True)
    assert other.username in page and mine.username not in page
    page = client.get(f"/admin/staff?q={mine.username}&role=clerk").get_data(as_text=True)
    assert mine.username in page and "从未登录" in page


def test_the_citizen_page_masks_personal_data(app, client):
    login_as(client, admin())
    person = citizen()
    for url in ("/admin/staff?role=citizen", f"/admin/staff/{person.id}"):
        page = client.get(url).get_data(as_text=True)
        assert person.phone not in page and person.real_name not in page
        assert person.resident_id not in page
    assert person.resident_id_masked in client.get(f"/admin/staff/{person.id}").get_data(
        as_text=True
    )


def test_create_shows_the_password_once_and_the_user_must_change_it(app, client):
    login_as(client, admin())
    response = client.post("/admin/staff/new", data=NEW_CLERK)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    start = page.index('data-testid="one-time-password">') + len('data-testid="one-time-password">')
    password = page[start : page.index("<", start)]
    user = db.session.scalars(sa.select(User).where(User.username == "clerk.new.hf")).one()
    assert password not in client.get(f"/admin/staff/{user.id}").get_data(as_text=True)
    newcomer = app.test_client()
    response = newcomer.post("/login", data={"login": "clerk.new.hf", "password": password})
    assert response.headers["Location"].endswith("/account/password")
    assert newcomer.get("/clerk/").headers["Location"].endswith("/account/password")
    newcomer.post(
        "/account/password",
        data={"old": password, "new": "Kunming-Window-2027!", "confirm": "Kunming-Window-2027!"},
    )
    assert newcomer.get("/clerk/").status_code == 200


def test_validation_errors_keep_the_input(app, client):
    login_as(client, admin())
    response = client.post(
        "/admin/staff/new", data={**NEW_CLERK, "role": "admin", "real_name": "保留的姓名"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不能创建管理员账号" in page and "保留的姓名" in page and "clerk.new.hf" in page
    target = clerk("510100-hf")
    response = client.post(f"/admin/staff/{target.id}/lock", data={"lock": "1", "reason": ""})
    assert response.status_code == 422 and "请填写" in response.get_data(as_text=True)
    assert _fresh(target).locked_reason is None


def test_an_admin_cannot_change_their_own_role_through_the_page(app, client):
    me = admin()
    login_as(client, me)
    response = client.post(
        f"/admin/staff/{me.id}", data={"role": "supervisor", "real_name": "我自己"}
    )
    assert response.status_code == 422
    assert "不能修改自己账号" in response.get_data(as_text=True)
    client.post(f"/admin/staff/{me.id}/active", data={"active": "0"})
    me = _fresh(me)
    assert me.role is Role.ADMIN and me.is_active_account
    assert admin_changes.history("user", me.id) == []


def test_other_roles_are_refused(app):
    target = clerk("510100-hf")
    for user in (citizen(), clerk("510100-mi"), supervisor(None)):
        browser = app.test_client()
        login_as(browser, user)
        assert browser.get("/admin/staff").status_code == 403
        assert browser.post(f"/admin/staff/{target.id}/password").status_code == 403
        assert browser.post("/admin/staff/new", data=NEW_CLERK).status_code == 403
    assert not _fresh(target).must_change_password
    assert db.session.scalar(sa.select(User).where(User.username == "clerk.new.hf")) is None


def test_the_admin_pages_never_open_a_sealed_resident_id(app, client, monkeypatch):
    from tracker import crypto

    login_as(client, admin())
    person_id = citizen().id
    opened: list[str] = []
    real_open = crypto.open_

    def spy(value: str, purpose: str) -> str:
        opened.append(purpose)
        return real_open(value, purpose)

    monkeypatch.setattr(crypto, "open_", spy)
    assert client.get("/admin/staff?role=citizen").status_code == 200
    assert client.get(f"/admin/staff/{person_id}").status_code == 200
    response = client.post(f"/admin/staff/{person_id}/lock", data={"lock": "1", "reason": "举报"})
    assert response.status_code == 302
    response = client.post(f"/admin/staff/{person_id}", data={"role": "clerk"})
    assert response.status_code == 422
    assert "users.resident_id" not in opened
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.locked_reason).where(User.id == person_id)) == "举报"
