"""Signing in, ending sessions and changing a password (SECURITY.md, "Accounts resist attack").

- an unknown login and a wrong password get the same :class:`LoginRefused` message, after
  the same amount of work (a dummy password hash is checked for unknown logins);
- ``max_failures`` consecutive failures lock the account for ``lockout_minutes``; while it is
  locked even the right password gets :class:`AccountLocked`, whose message does not say
  whether the password was right. Unknown logins are "locked" the same way (replayed from the
  audit log), so the lock message does not tell an attacker which logins exist;
- every attempt writes an :class:`AuditEntry` (``login``, ``login_failed``, ``locked``) in
  the same transaction as the change to the account;
- a wrong current password on a password change is a failure of the same count
  (``_count_failure``, ``password_change_failed``), so a stolen session cannot guess the
  password: the same lock, the same :class:`AccountLocked` message, audited as ``locked``.

Logout and password change rotate ``User.session_nonce``: the user loader compares it with
the one in the session cookie, so every copy of every older cookie stops working. Creating
accounts and registration are ``services/accounts.py`` (which re-exports these names).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import crypto
from ..database import write_transaction
from ..domain.errors import DomainError, InvalidPhone
from ..domain.identifiers import (
    mask_phone,
    mask_resident_id,
    normalize_mobile,
)
from ..domain.passwords import password_problems
from ..domain.states import Role
from ..domain.text import N_
from ..models import AuditEntry, User
from ..models.user import new_nonce
from ..passwords import hash_password, spend_a_check, verify_password
from . import audit

LOGIN_REFUSED = N_("账号或密码错误")


class LoginRefused(DomainError):
    """Unknown login, wrong password or disabled account: one message for all three."""

    code = "login_refused"

    def __init__(self) -> None:
        super().__init__(LOGIN_REFUSED)


class AccountLocked(DomainError):
    """Too many failures: refused whatever the password, until ``until``."""

    code = "account_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        super().__init__(
            N_(
                "登录失败次数过多，账号已暂时锁定，请%(minutes)s分钟后再试。"
                "如忘记密码，可携带身份证到任一通办窗口重置。",
                minutes=minutes,
            )
        )
        self.until = until


class AccountLockedByAdmin(DomainError):
    """Locked by an admin (with a reason the admin recorded) until an admin unlocks it."""

    code = "account_locked_by_admin"

    def __init__(self) -> None:
        super().__init__(N_("账号已被管理员锁定，请联系管理员或到通办窗口处理。"))


class _FieldErrors(DomainError):
    """Faults keyed by form field; ``field`` and ``message`` are the first one."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0])
        self.errors = errors
        self.field = first_field


class PasswordChangeError(_FieldErrors):
    """Password change refused. ``errors`` keyed by ``old`` or ``new``."""

    code = "password_change_refused"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)


def _audit(
    session: Session,
    *,
    action: str,
    success: bool,
    now: datetime,
    ip: str | None,
    user: User | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        at=now,
        user_id=user.id if user else None,
        action=action,
        success=success,
        ip=ip,
        target=target,
        detail=detail,
    )


def _normalized_resident_id(text: str) -> str | None:
    value = "".join(text.split())
    if value[-1:] == "x":
        value = value[:-1] + "X"
    if len(value) == 18 and value[:17].isascii() and value[:17].isdigit():
        return value
    return None


def _find_login(session: Session, login: str) -> tuple[User | None, str]:
    """The user a login names (phone, resident ID or staff username), and a masked form of
    the login for the audit log (never the full phone or ID, never a mistyped password)."""
    try:
        phone = normalize_mobile(login)
    except InvalidPhone:
        phone = None
    if phone is not None:
        user = session.scalar(sa.select(User).where(User.phone == phone, User.role == Role.CITIZEN))
        return user, mask_phone(phone)
    resident_id = _normalized_resident_id(login)
    if resident_id is not None:
        user = session.scalar(
            sa.select(User).where(
                User.resident_id_digest == crypto.lookup(resident_id), User.role == Role.CITIZEN
            )
        )
        return user, mask_resident_id(resident_id)
    username = login.strip()
    user = session.scalar(
        sa.select(User).where(User.username == username, User.role != Role.CITIZEN)
    )
    if user is not None:
        return user, username
    shown = username[:2] + "*" * min(max(len(username) - 2, 0), 8)
    return None, shown


