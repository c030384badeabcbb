"""API tokens (INTERFACES.md, "JSON API"): created for a citizen, an office (acting as its
clerks, every write naming the clerk who operates it) or a supervisor; stored as a SHA-256
digest, shown once, revocable, with a name, an expiry and the time of last use.

The secret is 32 random bytes, so a fast digest is enough: there is nothing to brute-force
that a slow hash would protect, and every API call checks one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.states import Role
from ..extensions import db
from ..models import ApiToken, Office, User
from . import audit

PREFIX = "tb_"
MAX_DAYS = 366 * 2
LAST_USED_GRANULARITY = timedelta(minutes=1)  # last use is written at most once a minute


class TokenScope(StrEnum):
    CITIZEN = "citizen"
    OFFICE = "office"
    SUPERVISOR = "supervisor"


class TokenRefused(DomainError):
    code = "token_refused"


class OperatorRefused(DomainError):
    """An office token's call named no clerk, or one who is not an active clerk of the office."""

    code = "operator_refused"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; only its digest is kept


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _holder_problem(scope: TokenScope, user: User | None, office: Office | None) -> str | None:
    if scope is TokenScope.OFFICE:
        return None if office is not None and user is None else "办事处令牌须指定一个部门"
    wanted = Role.CITIZEN if scope is TokenScope.CITIZEN else Role.SUPERVISOR
    if office is not None or user is None or user.role is not wanted:
        return "令牌须属于一个申请人" if scope is TokenScope.CITIZEN else "令牌须属于一名督办人员"
    if not user.is_active_account:
        return "该账号已停用"
    return None


def create_token(
    *,
    name: str,
    scope: TokenScope,
    now: datetime,
    created_by: str,
    days: int = 90,
    user: User | None = None,
    office: Office | None = None,
) -> IssuedToken:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise TokenRefused("令牌名称须为 1–80 个字符", code="token_name")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"有效期须为 1–{MAX_DAYS} 天", code="token_days")
    problem = _holder_problem(scope, user, office)
    if problem:
        raise TokenRefused(problem, code="token_holder")
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as session:
        token = ApiToken(
            name=name,
            scope=scope.value,
            user_id=user.id if user else None,
            office_id=office.id if office else None,
            prefix=secret[:10],
            digest=digest(secret),
            created_at=now,
            created_by=created_by[:80],
            expires_at=now + timedelta(days=days),
        )
        session.add(token)
        session.flush()
        audit.record(
            session,
            at=now,
            action="api_token.create",
            success=True,
            target=f"api_token:{token.id}",
            detail={"name": name, "scope": scope.value, "by": created_by[:80], "days": days},
        )
    return IssuedToken(token, secret)


def authenticate(secret: str, now: datetime) -> ApiToken | None:
    """The live token with this secret, or None (unknown, revoked, expired, or its holder's
    account disabled). Records the time of use."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    wanted = digest(secret)
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.digest == wanted)).one_or_none()
    if token is None or not hmac.compare_digest(token.digest, wanted):
        return None
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.user is not None and not token.user.is_active_account:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        token_id = token.id
        with write_transaction() as session:
            session.execute(
                sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
        token = db.session.get(ApiToken, token_id)
        assert token is not None  # noqa: S101 - it was read in this request
    return token


def revoke(token_id: int, now: datetime, by: str) -> ApiToken:
    with write_transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise TokenRefused("没有这个令牌", code="token_not_found")
        if token.revoked_at is None:
            token.revoked_at = now
            audit.record(
                session,
                at=now,
                action="api_token.revoke",
                success=True,
                target=f"api_token:{token.id}",
                detail={"by": by[:80]},
            )
    return token


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def operator_for(token: ApiToken, username: str | None) -> User:
    """The clerk who operates an office token's call: an active clerk of the token's office."""
    if token.scope != TokenScope.OFFICE:
        raise OperatorRefused("只有办事处令牌需要指定经办人", code="operator_not_needed")
    if not username:
        raise OperatorRefused("办事处令牌的每次操作须指明经办人（用户名）", code="operator_missing")
    clerk = db.session.scalars(
        sa.select(User).where(
            User.username == username[:64],
            User.office_id == token.office_id,
            User.role == Role.CLERK,
            User.is_active_account.is_(True),
        )
    ).one_or_none()
    if clerk is None:
        raise OperatorRefused("经办人须为本部门在职的窗口人员", code="operator_unknown")
    return clerk


def acting_user(token: ApiToken) -> User | None:
    """Who a citizen or supervisor token acts for (None for an office token)."""
    return token.user if token.scope != TokenScope.OFFICE else None
