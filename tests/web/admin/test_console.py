"""The console's frame: the admin lands on /admin/ (no longer a 404), other roles are refused,
and every change is recorded with who, when, before and after (tracker.services.admin_changes)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.builders import PASSWORD, admin, citizen, clerk, login_as, supervisor
from tracker.extensions import db
from tracker.services import admin_changes, audit


def test_the_admin_lands_on_the_console_after_login(app, client):
    user = admin()
    response = client.post("/login", data={"login": user.username, "password": PASSWORD})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/admin/")
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "系统管理" in page.get_data(as_text=True)


def test_other_roles_are_refused(app, client):
    for user in (citizen(), clerk("500112-hf"), supervisor(None)):
        browser = app.test_client()
        login_as(browser, user)
        assert browser.get("/admin/").status_code == 403
    assert client.get("/admin/").status_code == 302


def test_a_change_is_sealed_in_the_audit_log_with_before_and_after(app):
    user = admin()
    at = datetime(2026, 11, 30, 8, tzinfo=UTC)
    with db.session.begin_nested():
        admin_changes.record_change(
            db.session,
            actor=user,
            at=at,
            kind="office",
            key="X1",
            change="created",
            after={"name_zh": "甲", "phone": ""},
        )
        admin_changes.record_change(
            db.session,
            actor=user,
            at=at,
            kind="office",
            key="X1",
            change="updated",
            before={"name_zh": "甲", "phone": ""},
            after={"name_zh": "乙", "phone": ""},
        )
        unchanged = admin_changes.record_change(
            db.session,
            actor=user,
            at=at,
            kind="office",
            key="X1",
            change="updated",
            before={"name_zh": "乙"},
            after={"name_zh": "乙"},
        )
    db.session.commit()
    assert unchanged is None
    newest, first = admin_changes.history("office", "X1")
    assert (newest.change, newest.before, newest.after) == (
        "updated",
        {"name_zh": "甲"},
        {"name_zh": "乙"},
    )
    assert first.change == "created" and first.before == {} and first.after["name_zh"] == "甲"
    assert newest.actor == user.username and str(newest.label) == "修改"
    assert audit.verify().ok


def test_for_an_admin_case_and_applicant_pages_do_not_exist(app, client):
    """Issue #11: an admin gets 404 on case and applicant pages (separation of duties)."""
    from tests.builders import submit

    owner = citizen()
    case = submit("hf-retirement-withdrawal", owner, "510100-hf", "510100-hf")
    login_as(client, admin())
    number = case.tracking_number
    for path in (
        f"/cases/{number}",
        "/cases",
        f"/clerk/cases/{number}",
        "/clerk/",
        f"/supervisor/cases/{number}",
        "/supervisor/",
    ):
        assert client.get(path).status_code == 404, path
