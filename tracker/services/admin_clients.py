"""The API clients section of the admin console: tokens for a citizen, an office or a
supervisor (``api_tokens``: the secret shown once, revocable), and the offices' webhook
endpoints with their deliveries (``webhooks``: same rules as the office's own page), a failed
delivery sent again on request. Every change is recorded with ``admin_changes``. Lists name a
citizen by masked phone number only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..database import write_transaction
from ..domain.errors import DomainError, InvalidPhone
from ..domain.identifiers import mask_phone, normalize_mobile
from ..domain.states import Role
from ..domain.text import N_, Text
from ..extensions import db
from ..models import ApiToken, Office, User, WebhookDelivery, WebhookEndpoint
from . import admin_changes, api_tokens, webhooks


class FieldError(DomainError):
    """Refused, naming the form field at fault."""

    code = "admin_client_field"

    def __init__(self, field: str, message: Text) -> None:
        super().__init__(message, code=self.code)
        self.field = field
        self.text = message


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    scope: str
    holder: str  # an office code, a supervisor's username, or a masked phone
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


def _holder(token: ApiToken) -> str:
    if token.office is not None:
        return token.office.code
    if token.user is None:
        return ""
    if token.user.role is Role.CITIZEN:
        return mask_phone(token.user.phone or "")
    return token.user.username or ""


def token_rows() -> list[TokenRow]:
    return [
        TokenRow(
            t.id,
            t.name,
            t.scope,
            _holder(t),
            t.prefix,
            t.created_at,
            t.created_by,
            t.expires_at,
            t.last_used_at,
            t.revoked_at,
        )
        for t in reversed(api_tokens.list_tokens())
    ]


def offices() -> list[Office]:
    return list(db.session.scalars(sa.select(Office).order_by(Office.code)))


def _office(code: str, field: str) -> Office:
    found = db.session.scalars(sa.select(Office).where(Office.code == code.strip())).one_or_none()
    if found is None:
        raise FieldError(field, N_("请选择一个部门。"))
    return found


def _holder_of(
    scope: api_tokens.TokenScope, phone: str, office_code: str, supervisor: str
) -> tuple[User | None, Office | None]:
    if scope is api_tokens.TokenScope.OFFICE:
        return None, _office(office_code, "office")
    if scope is api_tokens.TokenScope.CITIZEN:
        try:
            number = normalize_mobile(phone)
        except InvalidPhone:
            raise FieldError("phone", N_("请输入申请人注册用的11位手机号码。")) from None
        user = db.session.scalars(
            sa.select(User).where(User.phone == number, User.role == Role.CITIZEN)
        ).one_or_none()
        if user is None:
            raise FieldError("phone", N_("没有用这个手机号码注册的申请人。"))
        return user, None
    user = db.session.scalars(
        sa.select(User).where(User.username == supervisor.strip(), User.role == Role.SUPERVISOR)
    ).one_or_none()
    if user is None:
        raise FieldError("supervisor", N_("没有这个用户名的督办人员。"))
    return user, None


def issue_token(
    *,
    actor: User,
    name: str,
    scope: str,
    days: int,
    phone: str = "",
    office_code: str = "",
    supervisor: str = "",
    now: datetime,
    ip: str | None,
) -> api_tokens.IssuedToken:
    """Create a token (its secret in the answer, once) and record the change."""
    try:
        chosen = api_tokens.TokenScope(scope)
    except ValueError:
        raise FieldError("scope", N_("请选择令牌代表谁。")) from None
    if not name.strip() or len(name.strip()) > 80:
        raise FieldError("name", N_("令牌名称须为 1–80 个字符。"))
    if not 1 <= days <= api_tokens.MAX_DAYS:
        raise FieldError("days", N_("有效期须为 1–%(max)s 天。", max=api_tokens.MAX_DAYS))
    user, office = _holder_of(chosen, phone, office_code, supervisor)
    try:
        issued = api_tokens.create_token(
            name=name,
            scope=chosen,
            now=now,
            created_by=actor.username or f"#{actor.id}",
            days=days,
            user=user,
            office=office,
        )
    except api_tokens.TokenRefused as exc:
        field = {"token_name": "name", "token_days": "days"}.get(exc.code, "scope")
        raise FieldError(field, N_("%(problem)s", problem=exc.message)) from None
    with write_transaction() as session:
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="api_token",
            key=issued.token.id,
            change="created",
            after={
                "name": issued.token.name,
                "scope": chosen.value,
                "holder": _holder(issued.token),
                "prefix": issued.token.prefix,
                "expires_at": issued.token.expires_at,
                "secret": "(shown once)",
            },
            ip=ip,
        )
    return issued


def revoke_token(*, actor: User, token_id: int, now: datetime, ip: str | None) -> bool:
    """Revoke a token; False when there is no such token. Revoking twice changes nothing."""
    found = db.session.get(ApiToken, token_id)
    if found is None:
        return False
    was_live = found.revoked_at is None
    api_tokens.revoke(token_id, now, actor.username or f"#{actor.id}")
    if was_live:
        with write_transaction() as session:
            admin_changes.record_change(
                session,
                actor=actor,
                at=now,
                kind="api_token",
                key=token_id,
                change="revoked",
                before={"revoked_at": None},
                after={"revoked_at": now},
                ip=ip,
            )
    return True


# ---- webhooks --------------------------------------------------------------------------------


def endpoint_list() -> list[WebhookEndpoint]:
    return webhooks.endpoints()


def register_endpoint(
    *,
    actor: User,
    office_code: str,
    url: str,
    events: Iterable[str],
    now: datetime,
    policy: webhooks.Policy,
    ip: str | None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for an office (the office page's rules); its secret, once."""
    office = _office(office_code, "office")
    endpoint, secret = webhooks.register_endpoint(
        office.id,
        url,
        events,
        created_by=actor,
        created_by_name="",
        now=now,
        policy=policy,
    )
    with write_transaction() as session:
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="webhook_endpoint",
            key=endpoint.id,
            change="created",
            after={
                "office": office.code,
                "url": endpoint.url,
                "events": endpoint.events,
                "secret": "(shown once)",
            },
            ip=ip,
        )
    return endpoint, secret


def deliveries(status: str = "", limit: int = 100) -> list[WebhookDelivery]:
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status in ("pending", "delivered", "failed"):
        query = query.where(WebhookDelivery.status == status)
    return list(db.session.scalars(query))


def retry_delivery(*, actor: User, delivery_id: int, now: datetime, ip: str | None) -> str:
    """Send a failed delivery again (same message id, its attempts kept) if its endpoint is
    still active. Returns "queued", "not_failed", "endpoint_disabled" or "not_found"."""
    with write_transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "not_found"
        if delivery.status != "failed":
            return "not_failed"
        if not delivery.endpoint.active:
            return "endpoint_disabled"
        delivery.status, delivery.next_attempt_at, delivery.claimed_until = "pending", now, None
        session.info.setdefault(webhooks.WAKE_KEY, set()).add("webhooks")
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="webhook_delivery",
            key=delivery.message_id,
            change="retried",
            before={"status": "failed"},
            after={"status": "pending"},
            ip=ip,
        )
    return "queued"


admin_changes.LABELS.setdefault("retried", N_("重新发送"))
