"""Plain builder functions for tests; they go through the services like the app does."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tracker.domain.states import Role
from tracker.extensions import db
from tracker.models import Case, Office, Service, User
from tracker.services import cases as case_ops
from tracker.services.accounts import create_user
from tracker.services.demo import demo_form_data, demo_resident_id

PASSWORD = "Tongban-Test-2026!"
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 2026-11-02, 10:00 in Shanghai
_serial = itertools.count(1)


def office(code: str) -> Office:
    return db.session.scalars(sa.select(Office).where(Office.code == code)).one()


def service(code: str) -> Service:
    return db.session.scalars(sa.select(Service).where(Service.code == code)).one()


def citizen(now: datetime = NOW, home: str = "500112") -> User:
    n = next(_serial)
    return create_user(
        role=Role.CITIZEN,
        real_name=f"测试{n}",
        password=PASSWORD,
        now=now,
        phone=f"137{n:08d}",
        # three serial digits per birth date: a long session (over 999 citizens) moves the date
        resident_id=demo_resident_id(
            "500112", (date(1990, 1, 1) + timedelta(days=n // 1000)).strftime("%Y%m%d"), n % 1000
        ),
        home_region_code=home,
    )


def clerk(office_code: str, now: datetime = NOW) -> User:
    n = next(_serial)
    return create_user(
        role=Role.CLERK,
        real_name=f"经办{n}",
        password=PASSWORD,
        now=now,
        username=f"clerk{n}.{office_code}",
        office=office(office_code),
    )


def supervisor(scope: str | None, now: datetime = NOW) -> User:
    n = next(_serial)
    return create_user(
        role=Role.SUPERVISOR,
        real_name=f"督查{n}",
        password=PASSWORD,
        now=now,
        username=f"sup{n}",
        scope_region_code=scope,
    )


def admin(now: datetime = NOW) -> User:
    n = next(_serial)
    return create_user(
        role=Role.ADMIN,
        real_name=f"管理{n}",
        password=PASSWORD,
        now=now,
        username=f"admin{n}",
    )


def submit(
    service_code: str,
    applicant: User,
    receiving: str,
    competent: str,
    now: datetime = NOW,
    **kw: Any,
) -> Case:
    import random

    svc = service(service_code)
    return case_ops.submit_case(
        applicant=applicant,
        service=svc,
        receiving_office=office(receiving),
        competent_office=office(competent),
        form_data=demo_form_data(svc, random.Random(1)),
        now=now,
        **kw,
    )


def login_as(client: Any, user: User, password: str = PASSWORD) -> None:
    """Log in through the real login form (citizens by phone, staff by username)."""
    login = user.phone if user.role is Role.CITIZEN else user.username
    response = client.post("/login", data={"login": login, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
