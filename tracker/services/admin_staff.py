"""Staff accounts as the admin console manages them, and the little it may do to citizens.

An admin creates clerks (of one office) and supervisors (of one region scope, or every
region), corrects their name, office or scope, resets a password (a one-time password, shown
once, that must be changed at the next login), locks and unlocks with a reason, deactivates
and reactivates. An admin never creates an admin, never changes an admin's role, and never
changes their own account (role, active state, lock, password: the password page is theirs).
Citizens are only locked and unlocked, with a reason; the admin sees their name, phone and
resident ID masked. Every change goes to the audit log with before and after (never a
password: ``"(changed)"``).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from ..database import write_transaction
from ..domain.identifiers import mask_phone
from ..domain.passwords import password_problems
from ..domain.states import Role
from ..domain.text import N_, Text
from ..extensions import db
from ..models import Office, Region, User
from ..models.user import new_nonce
from ..passwords import hash_password
from . import admin_changes
from .accounts import normalize_real_name
from .admin_orgs import AdminFormError, Page, Refused, _like, _paged

STAFF_ROLES = (Role.CLERK, Role.SUPERVISOR)
LISTED_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN, Role.CITIZEN)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
REASON_MAX = 200
STATES = ("active", "inactive", "locked")


# ---- what the admin sees of an account -------------------------------------------------------


def mask_name(name: str) -> str:
    """A citizen's name as the admin sees it: the first character, the rest starred."""
    name = name.strip()
    return (name[:1] + "*" * max(1, len(name) - 1)) if name else ""


@dataclass(frozen=True)
class Account:
    """One account as the console shows it. For a citizen every personal value is masked."""

    id: int
    role: Role
    username: str
    name: str
    phone: str
    resident_id: str
    office: Office | None
    scope_region: Region | None
    active: bool
    locked_reason: str | None
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    must_change_password: bool

    @property
    def is_citizen(self) -> bool:
        return self.role is Role.CITIZEN

    @property
    def locked(self) -> bool:
        return self.locked_reason is not None

    @property
    def label(self) -> str:
        return self.username or self.name


def account(user: User) -> Account:
    citizen = user.role is Role.CITIZEN
    return Account(
        id=user.id,
        role=user.role,
        username=user.username or "",
        name=mask_name(user.real_name) if citizen else user.real_name,
        phone=mask_phone(user.phone) if citizen and user.phone else "",
        resident_id=(user.resident_id_masked or "") if citizen else "",
        office=user.office,
        scope_region=user.scope_region,
        active=user.is_active_account,
        locked_reason=user.locked_reason,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        must_change_password=user.must_change_password,
    )


def list_accounts(
    *,
    q: str = "",
    role: str | None = None,
    office: str | None = None,
    state: str | None = None,
    page: int = 1,
) -> Page:
    """Staff by default; citizens only when asked for (``role="citizen"``), never searched by
    their personal data."""
    # The sealed resident ID is never opened for the admin (the mask is its own column).
    query = (
        sa.select(User).options(defer(User.resident_id)).order_by(User.role, User.username, User.id)
    )
    if role in {r.value for r in LISTED_ROLES}:
        query = query.where(User.role == Role(role))
    else:
        query = query.where(User.role.in_(list(STAFF_ROLES) + [Role.ADMIN]))
    if q:
        query = query.where(
            sa.and_(
                User.role != Role.CITIZEN,
                sa.or_(
                    User.username.ilike(_like(q), escape="\\"),
                    User.real_name.like(_like(q), escape="\\"),
                ),
            )
        )
    if office:
        query = query.where(User.office_id.in_(sa.select(Office.id).where(Office.code == office)))
    if state == "active":
        query = query.where(User.is_active_account.is_(True), User.locked_reason.is_(None))
    elif state == "inactive":
        query = query.where(User.is_active_account.is_(False))
    elif state == "locked":
        query = query.where(User.locked_reason.is_not(None))
    found = _paged(query, page)
    return Page([account(u) for u in found.items], found.total, found.page)


def user(user_id: int) -> User | None:
    found = db.session.get(User, user_id, options=[defer(User.resident_id)], populate_existing=True)
    return found if found is not None and found.role is not Role.SYSTEM else None


