"""CSRF with protection on (SECURITY.md test #4). Flask-WTF answers a bad token with 400, not
403 (ARCHITECTURE.md); a refused request changes nothing, and no GET changes anything."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner

from tests.builders import PASSWORD, citizen
from tests.conftest import config_for
from tracker import create_app
from tracker.extensions import db
from tracker.models import AuditEntry, User


@pytest.fixture
def csrf_app(template_db, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """CSRF on. No application context stays pushed around the requests: Flask would reuse
    it, and with it ``g``, where Flask-WTF keeps this request's token — one browser's token
    would then serve another's request, which no real deployment does."""
    path = tmp_path / "csrf.sqlite"
    shutil.copy(template_db, path)
    app = create_app(
        type("WithCsrf", (config_for(f"sqlite:///{path}"),), {"WTF_CSRF_ENABLED": True})
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@dataclass(frozen=True)
class Person:
    id: int
    phone: str
    password_hash: str


@pytest.fixture
def person(csrf_app) -> Person:  # type: ignore[no-untyped-def]
    return new_citizen(csrf_app)


def new_citizen(app: Flask) -> Person:
    with app.app_context():
        user = citizen()
        found = Person(user.id, user.phone or "", user.password_hash)
        db.session.remove()
    return found


def token_from(client, path: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, phone: str) -> None:  # type: ignore[no-untyped-def]
    token = token_from(client, "/login")
    response = client.post(
        "/login", data={"login": phone, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def read(app: Flask, query):  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


def nonce_of(app: Flask, user_id: int) -> str:
    return read(app, sa.select(User.session_nonce).where(User.id == user_id))


def count(app: Flask, query) -> int:  # type: ignore[no-untyped-def]
    return read(app, sa.select(sa.func.count()).select_from(query.subquery()))


def test_every_form_carries_a_token(csrf_app, person):
    client = csrf_app.test_client()
    for path in ("/login", "/register"):
        assert token_from(client, path)
    sign_in(client, person.phone)
    for path in ("/logout", "/account/password"):
        assert token_from(client, path)


@pytest.mark.parametrize("token", ["missing", "foreign", "garbage", "expired"])
def test_login_without_a_valid_token_is_400_and_signs_nobody_in(
    csrf_app, person, token, monkeypatch
):
    client, stranger = csrf_app.test_client(), csrf_app.test_client()
    data = {"login": person.phone, "password": PASSWORD}
    own = token_from(client, "/login")
    if token == "foreign":
        data["csrf_token"] = token_from(stranger, "/login")  # valid, but another session's
        assert data["csrf_token"] != own
    elif token == "garbage":
        data["csrf_token"] = "not-a-token"
    elif token == "expired":
        data["csrf_token"] = own
        later = TimestampSigner("x").get_timestamp() + 3600 + 60  # WTF_CSRF_TIME_LIMIT 3600
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.post("/login", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "页面已过期或来源无法验证" in html and "CSRF" not in html
    monkeypatch.undo()
    assert not logged_in(client)
    # The attempt never reached the account: no audit row, no failure counted.
    assert count(csrf_app, sa.select(AuditEntry.id)) == 0
    assert read(csrf_app, sa.select(User.failed_logins).where(User.id == person.id)) == 0


def test_the_right_token_signs_in(csrf_app, person):
    client = csrf_app.test_client()
    sign_in(client, person.phone)
    assert logged_in(client)


@pytest.mark.parametrize("token", ["missing", "foreign"])
def test_a_forged_logout_is_400_and_leaves_the_person_signed_in(csrf_app, person, token):
    client = csrf_app.test_client()
    sign_in(client, person.phone)
    before = nonce_of(csrf_app, person.id)
    data = {}
    if token == "foreign":
        other = csrf_app.test_client()
        sign_in(other, new_citizen(csrf_app).phone)
        data["csrf_token"] = token_from(other, "/logout")
    response = client.post("/logout", data=data)
    assert response.status_code == 400
    assert logged_in(client)
    assert nonce_of(csrf_app, person.id) == before


def test_get_logout_changes_nothing(csrf_app, person):
    client = csrf_app.test_client()
    sign_in(client, person.phone)
    before = nonce_of(csrf_app, person.id)
    page = client.get("/logout")
    assert page.status_code == 200
    assert logged_in(client) and nonce_of(csrf_app, person.id) == before
    # The button on that page is what logs out.
    response = client.post("/logout", data={"csrf_token": token_from(client, "/logout")})
    assert response.status_code == 302
    assert not logged_in(client) and nonce_of(csrf_app, person.id) != before


def test_a_forged_password_change_is_400_and_changes_nothing(csrf_app, person):
    client = csrf_app.test_client()
    sign_in(client, person.phone)
    response = client.post(
        "/account/password",
        data={"old": PASSWORD, "new": "Fresh-Start-2027#", "confirm": "Fresh-Start-2027#"},
    )
    assert response.status_code == 400
    stored = read(csrf_app, sa.select(User.password_hash).where(User.id == person.id))
    assert stored == person.password_hash
    assert logged_in(client)


def test_a_forged_registration_is_400_and_creates_nobody(csrf_app):
    client = csrf_app.test_client()
    response = client.post(
        "/register",
        data={
            "real_name": "张三",
            "resident_id": "11010519491231002X",
            "phone": "13911112222",
            "password": "Fresh-Start-2027#",
            "confirm": "Fresh-Start-2027#",
        },
    )
    assert response.status_code == 400
    assert count(csrf_app, sa.select(User.id)) == 0


def test_get_requests_to_the_auth_pages_change_nothing(csrf_app, person):
    client = csrf_app.test_client()
    for path in ("/login?login=x&password=y", "/register?real_name=x", "/logout"):
        assert client.get(path).status_code in (200, 302)
    sign_in(client, person.phone)
    before = nonce_of(csrf_app, person.id)
    for path in (
        "/logout",
        "/account/password?old=x&new=y&confirm=y",
        "/login?login=x&password=y",
        "/register?real_name=x",
    ):
        assert client.get(path).status_code in (200, 302)
    assert nonce_of(csrf_app, person.id) == before and logged_in(client)
    # Only the one sign-in was recorded: the GETs did nothing.
    assert count(csrf_app, sa.select(AuditEntry.action)) == 1
    assert count(csrf_app, sa.select(User.id)) == 1
