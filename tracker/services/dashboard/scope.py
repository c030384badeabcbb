"""The supervisor's scope: the region watched, and the catalogue around it (regions, offices,
services, departments), loaded once per request as plain rows.

A supervisor watches a region (a province, a prefecture, a district, or all). The scope is
resolved to the list of its offices, and every figure is then filtered by ``office_id IN (…)``
(SECURITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ...domain.regions import in_scope
from ...extensions import db
from ...models import Department, Office, Region, Service


@dataclass(frozen=True)
class OfficeRef:
    id: int
    code: str
    name_zh: str
    name_en: str
    region_code: str
    department_code: str


@dataclass(frozen=True)
class RegionRef:
    code: str
    parent_code: str | None
    level: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ServiceRef:
    id: int
    code: str
    name_zh: str
    name_en: str
    department_code: str


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name_zh: str
    name_en: str


@dataclass
class Scope:
    """The region a supervisor watches, and the catalogue around it (offices are few)."""

    region_code: str | None
    regions: dict[str, RegionRef]
    all_offices: dict[int, OfficeRef]
    services: dict[int, ServiceRef]
    departments: dict[str, DepartmentRef]
    offices: dict[int, OfficeRef] = field(init=False)

    def __post_init__(self) -> None:
        self.offices = {
            i: o for i, o in self.all_offices.items() if in_scope(self.region_code, o.region_code)
        }

    @property
    def region(self) -> RegionRef | None:
        return self.regions.get(self.region_code) if self.region_code else None

    def covers_region(self, code: str) -> bool:
        """A region inside the scope (the scope itself included)."""
        return code in self.regions and self.region_code in (None, *self.lineage(code))

    def lineage(self, code: str) -> list[str]:
        """``code`` and its ancestors, nearest first (by the regions table)."""
        chain: list[str] = []
        while code and code in self.regions and code not in chain:
            chain.append(code)
            code = self.regions[code].parent_code or ""
        return chain

    def office_ids(self, *, department: str | None = None, region: str | None = None) -> list[int]:
        """Offices in scope, optionally of one department and inside one region."""
        return sorted(
            o.id
            for o in self.offices.values()
            if (department is None or o.department_code == department)
            and (region is None or region in self.lineage(o.region_code))
        )

    def child_region(self, under: str | None, office: OfficeRef) -> str | None:
        """The region directly below ``under`` (None: the top) that holds ``office``; None
        when the office sits in ``under`` itself."""
        chain = self.lineage(office.region_code)
        if under is None:
            return chain[-1] if chain else None
        if under not in chain:
            return None
        i = chain.index(under)
        return chain[i - 1] if i > 0 else None

    def service_ids(
        self, *, department: str | None = None, service_id: int | None = None
    ) -> list[int] | None:
        """None: every service (no filter)."""
        if service_id is not None:
            return [service_id]
        if department is not None:
            return sorted(s.id for s in self.services.values() if s.department_code == department)
        return None


def load_scope(region_code: str | None) -> Scope:
    """Four small queries: regions, offices, services, departments (plain rows, no ORM
    objects: building 413 offices as entities cost more than the whole dashboard's SQL)."""
    regions = {
        r[0]: RegionRef(*r)
        for r in db.session.execute(
            sa.select(Region.code, Region.parent_code, Region.level, Region.name_zh, Region.name_en)
        )
    }
    offices = {
        o[0]: OfficeRef(*o)
        for o in db.session.execute(
            sa.select(
                Office.id,
                Office.code,
                Office.name_zh,
                Office.name_en,
                Office.region_code,
                Office.department_code,
            ).order_by(Office.code)
        )
    }
    services = {
        s[0]: ServiceRef(*s)
        for s in db.session.execute(
            sa.select(
                Service.id, Service.code, Service.name_zh, Service.name_en, Service.department_code
            ).order_by(Service.code)
        )
    }
    departments = {
        d[0]: DepartmentRef(*d)
        for d in db.session.execute(
            sa.select(Department.code, Department.name_zh, Department.name_en).order_by(
                Department.code
            )
        )
    }
    return Scope(region_code, regions, offices, services, departments)