# ---- one-time passwords ----------------------------------------------------------------------

_ALPHABET = "".join(
    c for c in string.ascii_letters + string.digits if c not in "Il1O0o"
)  # nothing to misread when it is read out or copied by hand


def one_time_password(username: str) -> str:
    """A password the policy accepts: 16 characters in four groups, three classes or more."""
    while True:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        candidate = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        if not password_problems(candidate, personal=[username]):
            return candidate


# ---- the rules -------------------------------------------------------------------------------


def _staff_problems(
    session: Session, data: Mapping[str, Any], *, existing: User | None
) -> tuple[dict[str, Text], dict[str, Any]]:
    """Errors by field, and the clean values."""
    errors: dict[str, Text] = {}
    clean: dict[str, Any] = {}
    role_text = str(data.get("role") or (existing.role.value if existing else ""))
    if role_text == Role.ADMIN.value:
        errors["role"] = N_("不能创建管理员账号，也不能把账号改为管理员")
    elif role_text not in {r.value for r in STAFF_ROLES}:
        errors["role"] = N_("请选择角色：窗口人员或监督人员")
    else:
        clean["role"] = Role(role_text)
    if existing is None:
        username = str(data.get("username") or "").strip().lower()
        if not USERNAME.fullmatch(username):
            errors["username"] = N_(
                "用户名为3至64位小写字母、数字或 . _ -，以字母或数字开头，如 clerk.km.hf"
            )
        elif session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            errors["username"] = N_("用户名 %(name)s 已被使用", name=username)
        clean["username"] = username
    try:
        clean["real_name"] = normalize_real_name(str(data.get("real_name") or ""))
    except ValueError as exc:
        errors["real_name"] = Text(str(exc)) if not isinstance(exc.args[0], Text) else exc.args[0]
    clean["office"] = None
    clean["scope_region_code"] = None
    if clean.get("role") is Role.CLERK:
        code = str(data.get("office_code") or "")
        found = (
            session.scalars(sa.select(Office).where(Office.code == code)).one_or_none()
            if code
            else None
        )
        if found is None:
            errors["office_code"] = N_("窗口人员须属于一个部门窗口，请选择")
        elif not found.active and (existing is None or existing.office_id != found.id):
            errors["office_code"] = N_("该部门窗口已停用")
        clean["office"] = found
    elif clean.get("role") is Role.SUPERVISOR:
        scope = str(data.get("scope_region_code") or "") or None
        if scope is not None and session.get(Region, scope) is None:
            errors["scope_region_code"] = N_("监督范围的地区不存在")
        clean["scope_region_code"] = scope
    return errors, clean


def _fields(u: User) -> dict[str, Any]:
    """What the audit log keeps of an account (nothing personal of a citizen)."""
    base: dict[str, Any] = {
        "role": u.role.value,
        "active": u.is_active_account,
        "locked": u.locked_reason is not None,
    }
    if u.role is Role.CITIZEN:
        return base
    return {
        "username": u.username,
        "real_name": u.real_name,
        "office": u.office.code if u.office else None,
        "scope_region_code": u.scope_region_code,
        **base,
    }


def _target(session: Session, user_id: int, actor: User, *, own: Text | None = None) -> User:
    u = session.get(
        User,
        user_id,
        with_for_update=True,
        populate_existing=True,
        options=[defer(User.resident_id)],
    )
    if u is None or u.role is Role.SYSTEM:
        raise Refused(N_("没有这个账号"))
    if u.id == actor.id:
        raise Refused(own or N_("不能修改自己账号的角色、状态或锁定；修改密码请用“修改密码”页面"))
    return u


def _record(session: Session, actor: User, now: datetime, u: User, change: str, **kw: Any) -> None:
    admin_changes.record_change(
        session, actor=actor, at=now, kind="user", key=u.id, change=change, **kw
    )


