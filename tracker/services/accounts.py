"""Accounts: creating users (staff and citizens) and citizen registration with real name,
resident ID and phone. Signing in, ending sessions and password changes are
``services/signin.py``; their names are re-exported here, where callers look for them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import crypto
from ..database import write_transaction
from ..domain.errors import DomainError, InvalidPhone, InvalidResidentId
from ..domain.identifiers import (
    mask_resident_id,
    normalize_mobile,
    validate_resident_id,
)
from ..domain.passwords import password_problems
from ..domain.states import Role
from ..domain.text import N_
from ..models import Office, User
from ..passwords import hash_password
from . import phone_codes
from .calendar import local_date
from .signin import (
    LOGIN_REFUSED,
    AccountLocked,
    AccountLockedByAdmin,
    LoginRefused,
    PasswordChangeError,
    _audit,
    _FieldErrors,
    authenticate,
    change_password,
    end_sessions,
)

__all__ = [
    "LOGIN_REFUSED",
    "AccountLocked",
    "AccountLockedByAdmin",
    "LoginRefused",
    "PasswordChangeError",
    "RegistrationError",
    "authenticate",
    "change_password",
    "create_user",
    "end_sessions",
    "normalize_real_name",
    "register_citizen",
    "registration_problems",
]

NAME_MIN, NAME_MAX = 2, 30


class RegistrationError(_FieldErrors):
    """Registration refused. ``errors``: {form field: [Chinese messages]} — fields are
    ``real_name``, ``resident_id``, ``phone``, ``password``."""

    code = "registration_refused"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)


# ---- helpers ---------------------------------------------------------------------------------


def normalize_real_name(text: str) -> str:
    """Surrounding whitespace stripped and inner runs of whitespace (including the full-width
    space) made one ASCII space; :class:`ValueError` with a Chinese message when the name has
    control or invisible characters, or is not 2–30 characters long."""
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ValueError(N_("姓名中不能包含换行、制表符、零宽字符等控制字符"))
    name = " ".join(text.split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise ValueError(
            N_("姓名应为%(min)s至%(max)s个字符（与身份证上的姓名一致）", min=NAME_MIN, max=NAME_MAX)
        )
    return name


# ---- creating accounts -----------------------------------------------------------------------


def create_user(
    *,
    role: Role,
    real_name: str,
    password: str,
    now: datetime,
    username: str | None = None,
    phone: str | None = None,
    resident_id: str | None = None,
    office: Office | None = None,
    scope_region_code: str | None = None,
    home_region_code: str | None = None,
) -> User:
    """Any role, for the demo seeder, the CLI and tests. No password policy here: people
    choosing their own password go through :func:`register_citizen` or
    :func:`change_password`."""
    if role is Role.CITIZEN:
        if phone is None or resident_id is None:
            raise DomainError(N_("申请人须提供手机号和身份证号"), code="citizen_identity")
        phone = normalize_mobile(phone)
        resident_id = validate_resident_id(resident_id, local_date(now))
    with write_transaction() as session:
        clash = sa.or_(
            User.username == username if username else sa.false(),
            User.phone == phone if phone else sa.false(),
            User.resident_id_digest == crypto.lookup(resident_id) if resident_id else sa.false(),
        )
        if session.scalar(sa.select(User.id).where(clash)) is not None:
            raise DomainError(N_("该用户名、手机号或身份证号已注册"), code="duplicate_user")
        user = User(
            role=role,
            username=username,
            phone=phone,
            resident_id=resident_id,
            resident_id_masked=mask_resident_id(resident_id) if resident_id else None,
            real_name=real_name,
            password_hash=hash_password(password),
            office_id=office.id if office else None,
            scope_region_code=scope_region_code,
            home_region_code=home_region_code,
            created_at=now,
            password_changed_at=now,
        )
        session.add(user)
    return user


@dataclass
class _Registration:
    errors: dict[str, list[str]]
    name: str = ""
    resident_id: str = ""
    phone: str = ""


def _check_registration(
    *, real_name: str, resident_id: str, phone: str, password: str, now: datetime
) -> _Registration:
    errors: dict[str, list[str]] = {}
    checked = _Registration(errors)
    try:
        checked.name = normalize_real_name(real_name)
    except ValueError as exc:
        errors["real_name"] = [exc.args[0]]  # the Text, not str(exc): it keeps its msgid
    try:
        checked.resident_id = validate_resident_id(resident_id, local_date(now))
    except InvalidResidentId as exc:
        errors["resident_id"] = [exc.message]
    try:
        checked.phone = normalize_mobile(phone)
    except InvalidPhone as exc:
        errors["phone"] = [exc.message]
    # Only values that passed their own check: a mistyped "12345" is nobody's phone number.
    personal = [v for v in (checked.phone, checked.resident_id) if v]
    problems = password_problems(password, personal=personal)
    if problems:
        errors["password"] = problems
    # Whether the ID or the number has an account is not said here: the form is answered the
    # same for everyone (issue #13 item 5); see ``register_citizen``.
    return checked


def _taken(session: Session, checked: _Registration) -> bool:
    clash = sa.or_(
        User.resident_id_digest == crypto.lookup(checked.resident_id),
        User.phone == checked.phone,
    )
    return session.scalar(sa.select(User.id).where(clash).limit(1)) is not None


def registration_problems(
    *, real_name: str, resident_id: str, phone: str, password: str, now: datetime
) -> dict[str, list[str]]:
    """What :func:`register_citizen` would refuse, keyed by field; writes nothing. For a form
    that failed its own checks, so that every fault shows at once."""
    return _check_registration(
        real_name=real_name,
        resident_id=resident_id,
        phone=phone,
        password=password,
        now=now,
    ).errors


CODE_WRONG = N_("验证码不正确或已过期，请重新获取")
CANNOT_REGISTER = N_(
    "无法用这些信息注册。如您已有账号，请直接登录；"
    "如身份证号被他人使用，请携带身份证到任一通办窗口办理"
)


def register_citizen(
    *,
    real_name: str,
    resident_id: str,
    phone: str,
    password: str,
    code: str,
    now: datetime,
    ip: str | None = None,
) -> User:
    """A new applicant account, for the holder of ``phone`` (``code`` is the one-time code
    sent to it, ``services/phone_codes.py``). Every fault is reported at once, keyed by field,
    in a :class:`RegistrationError`; one account per resident ID and per phone number, and a
    refusal for that reason only reaches someone who proved the phone is theirs."""
    checked = _check_registration(
        real_name=real_name,
        resident_id=resident_id,
        phone=phone,
        password=password,
        now=now,
    )
    code_id = phone_codes.check_code(checked.phone, code, now) if checked.phone else None
    if code_id is None:
        checked.errors["code"] = [CODE_WRONG]
    if checked.errors:
        raise RegistrationError(checked.errors)
    assert code_id is not None  # noqa: S101 - refused above
    with write_transaction() as session:
        if _taken(session, checked):
            raise RegistrationError({"resident_id": [CANNOT_REGISTER]})
        if not phone_codes.use_code(session, code_id, now):
            raise RegistrationError({"code": [CODE_WRONG]})
        user = User(
            role=Role.CITIZEN,
            real_name=checked.name,
            resident_id=checked.resident_id,
            resident_id_masked=mask_resident_id(checked.resident_id),
            phone=checked.phone,
            password_hash=hash_password(password),
            created_at=now,
            password_changed_at=now,
        )
        session.add(user)
        try:
            session.flush()
        except sa.exc.IntegrityError:
            # Someone registered the same ID or phone a moment ago.
            raise RegistrationError({"resident_id": [CANNOT_REGISTER]}) from None
        _audit(
            session,
            action="register",
            success=True,
            now=now,
            ip=ip,
            user=user,
            target=f"user:{user.id}",
        )
    return user


# ---- the interface language ------------------------------------------------------------------


def remember_locale(user_id: int, locale: str, languages: tuple[str, ...]) -> None:
    """Keep ``locale`` on the account as the person's interface language (issue 14 item 3);
    one of ``languages`` (the configured ones, the view passes them) or DomainError."""
    if locale not in languages:
        raise DomainError(N_("不支持该语言"), code="unknown_locale")
    with write_transaction() as session:
        session.execute(sa.update(User).where(User.id == user_id).values(locale=locale))
