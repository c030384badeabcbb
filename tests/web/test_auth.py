"""Accounts and sessions (SECURITY.md "Accounts resist attack", tests #5 brute force and
#6 sessions; PRODUCT.md: citizens log in by phone or resident ID, staff by username)."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.security import check_password_hash

from tests.builders import NOW, PASSWORD, citizen, clerk, supervisor
from tests.conftest import config_for
from tracker import create_app
from tracker.domain import passwords as pw
from tracker.domain.identifiers import iso7064_mod11_2
from tracker.domain.states import Role
from tracker.extensions import db
from tracker.models import AuditEntry, User
from tracker.services import accounts
from tracker.services.accounts import LOGIN_REFUSED, create_user
from tracker.web import wallclock

LOCKED_TEXT = "账号已暂时锁定"
TIMEOUT_TEXT = "登录已超时，请重新登录"
NEW_PASSWORD = "Fresh-Start-2027#"


def resident_id(serial: int, region: str = "510104", birth: str = "19850315") -> str:
    body = f"{region}{birth}{serial:03d}"
    return body + iso7064_mod11_2(body)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the clock the auth views and the session guard read."""
    c = Clock(NOW)
    monkeypatch.setattr(wallclock, "now", lambda: c.now)
    return c


def login(client, who: str, password: str = PASSWORD, next: str | None = None, **extra):  # type: ignore[no-untyped-def]
    url = "/login" + (f"?next={quote(next, safe='')}" if next is not None else "")
    return client.post(url, data={"login": who, "password": password, **extra})


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    """A page only a signed-in user gets (anyone else is sent to /login)."""
    response = client.get("/account/password")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def session_cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str):  # type: ignore[no-untyped-def]
    """Another browser holding a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def field_block(html: str, name: str) -> str:
    """From a field's label to the end of its control: where its errors must be shown."""
    match = re.search(
        rf'<label class="field-label" for="{name}">.*?<input[^>]*\bid="{name}"[^>]*>', html, re.S
    )
    assert match, f"no field {name}"
    return match.group(0)


def audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def user_by_phone(phone: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.phone == phone))


# ---- registration ----------------------------------------------------------------------------

REGISTRATION = {
    "real_name": " 王\u3000小明 ",
    "resident_id": resident_id(1),
    "phone": "+86 139-0000-0099",
    "password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
}


def sms_code(client, phone: str = "13900000099") -> str:
    """Press 获取验证码 and read the code from the SMS that was queued for the number."""
    import re

    from tracker.models import OutboxMessage

    answer = client.post("/register", data={"phone": phone, "send_code": "1"})
    assert answer.status_code == 200
    sms = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == phone, OutboxMessage.channel == "sms")
        .order_by(OutboxMessage.id.desc())
    ).first()
    found = re.search(r"\d{6}", sms.subject if sms else "")
    assert found, sms and sms.subject
    return found.group(0)


