"""Accounts: creating users of every role (registration itself arrives with the citizen portal)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.identifiers import mask_resident_id, normalize_mobile, validate_resident_id
from ..domain.states import Role
from ..models import Office, User
from .calendar import local_date


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
    if role is Role.CITIZEN:
        if phone is None or resident_id is None:
            raise DomainError("申请人须提供手机号和身份证号", code="citizen_identity")
        phone = normalize_mobile(phone)
        resident_id = validate_resident_id(resident_id, local_date(now))
    with write_transaction() as session:
        clash = sa.or_(
            User.username == username if username else sa.false(),
            User.phone == phone if phone else sa.false(),
            User.resident_id == resident_id if resident_id else sa.false(),
        )
        if session.scalar(sa.select(User.id).where(clash)) is not None:
            raise DomainError("该用户名、手机号或身份证号已注册", code="duplicate_user")
        user = User(
            role=role, username=username, phone=phone, resident_id=resident_id,
            resident_id_masked=mask_resident_id(resident_id) if resident_id else None,
            real_name=real_name, password_hash=generate_password_hash(password),
            office_id=office.id if office else None, scope_region_code=scope_region_code,
            home_region_code=home_region_code, created_at=now, password_changed_at=now,
        )
        session.add(user)
    return user
