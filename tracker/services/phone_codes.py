"""One-time codes that prove a phone number before it is used to register (issue #13, item 5).

Registration must not tell a stranger whether a phone number or resident ID has an account.
So a code is asked for first, and the answer on the page is always the same ("if this number
can register, a code is on its way"): a number without an account gets a six-digit code by
SMS, a number with one gets an SMS saying so (its owner learns, nobody else does). Codes
expire after ten minutes, allow five tries, are stored as an HMAC, and are limited per number
(one a minute, five an hour) and per address (twenty an hour); the limits apply to every
number alike, so they reveal nothing either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.identifiers import normalize_mobile
from ..domain.text import N_
from ..models import OutboxMessage, PhoneCode, User
from . import audit, wording

PURPOSE_REGISTER = "register"
TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
PER_PHONE_PER_HOUR = 5
PER_IP_PER_HOUR = 20
MAX_ATTEMPTS = 5


class CodeRefused(DomainError):
    """Too soon or too many: ``field`` is the form field the message belongs beside."""

    code = "code_refused"

    def __init__(self, message: str, *, field: str = "phone") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CodeSent:
    phone: str  # normalised
    code: str | None  # None when no code was sent (kept for a development echo only)


def _digest(phone: str, code: str) -> str:
    key = hmac.new(audit.audit_key(), b"tongban phone codes", hashlib.sha256).digest()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _throttle(session: Session, phone: str, ip: str | None, now: datetime) -> None:
    hour = now - timedelta(hours=1)
    recent = session.scalars(
        sa.select(PhoneCode.created_at)
        .where(PhoneCode.phone == phone, PhoneCode.created_at > hour)
        .order_by(PhoneCode.created_at.desc())
    ).all()
    if recent and now - recent[0] < RESEND_AFTER:
        raise CodeRefused(N_("验证码已发送，请 60 秒后再重新获取"))
    if len(recent) >= PER_PHONE_PER_HOUR:
        raise CodeRefused(N_("该手机号获取验证码过于频繁，请一小时后再试"))
    if ip:
        from_ip = session.scalar(
            sa.select(sa.func.count(PhoneCode.id)).where(
                PhoneCode.ip == ip[:45], PhoneCode.created_at > hour
            )
        )
        if (from_ip or 0) >= PER_IP_PER_HOUR:
            raise CodeRefused(N_("获取验证码过于频繁，请一小时后再试"))


def send_registration_code(
    phone: str, now: datetime, ip: str | None = None, locale: str | None = None
) -> CodeSent:
    """Send a code to ``phone`` (or, if it has an account, an SMS saying so). Raises
    ``InvalidPhone`` for a malformed number and :class:`CodeRefused` when throttled. The SMS
    is in ``locale`` (the page's language), or the account's own language when it has one."""
    number = normalize_mobile(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    with write_transaction() as session:
        _throttle(session, number, ip, now)
        account = session.execute(
            sa.select(User.id, User.locale).where(User.phone == number)
        ).first()
        taken = account is not None
        session.add(
            PhoneCode(
                phone=number,
                purpose=PURPOSE_REGISTER,
                digest="" if taken else _digest(number, code),
                created_at=now,
                expires_at=now + TTL,
                used_at=now if taken else None,
                ip=(ip or None) and ip[:45],
            )
        )
        language = (account.locale if account is not None else None) or locale
        if taken:
            subject = wording.render(N_("【通办】该手机号已注册"), language)
            body = wording.render(
                N_("您的手机号已注册通办账号，可直接登录；如非本人操作，请忽略本短信。"), language
            )
        else:
            subject = wording.render(N_("【通办】注册验证码 %(code)s", code=code), language)
            body = wording.render(
                N_("您的通办注册验证码为 %(code)s，10 分钟内有效。请勿告诉他人。", code=code),
                language,
            )
        session.add(
            OutboxMessage(
                channel="sms", recipient=number, subject=subject, body=body, created_at=now
            )
        )
        audit.record(
            session,
            at=now,
            action="register.code",
            success=True,
            ip=ip,
            target=f"phone:{number[:3]}****{number[-4:]}",
        )
    return CodeSent(number, None if taken else code)


def check_code(phone: str, code: str, now: datetime) -> int | None:
    """The id of the live code last sent to ``phone`` if ``code`` is it, else None. A wrong
    code counts as a try, committed at once (five, then the code is dead), so a refused
    registration cannot roll the count back."""
    with write_transaction() as session:
        latest = session.scalars(
            sa.select(PhoneCode)
            .where(PhoneCode.phone == phone, PhoneCode.purpose == PURPOSE_REGISTER)
            .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc())
            .limit(1)
        ).one_or_none()
        if (
            latest is None
            or latest.used_at is not None
            or latest.expires_at <= now
            or latest.attempts >= MAX_ATTEMPTS
            or not latest.digest
        ):
            return None
        digits = "".join(ch for ch in code if ch.isdigit())[:6]
        if not hmac.compare_digest(latest.digest, _digest(phone, digits)):
            latest.attempts += 1
            return None
        return latest.id


def use_code(session: Session, code_id: int, now: datetime) -> bool:
    """Mark the code used, in the registration's transaction; False if it was used already."""
    used = session.scalar(
        sa.update(PhoneCode)
        .where(PhoneCode.id == code_id, PhoneCode.used_at.is_(None))
        .values(used_at=now)
        .returning(PhoneCode.id)
    )
    return used is not None