def test_registration_creates_a_citizen_signs_in_and_goes_to_my_cases(client):
    code = sms_code(client)
    response = client.post(
        "/register",
        data={
            **REGISTRATION,
            "code": code,
            "role": "admin",
            "office_id": "1",
            "failed_logins": "0",
            "username": "root",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/cases"
    user = user_by_phone("13900000099")
    assert user is not None
    assert user.role is Role.CITIZEN and user.office_id is None and user.username is None
    assert user.real_name == "王 小明"  # whitespace normalised
    assert user.resident_id_masked == resident_id(1)[:4] + "*" * 10 + resident_id(1)[-4:]
    assert check_password_hash(user.password_hash, NEW_PASSWORD)
    assert logged_in(client)
    assert [e.user_id for e in audit("register")] == [user.id]


def test_registration_errors_sit_beside_their_fields_and_typed_values_stay(client):
    bad_id = resident_id(2)[:-1] + ("0" if resident_id(2)[-1] != "0" else "1")
    response = client.post(
        "/register",
        data={
            "real_name": "张三",
            "resident_id": bad_id,
            "phone": "12345",
            "password": "short",
            "confirm": "short",
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert "校验码不符" in field_block(html, "resident_id")
    assert "11位" in field_block(html, "phone")
    assert pw.TOO_SHORT in field_block(html, "password")
    assert "field-errors" not in field_block(html, "real_name")
    assert 'value="张三"' in field_block(html, "real_name")
    assert 'value="12345"' in field_block(html, "phone")
    assert bad_id not in html  # a full ID number is never sent back (issue #13 item 5) ...
    assert "身份证号不会在页面上回显" in html  # ... and the page says why it must be retyped
    assert 'value="short"' not in html  # passwords are never echoed
    assert "提交未成功" in html  # the summary at the top links to each field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_every_fault_shows_at_once_even_when_the_confirmation_differs(client):
    html = text(
        client.post(
            "/register",
            data={**REGISTRATION, "phone": "123", "password": "Aa123456!!!!", "confirm": "other"},
        )
    )
    assert "两次输入的密码不一致" in field_block(html, "confirm")
    assert pw.COMMON in field_block(html, "password")
    assert "11位" in field_block(html, "phone")


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("张\x00三", "控制字符"),
        ("张\u200b三", "控制字符"),
        ("王" * 300, "2至30个字符"),
        ("王", "2至30个字符"),
    ],
)
def test_odd_names_are_refused_not_stored(client, name, fault):
    response = client.post("/register", data={**REGISTRATION, "real_name": name})
    assert response.status_code == 200
    assert fault in field_block(text(response), "real_name")
    assert user_by_phone("13900000099") is None


def test_registration_never_tells_a_stranger_whether_a_number_or_id_has_an_account(client, app):
    """Issue #13 item 5: the answer to "send me a code" is the same for every number; only
    the number's owner learns (by SMS) that it has an account. The test failed before: the
    form said "该手机号已被其他账号使用" / "该身份证号已注册" to anyone."""
    from tracker.models import OutboxMessage

    existing = citizen()
    pages = {}
    for phone in (existing.phone, "13900000099"):
        answer = client.post("/register", data={"phone": phone, "send_code": "1"})
        pages[phone] = text(answer).replace(phone, "<phone>")
    assert pages[existing.phone] == pages["13900000099"]
    assert "验证码已发送" in pages["13900000099"]
    told = db.session.scalars(
        sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == existing.phone)
    ).all()
    assert told == ["【通办】该手机号已注册"]  # the owner is told, with no code to use
    # No code works for a number that has an account; the refusal names the code only.
    html = text(
        client.post(
            "/register",
            data={**REGISTRATION, "phone": existing.phone, "code": "000000"},
        )
    )
    assert "验证码不正确或已过期" in field_block(html, "code")
    assert "该手机号已被其他账号使用" not in html and "该身份证号已注册" not in html
    # Someone who proved a phone of their own, with an ID that has an account: refused, but
    # not told whose or which.
    code = sms_code(client)
    html = text(
        client.post(
            "/register",
            data={**REGISTRATION, "resident_id": existing.resident_id.lower(), "code": code},
        )
    )
    assert "无法用这些信息注册" in field_block(html, "resident_id")
    assert existing.resident_id not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_code_expires_and_allows_five_tries(client, app, clock):
    code = sms_code(client)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        html = text(client.post("/register", data={**REGISTRATION, "code": wrong}))
        assert "验证码不正确或已过期" in field_block(html, "code")
    html = text(client.post("/register", data={**REGISTRATION, "code": code}))
    assert "验证码不正确或已过期" in field_block(html, "code")  # dead after five wrong tries
    assert user_by_phone("13900000099") is None
    clock.advance(minutes=1)
    fresh = sms_code(client)
    clock.advance(minutes=11)
    html = text(client.post("/register", data={**REGISTRATION, "code": fresh}))
    assert "验证码不正确或已过期" in field_block(html, "code")
    assert user_by_phone("13900000099") is None


def test_codes_are_throttled_per_number(client, clock):
    sms_code(client)
    again = text(client.post("/register", data={"phone": "13900000099", "send_code": "1"}))
    assert "60 秒后" in field_block(again, "phone")
    for _ in range(4):
        clock.advance(minutes=2)
        sms_code(client)
    clock.advance(minutes=2)
    sixth = text(client.post("/register", data={"phone": "13900000099", "send_code": "1"}))
    assert "一小时后" in field_block(sixth, "phone")


def test_a_failed_login_never_echoes_a_resident_id(client):
    typed = resident_id(7)
    html = text(client.post("/login", data={"login": typed, "password": "Wrong-Password-1"}))
    assert typed not in html and typed.lower() not in html
    html = text(client.post("/login", data={"login": "13912345678", "password": "x"}))
    assert 'value="13912345678"' in html  # a phone number is kept for retyping the password


def test_registration_refuses_common_and_personal_passwords(client):
    html = text(
        client.post(
            "/register",
            data={**REGISTRATION, "password": "Woaini1314520!", "confirm": "Woaini1314520!"},
        )
    )
    assert pw.COMMON in field_block(html, "password")
    with_phone = "Zq!" + "13900000099"
    html = text(
        client.post(
            "/register", data={**REGISTRATION, "password": with_phone, "confirm": with_phone}
        )
    )
    assert pw.PERSONAL in field_block(html, "password")
    birth = "Zq!-" + REGISTRATION["resident_id"][6:14]
    html = text(
        client.post("/register", data={**REGISTRATION, "password": birth, "confirm": birth})
    )
    assert pw.PERSONAL in field_block(html, "password")
    assert user_by_phone("13900000099") is None


def test_register_service_reports_fields_for_the_form(app):
    with pytest.raises(accounts.RegistrationError) as caught:
        accounts.register_citizen(
            real_name="张三",
            resident_id="123",
            phone="13900000099",
            password=NEW_PASSWORD,
            code="123456",
            now=NOW,
        )
    assert caught.value.field == "resident_id"
    assert set(caught.value.errors) == {"resident_id", "code"}
    assert "18位" in caught.value.message


# ---- signing in ------------------------------------------------------------------------------


def test_citizens_sign_in_by_phone_or_resident_id(app):
    person = citizen()
    for typed in (
        person.phone,
        "+86 " + person.phone,
        person.resident_id,
        person.resident_id.lower(),
    ):
        client = app.test_client()
        response = login(client, typed)
        assert response.status_code == 302, typed
        assert response.headers["Location"] == "/cases"
        assert logged_in(client)


@pytest.mark.parametrize(
    ("make", "home"),
    [
        (lambda: clerk("510100-hf"), "/clerk/"),
        (lambda: supervisor("510000"), "/supervisor/"),
        (
            lambda: create_user(
                role=Role.ADMIN,
                real_name="管理员",
                password=PASSWORD,
                now=NOW,
                username="admin.test",
            ),
            "/admin/",
        ),
    ],
)
def test_staff_sign_in_by_username_and_land_on_their_home(app, make, home):
    staff = make()
    client = app.test_client()
    response = login(client, staff.username)
    assert response.status_code == 302 and response.headers["Location"] == home
    assert logged_in(client)


def test_a_citizen_cannot_sign_in_with_a_staff_style_username(app):
    person = citizen()
    response = login(app.test_client(), person.real_name)
    assert LOGIN_REFUSED in text(response)


def test_unknown_user_and_wrong_password_get_byte_identical_answers(app):
    person = citizen()
    unknown = "13988887777"
    wrong = login(app.test_client(), person.phone, "Wrong-Password-1")
    missing = login(app.test_client(), unknown, "Wrong-Password-1")
    assert wrong.status_code == missing.status_code == 200
    assert LOGIN_REFUSED in text(wrong)
    # The pages differ only by the login the person typed back into the field.
    assert text(wrong).replace(person.phone, "LOGIN") == text(missing).replace(unknown, "LOGIN")
    # The same holds for a staff username and an ID number.
    staff = clerk("510100-hf")
    a = text(login(app.test_client(), staff.username, "Wrong-Password-1"))
    b = text(login(app.test_client(), "nobody.here", "Wrong-Password-1"))
    assert a.replace(staff.username, "LOGIN") == b.replace("nobody.here", "LOGIN")


def test_an_unknown_login_costs_as_much_time_as_a_wrong_password(app):
    person = citizen()

    def timed(who: str) -> float:
        start = time.perf_counter()
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(
                login=who, password="Wrong-Password-1", ip="10.0.0.1", now=NOW, max_failures=100
            )
        return time.perf_counter() - start

    timed("13988887777")  # warm up (the dummy hash is made once)
    wrong = statistics.median(timed(person.phone) for _ in range(5))
    unknown = statistics.median(timed("13988887777") for _ in range(5))
    # Without the dummy hash an unknown login answers ~10x faster.
    assert unknown > 0.5 * wrong


def test_six_wrong_passwords_then_the_right_one_is_refused_for_15_minutes(app, clock):
    person = citizen()
    client = app.test_client()
    for _ in range(5):
        assert LOGIN_REFUSED in text(login(client, person.phone, "Wrong-Password-1"))
        clock.advance(seconds=10)
    sixth = text(login(client, person.phone, "Wrong-Password-1"))
    assert LOCKED_TEXT in sixth and LOGIN_REFUSED not in sixth
    locked_at = clock.now
    right = login(client, person.phone)
    assert right.status_code == 200 and LOCKED_TEXT in text(right)
    # Right and wrong passwords get the same answer while locked.
    assert text(right) == text(login(client, person.phone, "Wrong-Password-1"))
    assert not logged_in(client)
    stored = user_by_phone(person.phone)
    assert stored is not None and stored.locked_until is not None
    assert stored.locked_until - locked_at >= timedelta(minutes=15) - timedelta(seconds=10)
    # The fifth failure (10 s before the sixth) started the lock: still locked at 14:59 after it.
    clock.now = stored.locked_until - timedelta(seconds=1)
    assert LOCKED_TEXT in text(login(client, person.phone))
    assert clock.now - locked_at >= timedelta(minutes=14)
    clock.now = stored.locked_until
    response = login(client, person.phone)
    assert response.status_code == 302 and logged_in(client)


def test_the_lock_answers_the_same_for_an_unknown_login(app, clock):
    person = citizen()

    def answers(who: str) -> list[str]:
        out = []
        for _ in range(7):
            html = text(login(app.test_client(), who, "Wrong-Password-1"))
            out.append(
                "locked" if LOCKED_TEXT in html else "refused" if LOGIN_REFUSED in html else "other"
            )
            clock.advance(seconds=1)
        return out

    real, unknown = answers(person.phone), answers("13988887777")
    assert real == unknown == ["refused"] * 5 + ["locked"] * 2
    clock.advance(minutes=16)
    assert answers(person.phone)[0] == answers("13988887777")[0] == "refused"


def test_a_success_resets_the_failure_count(app, clock):
    person = citizen()
    for _ in range(4):
        login(app.test_client(), person.phone, "Wrong-Password-1")
    assert login(app.test_client(), person.phone).status_code == 302
    for _ in range(4):
        login(app.test_client(), person.phone, "Wrong-Password-1")
    assert login(app.test_client(), person.phone).status_code == 302
    stored = user_by_phone(person.phone)
    assert stored is not None and stored.failed_logins == 0 and stored.locked_until is None
    assert stored.last_login_at == NOW


def test_every_attempt_is_audited_without_the_full_identifiers(app, clock):
    person = citizen()
    login(app.test_client(), person.phone, "Wrong-Password-1")
    login(app.test_client(), person.phone)  # resets the count
    login(app.test_client(), "13988887777", "Wrong-Password-1")
    for _ in range(5):
        login(app.test_client(), person.resident_id, "Wrong-Password-1")
    login(app.test_client(), person.phone)  # refused: locked

    ok = audit("login")
    assert [(e.user_id, e.success, e.ip) for e in ok] == [(person.id, True, "127.0.0.1")]
    failed = audit("login_failed")
    assert len(failed) == 7 and not any(e.success for e in failed)
    assert [e.user_id for e in failed].count(None) == 1  # the unknown login
    assert failed[-1].detail["locked_until"]
    locked = audit("locked")
    assert [(e.user_id, e.success) for e in locked] == [(person.id, False)]
    assert all(e.at == NOW for e in ok + failed + locked)
    for entry in ok + failed + locked:
        dumped = repr(entry.detail) + (entry.target or "")
        assert person.phone not in dumped and person.resident_id not in dumped
        assert "13988887777" not in dumped and "Wrong-Password" not in dumped


@pytest.fixture
def limited_app(template_db, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    path = tmp_path / "limited.sqlite"
    shutil.copy(template_db, path)
    cfg = type(
        "Limited",
        (config_for(f"sqlite:///{path}"),),
        {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"},
    )
    app = create_app(cfg)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_ip_limiter_answers_429(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert login(client, "13988887777", "Wrong-Password-1").status_code == 200
    response = login(client, "13988887777", "Wrong-Password-1")
    assert response.status_code == 429
    assert "操作过于频繁" in text(response)
    assert client.get("/login").status_code == 200  # only POST is limited
    # Registration has its own allowance, limited the same way.
    codes = [client.post("/register", data={"real_name": "张三"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # Another address is not held up by this one.
    other = limited_app.test_client()
    response = other.post(
        "/login", data={"login": "x", "password": "y"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert response.status_code == 200


# ---- sessions --------------------------------------------------------------------------------


def test_the_session_changes_at_login_and_the_pre_login_cookie_stays_anonymous(app):
    person = citizen()
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    before = session_cookie(client)
    assert login(client, person.phone).status_code == 302
    after = session_cookie(client)
    assert after != before
    with client.session_transaction() as s:
        assert "planted" not in s  # nothing of the anonymous session survives
    assert not logged_in(replay(app, before))
    assert logged_in(replay(app, after))


def test_logout_is_a_post_and_ends_every_copy_of_every_session(app):
    person = citizen()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, person.phone)
    login(phone, person.phone)
    copied = session_cookie(laptop)
    page = laptop.get("/logout")  # the header link: a page with a button, nothing changes
    assert page.status_code == 200 and 'method="post"' in text(page)
    assert logged_in(laptop)
    response = laptop.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "您已安全退出" in text(laptop.get("/"))
    assert not logged_in(laptop)
    assert not logged_in(replay(app, copied))
    assert not logged_in(phone)
    assert [e.user_id for e in audit("logout")] == [person.id]


def test_password_change_ends_other_sessions_and_keeps_this_one(app):
    person = citizen()
    this, other = app.test_client(), app.test_client()
    login(this, person.phone)
    login(other, person.phone)
    old_cookie = session_cookie(this)
    response = this.post(
        "/account/password", data={"old": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in(this)
    assert not logged_in(other)
    assert not logged_in(replay(app, old_cookie))
    assert LOGIN_REFUSED in text(login(app.test_client(), person.phone, PASSWORD))
    assert login(app.test_client(), person.phone, NEW_PASSWORD).status_code == 302
    assert len(audit("password_changed")) == 1


def test_password_change_errors_sit_beside_their_fields_and_change_nothing(app):
    person = citizen()
    client = app.test_client()
    login(client, person.phone)
    html = text(
        client.post(
            "/account/password",
            data={"old": "Not-My-Password-1", "new": "Aa123456!!!!", "confirm": "Aa123456!!!!"},
        )
    )
    assert "当前密码不正确" in field_block(html, "old")
    assert pw.COMMON in field_block(html, "new")
    html = text(
        client.post(
            "/account/password", data={"old": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}
        )
    )
    assert "新密码不能与当前密码相同" in field_block(html, "new")
    assert logged_in(client)
    assert login(app.test_client(), person.phone, PASSWORD).status_code == 302
    assert len(audit("password_change_failed")) == 2


def change(client, old: str, new: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/account/password", data={"old": old, "new": new, "confirm": new})


def test_six_wrong_current_passwords_lock_the_password_change_like_the_login(app, clock):
    person = citizen()
    client = app.test_client()
    login(client, person.phone)
    for _ in range(5):
        html = text(change(client, "Wrong-Password-1"))
        assert "当前密码不正确" in field_block(html, "old")
        clock.advance(seconds=10)
    sixth = text(change(client, "Wrong-Password-1"))
    assert LOCKED_TEXT in sixth and "当前密码不正确" not in sixth
    # The right current password is refused with the same answer while locked.
    right = change(client, PASSWORD)
    assert right.status_code == 200 and LOCKED_TEXT in text(right)
    assert text(right).count(LOCKED_TEXT) == text(change(client, "Wrong-Password-1")).count(
        LOCKED_TEXT
    )
    stored = user_by_phone(person.phone)
    assert stored is not None and stored.locked_until is not None
    assert stored.locked_until - clock.now >= timedelta(minutes=15) - timedelta(seconds=10)
    assert check_password_hash(stored.password_hash, PASSWORD)  # nothing changed
    # One lock for the account: the login form is locked too.
    assert LOCKED_TEXT in text(login(app.test_client(), person.phone))
    failed = audit("password_change_failed")
    assert [e.detail["failures"] for e in failed] == [1, 2, 3, 4, 5]
    assert "locked_until" in failed[-1].detail
    assert {e.user_id for e in failed} == {person.id}
    assert all(not e.success for e in audit("locked")) and len(audit("locked")) >= 3
    # When the lock has run out, the right password changes it; the count starts again.
    clock.now = stored.locked_until
    response = change(client, PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert len(audit("password_changed")) == 1
    stored = user_by_phone(person.phone)
    assert stored is not None and stored.failed_logins == 0 and stored.locked_until is None


def test_wrong_logins_and_wrong_current_passwords_share_one_count(app, clock):
    app.config.update(LOCKOUT_FAILURES=3, LOCKOUT_MINUTES=60)
    person = citizen()
    client = app.test_client()
    login(client, person.phone)
    login(app.test_client(), person.phone, "Wrong-Password-1")
    assert "当前密码不正确" in text(change(client, "Wrong-Password-1"))
    html = text(change(client, "Wrong-Password-1"))  # the third failure locks
    assert "当前密码不正确" in html
    html = text(change(client, PASSWORD))
    assert LOCKED_TEXT in html and "请60分钟后再试" in html
    assert LOCKED_TEXT in text(login(app.test_client(), person.phone))


def test_an_idle_session_ends_after_30_minutes(app, clock):
    person = citizen()
    client = app.test_client()
    login(client, person.phone)
    clock.advance(minutes=29)
    assert logged_in(client)
    clock.advance(minutes=29)  # 58 minutes after login, but only 29 idle
    assert logged_in(client)
    cookie = session_cookie(client)
    clock.advance(minutes=31)
    response = client.get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert TIMEOUT_TEXT in text(client.get("/login"))
    assert not logged_in(replay(app, cookie))  # a copy of the idle cookie is just as dead


def test_a_session_ends_12_hours_after_login_however_busy(app, clock):
    person = citizen()
    client = app.test_client()
    login(client, person.phone)
    for _ in range(12 * 60 // 20):
        clock.advance(minutes=20)
        assert logged_in(client)  # active all along, never idle
    clock.advance(minutes=1)
    assert not logged_in(client)


def test_a_signed_in_session_that_did_not_come_from_our_login_is_refused(app):
    person = citizen()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = person.get_id()
        s["_fresh"] = True
    assert not logged_in(client)


def test_nobody_gets_a_remember_me_cookie(app):
    for user in (citizen(), clerk("510100-hf")):
        client = app.test_client()
        response = login(client, user.phone or user.username, remember="y")
        assert response.status_code == 302
        assert client.get_cookie("remember_token") is None
        assert "remember_token" not in (response.headers.get("Set-Cookie") or "")


def test_session_cookie_flags(app):
    person = citizen()
    response = login(app.test_client(), person.phone)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "///evil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(app, target):
    person = citizen()
    response = login(app.test_client(), person.phone, next=target)
    location = response.headers["Location"]
    assert location == "/cases"
    assert not urlsplit(location).netloc


def test_next_takes_you_back_to_a_local_page(app):
    person = citizen()
    response = login(app.test_client(), person.phone, next="/services/hf-transfer?from=apply")
    assert response.headers["Location"] == "/services/hf-transfer?from=apply"
    client = app.test_client()
    login(client, person.phone)
    already = client.get("/login?next=%2F%2Fevil.example")  # signed in already
    assert already.status_code == 302 and already.headers["Location"] == "/cases"


def test_login_required_pages_send_you_to_login_and_back(app):
    person = citizen()
    client = app.test_client()
    response = client.get("/account/password")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    response = client.post(
        response.headers["Location"], data={"login": person.phone, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/password"


# ---- the pages -------------------------------------------------------------------------------


def test_auth_pages_are_not_cached(app):
    person = citizen()
    client = app.test_client()
    for path in ("/login", "/register"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    login(client, person.phone)
    assert client.get("/account/password").headers.get("Cache-Control") == "no-store"


def test_pages_link_to_each_other_and_help_password_managers(client):
    login_page, register_page = text(client.get("/login")), text(client.get("/register"))
    assert 'href="/register"' in login_page and 'href="/login"' in register_page
    assert 'autocomplete="username"' in login_page
    assert 'autocomplete="current-password"' in login_page
    assert 'autocomplete="new-password"' in register_page and 'autocomplete="tel"' in register_page
    for rule in pw.RULES:
        assert rule in register_page
    # The login page tells nobody about the demo accounts.
    assert "13900000001" not in login_page and "Tongban-Demo" not in login_page
    assert "演示账号" not in login_page
    assert "Field must" not in register_page + login_page  # no English WTForms defaults


def test_empty_submissions_get_chinese_messages(client):
    html = text(client.post("/login", data={}))
    assert "请填写手机号、身份证号或用户名" in html and "请填写密码" in html
    html = text(client.post("/register", data={}))
    for message in (
        "请填写姓名",
        "请填写身份证号",
        "请填写手机号",
        "请设置密码",
        "请填写短信验证码",
    ):
        assert message in html
    assert "This field is required" not in html


def test_a_locked_message_never_says_whether_the_password_was_right(app):
    person = citizen()
    later = NOW + timedelta(seconds=1)
    for _ in range(5):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(login=person.phone, password="x", ip=None, now=NOW)
    with pytest.raises(accounts.AccountLocked) as right:
        accounts.authenticate(login=person.phone, password=PASSWORD, ip=None, now=later)
    with pytest.raises(accounts.AccountLocked) as wrong:
        accounts.authenticate(login=person.phone, password="x", ip=None, now=later)
    assert right.value.message == wrong.value.message
    assert right.value.until == NOW + timedelta(minutes=15)
    # ... and at the end of the lock the right password works again.
    user = accounts.authenticate(
        login=person.phone, password=PASSWORD, ip=None, now=NOW + timedelta(minutes=15)
    )
    assert user.id == person.id and user.last_login_at == NOW + timedelta(minutes=15)


def test_lockout_settings_come_from_the_configuration(app, clock):
    app.config.update(LOCKOUT_FAILURES=2, LOCKOUT_MINUTES=60)
    person = citizen()
    for _ in range(2):
        login(app.test_client(), person.phone, "Wrong-Password-1")
    clock.advance(minutes=59)
    assert LOCKED_TEXT in text(login(app.test_client(), person.phone))
    html = text(login(app.test_client(), person.phone))
    assert "请1分钟后再试" in html  # the lock message counts down
    assert "连续2次输入错误，账号将锁定60分钟" in html  # the help states the configured rule
    clock.advance(minutes=1)
    assert login(app.test_client(), person.phone).status_code == 302


def test_end_sessions_service_rotates_the_nonce(app):
    person = citizen()
    before = person.get_id()
    accounts.end_sessions(person, datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    assert person.get_id() != before
    db.session.expire_all()
    assert db.session.get(User, person.id).get_id() == person.get_id()


def test_a_mistyped_phone_is_not_held_against_the_password(client):
    html = text(
        client.post(
            "/register",
            data={
                **REGISTRATION,
                "phone": "12345",
                "password": "Zq-Secret-12345x",
                "confirm": "Zq-Secret-12345x",
            },
        )
    )
    assert "11位" in field_block(html, "phone")
    assert "field-errors" not in field_block(html, "password")