def _login_key(login: str) -> str:
    """A stable key for a login that names nobody (the audit ``target`` of its failures)."""
    folded = "".join(login.split()).casefold()
    return "login#" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:40]


def _unknown_login_locked_until(
    session: Session, key: str, *, now: datetime, max_failures: int, lockout: timedelta
) -> datetime | None:
    """Replay the failures of a login that names nobody through the same rule accounts
    follow, so that it gets locked exactly when an account would."""
    rows = session.scalars(
        sa.select(AuditEntry.at)
        .where(
            AuditEntry.user_id.is_(None),
            AuditEntry.target == key,
            AuditEntry.action == "login_failed",
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(200)
    ).all()
    failures, locked_until = 0, None
    for at in reversed(rows):
        if locked_until is not None and at >= locked_until:
            failures, locked_until = 0, None
        failures += 1
        if failures >= max_failures:
            locked_until = at + lockout
    return locked_until if locked_until is not None and now < locked_until else None


# ---- the lockout rule: one count per account, shared by signing in and changing a password --


def _lift_expired_lock(user: User, now: datetime) -> None:
    """Forget the failures of a lock that has run out."""
    if user.locked_until is not None and now >= user.locked_until:
        user.failed_logins, user.locked_until = 0, None


def _count_failure(
    user: User, now: datetime, *, max_failures: int, lockout: timedelta
) -> dict[str, Any]:
    """One more failure (a wrong password at the login or as the current password of a
    change); the ``max_failures``-th locks the account for ``lockout``. Returns the audit
    detail: the count, and when it locks, until when."""
    user.failed_logins += 1
    detail: dict[str, Any] = {"failures": user.failed_logins}
    if user.failed_logins >= max_failures:
        user.locked_until = now + lockout
        detail["locked_until"] = user.locked_until.isoformat()
    return detail


# ---- signing in ------------------------------------------------------------------------------


@dataclass
class _Outcome:
    user: User | None = None
    error: DomainError | None = None


def authenticate(
    *,
    login: str,
    password: str,
    ip: str | None,
    now: datetime,
    max_failures: int = 5,
    lockout_minutes: int = 15,
) -> User:
    """The user that ``login`` (a citizen's phone or resident ID, or a staff username) and
    ``password`` identify; :class:`LoginRefused` or :class:`AccountLocked` otherwise."""
    lockout = timedelta(minutes=lockout_minutes)
    outcome = _Outcome()
    login = login[:200]
    with write_transaction() as session:
        user, shown = _find_login(session, login)
        if user is not None:
            # Lock the row (PostgreSQL) so concurrent failures all count.
            user = session.get(User, user.id, with_for_update=True, populate_existing=True)
        assert user is None or isinstance(user, User)
        if user is None or user.role is Role.SYSTEM:
            spend_a_check(password)  # an unknown login costs the same time
            key = _login_key(login)
            until = _unknown_login_locked_until(
                session, key, now=now, max_failures=max_failures, lockout=lockout
            )
            detail: dict[str, Any] = {"login": shown}
            if until is not None:
                _audit(
                    session,
                    action="locked",
                    success=False,
                    now=now,
                    ip=ip,
                    target=key,
                    detail=detail,
                )
                outcome.error = AccountLocked(until, now)
            else:
                _audit(
                    session,
                    action="login_failed",
                    success=False,
                    now=now,
                    ip=ip,
                    target=key,
                    detail={**detail, "reason": "unknown"},
                )
                outcome.error = LoginRefused()
        else:
            right = verify_password(user.password_hash, password)
            _lift_expired_lock(user, now)
            target = f"user:{user.id}"
            if user.locked_until is not None:
                # Do not reveal whether the password was right.
                _audit(
                    session,
                    action="locked",
                    success=False,
                    now=now,
                    ip=ip,
                    user=user,
                    target=target,
                    detail={"login": shown},
                )
                outcome.error = AccountLocked(user.locked_until, now)
            elif right and user.locked_reason is not None:
                # Only a right password learns of the admin's lock (nothing is counted).
                _audit(
                    session,
                    action="locked",
                    success=False,
                    now=now,
                    ip=ip,
                    user=user,
                    target=target,
                    detail={"login": shown, "by": "admin"},
                )
                outcome.error = AccountLockedByAdmin()
            elif right and user.is_active:
                user.failed_logins, user.last_login_at = 0, now
                _audit(
                    session,
                    action="login",
                    success=True,
                    now=now,
                    ip=ip,
                    user=user,
                    target=target,
                    detail={"login": shown},
                )
                outcome.user = user
            else:
                reason = "wrong_password" if not right else "inactive"
                detail = {
                    "login": shown,
                    "reason": reason,
                    **_count_failure(user, now, max_failures=max_failures, lockout=lockout),
                }
                _audit(
                    session,
                    action="login_failed",
                    success=False,
                    now=now,
                    ip=ip,
                    user=user,
                    target=target,
                    detail=detail,
                )
                outcome.error = LoginRefused()
    # Raised after the commit: the failure and its audit row must stay written.
    if outcome.error is not None:
        raise outcome.error
    assert outcome.user is not None
    return outcome.user


def end_sessions(
    user: User, now: datetime, *, ip: str | None = None, reason: str = "logout"
) -> None:
    """Log out everywhere: every session cookie issued to ``user`` stops working."""
    with write_transaction() as session:
        fresh = session.get(User, user.id, with_for_update=True, populate_existing=True)
        assert fresh is not None
        fresh.session_nonce = new_nonce()
        _audit(
            session,
            action=reason,
            success=True,
            now=now,
            ip=ip,
            user=fresh,
            target=f"user:{fresh.id}",
        )
    user.session_nonce = fresh.session_nonce


def change_password(
    user: User,
    *,
    old: str,
    new: str,
    now: datetime,
    ip: str | None = None,
    max_failures: int = 5,
    lockout_minutes: int = 15,
) -> None:
    """Check ``old``, apply the policy to ``new``, store it and end every session
    (the caller starts a new one for the person who changed it).

    A wrong ``old`` counts against the account exactly as a wrong password at the login does
    (the same counter, ``max_failures`` and ``lockout_minutes``), so a stolen session cannot
    guess the password; while the account is locked every attempt gets
    :class:`AccountLocked`, whether or not ``old`` is right."""
    right = verify_password(user.password_hash, old)
    errors: dict[str, list[str]] = {}
    if not right:
        errors["old"] = [N_("当前密码不正确")]
    problems = password_problems(
        new, personal=[v for v in (user.phone, user.resident_id, user.username) if v]
    )
    if new == old:
        problems.insert(0, N_("新密码不能与当前密码相同"))
    if problems:
        errors["new"] = problems
    locked: AccountLocked | None = None
    with write_transaction() as session:
        fresh = session.get(User, user.id, with_for_update=True, populate_existing=True)
        assert fresh is not None
        _lift_expired_lock(fresh, now)
        detail: dict[str, Any] | None = None
        if fresh.locked_until is not None:
            locked = AccountLocked(fresh.locked_until, now)
            action, detail = "locked", {"during": "password_change"}
        elif errors:
            action, detail = "password_change_failed", {"reason": "policy"}
            if not right:
                lockout = timedelta(minutes=lockout_minutes)
                detail = {
                    "reason": "wrong_password",
                    **_count_failure(fresh, now, max_failures=max_failures, lockout=lockout),
                }
        else:
            action = "password_changed"
            fresh.password_hash = hash_password(new)
            fresh.password_changed_at = now
            fresh.session_nonce = new_nonce()
            fresh.failed_logins = 0
            fresh.must_change_password = False
        _audit(
            session,
            action=action,
            success=action == "password_changed",
            now=now,
            ip=ip,
            user=fresh,
            target=f"user:{fresh.id}",
            detail=detail,
        )
    # Raised after the commit: the failure, the count and their audit row stay written.
    if locked is not None:
        raise locked
    if errors:
        raise PasswordChangeError(errors)
    user.password_hash, user.session_nonce = fresh.password_hash, fresh.session_nonce
    user.must_change_password = False
