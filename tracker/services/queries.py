"""Read-only queries shared by pages and APIs (no commits here)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Department, Office, Region, Service


def catalogue(q: str = "") -> list[tuple[Department, list[Service]]]:
    """Active services grouped by department; ``q`` matches names and summaries (zh or en)."""
    stmt = sa.select(Service).where(Service.active).order_by(Service.code)
    q = q.strip()[:50]
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(sa.or_(*(col.ilike(like, escape="\\") for col in (
            Service.name_zh, Service.name_en, Service.summary_zh, Service.summary_en))))
    services = db.session.scalars(stmt).all()
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    grouped: dict[str, list[Service]] = defaultdict(list)
    for s in services:
        grouped[s.department_code].append(s)
    return [(departments[code], grouped[code]) for code in departments if code in grouped]


def catalogue_counts() -> dict[str, int]:
    return {
        "service_count": db.session.scalar(sa.select(sa.func.count(Service.id)).where(Service.active)) or 0,
        "office_count": db.session.scalar(sa.select(sa.func.count(Office.id))) or 0,
        "region_count": db.session.scalar(
            sa.select(sa.func.count(Region.code)).where(Region.level != "province")) or 0,
    }


def service_by_code(code: str) -> Service | None:
    return db.session.scalars(
        sa.select(Service).where(Service.code == code, Service.active).options(
            selectinload(Service.materials), selectinload(Service.fields),
            selectinload(Service.cooperations))
    ).one_or_none()


def offices_by_province(department_code: str) -> list[tuple[Region, list[Office]]]:
    """The department's offices, grouped under their province, in code order."""
    offices = db.session.scalars(
        sa.select(Office).where(Office.department_code == department_code)
        .options(selectinload(Office.region)).order_by(Office.region_code)).all()
    provinces = {r.code: r for r in db.session.scalars(
        sa.select(Region).where(Region.level == "province"))}
    grouped: dict[str, list[Office]] = defaultdict(list)
    for o in offices:
        grouped[o.region_code[:2] + "0000"].append(o)
    return [(provinces[p], grouped[p]) for p in sorted(grouped) if p in provinces]