def create_staff(data: Mapping[str, Any], *, actor: User, now: datetime) -> tuple[User, str]:
    """A clerk or supervisor with a one-time password (returned, shown once, never stored
    in the clear nor logged)."""
    with write_transaction() as session:
        errors, clean = _staff_problems(session, data, existing=None)
        if errors:
            raise AdminFormError(errors)
        password = one_time_password(clean["username"])
        u = User(
            role=clean["role"],
            username=clean["username"],
            real_name=clean["real_name"],
            password_hash=hash_password(password),
            office_id=clean["office"].id if clean["office"] else None,
            scope_region_code=clean["scope_region_code"],
            created_at=now,
            password_changed_at=now,
            must_change_password=True,
        )
        session.add(u)
        session.flush()
        _record(session, actor, now, u, "created", after={**_fields(u), "password": "(one-time)"})
    return u, password


def update_staff(user_id: int, data: Mapping[str, Any], *, actor: User, now: datetime) -> User:
    with write_transaction() as session:
        u = _target(session, user_id, actor)
        if u.role is Role.CITIZEN:
            raise Refused(N_("申请人的账号不能修改，只能锁定或解锁"))
        if u.role is Role.ADMIN:
            raise Refused(N_("管理员账号不能在此修改"))
        errors, clean = _staff_problems(session, data, existing=u)
        if errors:
            raise AdminFormError(errors)
        before = _fields(u)
        u.role = clean["role"]
        u.real_name = clean["real_name"]
        u.office_id = clean["office"].id if clean["office"] else None
        u.office = clean["office"]
        u.scope_region_code = clean["scope_region_code"]
        if before["role"] != u.role.value or before["office"] != (
            u.office.code if u.office else None
        ):
            u.session_nonce = new_nonce()  # what they may see changed: sign in again
        _record(session, actor, now, u, "updated", before=before, after=_fields(u))
    return u


def reset_password(user_id: int, *, actor: User, now: datetime) -> tuple[User, str]:
    with write_transaction() as session:
        u = _target(session, user_id, actor, own=N_("自己的密码请在“修改密码”页面修改"))
        if u.role is Role.CITIZEN:
            raise Refused(
                N_("申请人的密码由本人在登录页找回或到窗口核验身份后重置，管理员不能重置")
            )
        if u.role is Role.ADMIN:
            raise Refused(N_("其他管理员的密码由本人修改，不能在此重置"))
        password = one_time_password(u.username or "")
        u.password_hash = hash_password(password)
        u.password_changed_at = now
        u.must_change_password = True
        u.failed_logins, u.locked_until = 0, None
        u.session_nonce = new_nonce()
        _record(
            session,
            actor,
            now,
            u,
            "password_reset",
            before={"password": "(old)"},
            after={"password": "(one-time)"},
        )
    return u, password


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise AdminFormError({"reason": N_("请填写原因")})
    if len(text) > REASON_MAX:
        raise AdminFormError({"reason": N_("不能超过%(n)s个字符", n=REASON_MAX)})
    return text


def set_locked(user_id: int, locked: bool, reason: str, *, actor: User, now: datetime) -> User:
    """Lock (until unlocked; every session ends) or unlock, with a reason. Citizens too."""
    why = _reason(reason)
    with write_transaction() as session:
        u = _target(session, user_id, actor)
        if (u.locked_reason is not None) == locked:
            return u
        before = _fields(u)
        if locked:
            u.locked_reason = why
            u.session_nonce = new_nonce()
        else:
            u.locked_reason = None
            u.failed_logins, u.locked_until = 0, None
        _record(
            session,
            actor,
            now,
            u,
            "locked" if locked else "unlocked",
            before=before,
            after=_fields(u),
            note=why,
        )
    return u


def set_active(user_id: int, active: bool, *, actor: User, now: datetime) -> User:
    with write_transaction() as session:
        u = _target(session, user_id, actor)
        if u.role is Role.CITIZEN:
            raise Refused(N_("申请人的账号不能停用，只能锁定或解锁"))
        if u.is_active_account == active:
            return u
        before = _fields(u)
        u.is_active_account = active
        if not active:
            u.session_nonce = new_nonce()
        _record(
            session,
            actor,
            now,
            u,
            "reactivated" if active else "deactivated",
            before=before,
            after=_fields(u),
        )
    return u
