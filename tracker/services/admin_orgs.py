"""Regions and offices as the admin console edits them: the rules, the lists, the changes.

Regions carry GB/T 2260 codes: six digits, a province ``PP0000``, a prefecture ``PPCC00``, a
county ``PPCCDD``; the level follows from the code and the parent must be the province (for a
prefecture) or the prefecture, or the province where there is none, e.g. a municipality's
district (for a county). An office belongs to one region and one department; it takes part in
every service of its department (the catalogue links services to departments, not to
offices), so a new office in a new province receives applications as soon as it is active.

Nothing that cases or accounts refer to is deleted: it is deactivated. A deactivated office is
no longer offered to applicants (the apply page, the API, Open311); its cases keep working.
Every change is written with :func:`tracker.services.admin_changes.record_change` in the same
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.text import N_, Text
from ..extensions import db
from ..models import Department, Office, Region, Service, User
from . import admin_changes

PAGE_SIZE = 50
LEVELS = ("province", "prefecture", "county")
LEVEL_NAMES: dict[str, Text] = {
    "province": N_("省级"),
    "prefecture": N_("地市级"),
    "county": N_("县区级"),
}
OFFICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$")
REGION_FIELDS = ("code", "parent_code", "level", "name_zh", "name_en", "active")
OFFICE_FIELDS = (
    "code",
    "region_code",
    "department_code",
    "name_zh",
    "name_en",
    "address",
    "phone",
    "active",
)


class AdminFormError(DomainError):
    """Refused input: ``errors`` keyed by form field (``_form`` for the whole form)."""

    code = "admin_form"

    def __init__(self, errors: Mapping[str, Text | str]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first)
        self.errors = dict(errors)


class Refused(DomainError):
    """An action refused as a whole (deleting what is referred to, …), saying why."""

    code = "admin_refused"


# ---- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _paged(query: sa.Select[Any], page: int) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Page(items, total, page)


def _active_filter(column: Any, active: str | None) -> Any:
    if active == "yes":
        return column.is_(True)
    if active == "no":
        return column.is_(False)
    return sa.true()


def list_regions(
    *,
    q: str = "",
    province: str | None = None,
    level: str | None = None,
    active: str | None = None,
    page: int = 1,
) -> Page:
    query = sa.select(Region).order_by(Region.code)
    if q:
        query = query.where(
            sa.or_(
                Region.code.like(_like(q), escape="\\"),
                Region.name_zh.like(_like(q), escape="\\"),
                Region.name_en.ilike(_like(q), escape="\\"),
            )
        )
    if province:
        query = query.where(Region.code.like(province[:2] + "%"))
    if level in LEVELS:
        query = query.where(Region.level == level)
    return _paged(query.where(_active_filter(Region.active, active)), page)


def list_offices(
    *,
    q: str = "",
    province: str | None = None,
    department: str | None = None,
    active: str | None = None,
    page: int = 1,
) -> Page:
    query = sa.select(Office).order_by(Office.region_code, Office.code)
    if q:
        query = query.where(
            sa.or_(
                Office.code.ilike(_like(q), escape="\\"),
                Office.name_zh.like(_like(q), escape="\\"),
                Office.name_en.ilike(_like(q), escape="\\"),
            )
        )
    if province:
        query = query.where(Office.region_code.like(province[:2] + "%"))
    if department:
        query = query.where(Office.department_code == department)
    return _paged(query.where(_active_filter(Office.active, active)), page)


def provinces() -> list[Region]:
    return list(
        db.session.scalars(sa.select(Region).where(Region.level == "province").order_by("code"))
    )


def departments() -> list[Department]:
    return list(db.session.scalars(sa.select(Department).order_by(Department.code)))


def region_choices(*, active_only: bool = True, levels: tuple[str, ...] = LEVELS) -> list[Region]:
    query = sa.select(Region).where(Region.level.in_(levels)).order_by(Region.code)
    if active_only:
        query = query.where(Region.active.is_(True))
    return list(db.session.scalars(query))


def list_all_offices() -> list[Office]:
    return list(db.session.scalars(sa.select(Office).order_by(Office.region_code, Office.code)))


def region(code: str) -> Region | None:
    return db.session.get(Region, code[:6])


def office(code: str) -> Office | None:
    return db.session.scalars(sa.select(Office).where(Office.code == code[:32])).one_or_none()


def services_of(office: Office) -> list[Service]:
    """The services an office takes part in: every active service its department receives or
    decides (the catalogue links services to departments)."""
    return list(
        db.session.scalars(
            sa.select(Service)
            .where(
                Service.active.is_(True),
                sa.or_(
                    Service.department_code == office.department_code,
                    Service.competent_department_code == office.department_code,
                ),
            )
            .order_by(Service.code)
        )
    )


# ---- what refers to an object ----------------------------------------------------------------

_CASE_TABLES = frozenset(
    {"cases", "case_events", "subtasks", "attachments", "ratings", "rectifications"}
)
_USER_TABLES = frozenset({"users"})


@dataclass
class References:
    cases: int = 0
    users: int = 0
    children: int = 0  # regions under a region, offices in a region
    other: int = 0  # statistics, notes, API tokens, webhooks
    tables: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.cases or self.users or self.children or self.other)

    def reason(self) -> Text:
        return N_(
            "有引用它的记录（办件%(cases)s条、账号%(users)s个、下级地区或部门窗口%(children)s个、"
            "统计备注或接口记录%(other)s条），不能删除；可以停用：停用后不再提供给申请人，"
            "已有办件照常办理。",
            cases=self.cases,
            users=self.users,
            children=self.children,
            other=self.other,
        )


def _references(table: str, column: str, value: object, *, skip: str = "") -> References:
    refs = References()
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table.name != table or fk.column.name != column:
                continue
            if other.name == skip:
                continue
            n = db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    sa.select(sa.literal(1)).where(fk.parent == value).limit(10_000).subquery()
                )
            )
            if not n:
                continue
            refs.tables.append(f"{other.name}.{fk.parent.name}")
            if other.name in _CASE_TABLES:
                refs.cases += n
            elif other.name in _USER_TABLES:
                refs.users += n
            elif other.name in ("regions", "offices"):
                refs.children += n
            else:
                refs.other += n
    return refs


def office_references(office: Office) -> References:
    return _references("offices", "id", office.id)


def region_references(region: Region) -> References:
    return _references("regions", "code", region.code)


# ---- regions --------------------------------------------------------------------------------


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def region_problems(
    session: Session, data: Mapping[str, Any], *, existing: Region | None
) -> dict[str, Text]:
    """What is wrong with a region's fields (empty when nothing)."""
    errors: dict[str, Text] = {}
    code = existing.code if existing else str(data.get("code") or "")
    level = str(data.get("level") or "")
    parent_code = str(data.get("parent_code") or "") or None
    if existing is None:
        if not re.fullmatch(r"\d{6}", code) or code[:2] == "00":
            errors["code"] = N_("地区代码须为6位数字（GB/T 2260），如 530000")
        elif session.get(Region, code) is not None:
            errors["code"] = N_("地区代码 %(code)s 已存在", code=code)
    if "code" not in errors and level not in LEVELS:
        errors["level"] = N_("请选择级别")
    elif "code" not in errors and level != level_of(code):
        errors["level"] = N_(
            "代码 %(code)s 是%(level)s代码：省级以0000结尾，地市级以00结尾，其余为县区级",
            code=code,
            level=LEVEL_NAMES[level_of(code)],
        )
    if "code" not in errors and "level" not in errors:
        errors.update(_parent_problems(session, code, level, parent_code))
    for name, limit in (("name_zh", 64), ("name_en", 128)):
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = N_("请填写名称")
        elif len(value) > limit:
            errors[name] = N_("不能超过%(n)s个字符", n=limit)
    return errors


def _parent_problems(
    session: Session, code: str, level: str, parent_code: str | None
) -> dict[str, Text]:
    if level == "province":
        return {"parent_code": N_("省级地区没有上级")} if parent_code else {}
    if not parent_code:
        return {"parent_code": N_("请选择上级地区")}
    parent = session.get(Region, parent_code)
    if parent is None:
        return {"parent_code": N_("上级地区不存在")}
    allowed = {code[:2] + "0000"} if level == "prefecture" else {code[:4] + "00", code[:2] + "0000"}
    if parent_code not in allowed or parent_code == code:
        return {
            "parent_code": N_(
                "上级地区须为代码的所属地区：%(codes)s", codes=" / ".join(sorted(allowed - {code}))
            )
        }
    if level == "county" and parent.level == "province":
        prefecture = session.get(Region, code[:4] + "00")
        if prefecture is not None:
            return {
                "parent_code": N_("地市 %(code)s 已存在，县区须挂在地市下", code=prefecture.code)
            }
    if not parent.active:
        return {"parent_code": N_("上级地区已停用，请先启用")}
    return {}


def _region_fields(r: Region) -> dict[str, Any]:
    return {k: getattr(r, k) for k in REGION_FIELDS}


def create_region(data: Mapping[str, Any], *, actor: User, now: datetime) -> Region:
    with write_transaction() as session:
        errors = region_problems(session, data, existing=None)
        if errors:
            raise AdminFormError(errors)
        r = Region(
            code=str(data["code"]),
            parent_code=str(data.get("parent_code") or "") or None,
            level=str(data["level"]),
            name_zh=str(data["name_zh"]).strip(),
            name_en=str(data["name_en"]).strip(),
            active=True,
        )
        session.add(r)
        session.flush()
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="region",
            key=r.code,
            change="created",
            after=_region_fields(r),
        )
    return r


def update_region(code: str, data: Mapping[str, Any], *, actor: User, now: datetime) -> Region:
    with write_transaction() as session:
        r = session.get(Region, code, with_for_update=True)
        if r is None:
            raise Refused(N_("没有这个地区"))
        merged = {"level": r.level, **data}
        errors = region_problems(session, merged, existing=r)
        if errors:
            raise AdminFormError(errors)
        before = _region_fields(r)
        r.parent_code = str(data.get("parent_code") or "") or None
        r.name_zh = str(data["name_zh"]).strip()
        r.name_en = str(data["name_en"]).strip()
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="region",
            key=r.code,
            change="updated",
            before=before,
            after=_region_fields(r),
        )
    return r


def set_region_active(
    code: str, active: bool, *, actor: User, now: datetime, note: str | None = None
) -> Region:
    with write_transaction() as session:
        r = session.get(Region, code, with_for_update=True)
        if r is None:
            raise Refused(N_("没有这个地区"))
        if r.active == active:
            return r
        if not active:
            busy_children = session.scalar(
                sa.select(sa.func.count())
                .select_from(Region)
                .where(Region.parent_code == r.code, Region.active.is_(True))
            )
            busy_offices = session.scalar(
                sa.select(sa.func.count())
                .select_from(Office)
                .where(Office.region_code == r.code, Office.active.is_(True))
            )
            if busy_children or busy_offices:
                raise Refused(
                    N_(
                        "该地区下还有%(regions)s个启用的下级地区、%(offices)s个启用的部门窗口，"
                        "请先停用它们",
                        regions=busy_children or 0,
                        offices=busy_offices or 0,
                    )
                )
        elif r.parent is not None and not r.parent.active:
            raise Refused(N_("上级地区已停用，请先启用"))
        before = _region_fields(r)
        r.active = active
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="region",
            key=r.code,
            change="reactivated" if active else "deactivated",
            before=before,
            after=_region_fields(r),
            note=note,
        )
    return r


def delete_region(code: str, *, actor: User, now: datetime) -> None:
    with write_transaction() as session:
        r = session.get(Region, code, with_for_update=True)
        if r is None:
            raise Refused(N_("没有这个地区"))
        refs = region_references(r)
        if refs.any:
            raise Refused(refs.reason())
        before = _region_fields(r)
        session.delete(r)
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="region",
            key=code,
            change="deleted",
            before=before,
        )


# ---- offices --------------------------------------------------------------------------------


def office_problems(
    session: Session, data: Mapping[str, Any], *, existing: Office | None, locked: bool = False
) -> dict[str, Text]:
    """What is wrong with an office's fields. ``locked``: cases or accounts refer to it, so its
    region and department stay as they are."""
    errors: dict[str, Text] = {}
    if existing is None:
        code = str(data.get("code") or "").strip()
        if not OFFICE_CODE.fullmatch(code):
            errors["code"] = N_("编码为2至32位字母、数字或连字符，如 530100-hf")
        elif session.scalar(sa.select(Office.id).where(Office.code == code)) is not None:
            errors["code"] = N_("编码 %(code)s 已被使用", code=code)
    region_code = str(data.get("region_code") or "")
    department_code = str(data.get("department_code") or "")
    moved = existing is None or (
        region_code != existing.region_code or department_code != existing.department_code
    )
    if locked and moved:
        errors["_form"] = N_(
            "已有办件或账号引用该窗口，不能更改其地区或部门；可新建窗口后停用本窗口"
        )
    r = session.get(Region, region_code) if region_code else None
    if r is None:
        errors["region_code"] = N_("请选择所属地区")
    elif not r.active and (existing is None or region_code != existing.region_code):
        errors["region_code"] = N_("该地区已停用")
    if not department_code or session.get(Department, department_code) is None:
        errors["department_code"] = N_("请选择所属部门")
    for name, limit, required in (
        ("name_zh", 128, True),
        ("name_en", 256, True),
        ("address", 256, False),
        ("phone", 32, False),
    ):
        value = str(data.get(name) or "").strip()
        if required and not value:
            errors[name] = N_("请填写名称")
        elif len(value) > limit:
            errors[name] = N_("不能超过%(n)s个字符", n=limit)
    phone = str(data.get("phone") or "").strip()
    if phone and "phone" not in errors and not re.fullmatch(r"[0-9+()\- ]{3,32}", phone):
        errors["phone"] = N_("电话只能包含数字、空格和 + - ( )")
    return errors


def _office_fields(o: Office) -> dict[str, Any]:
    return {k: getattr(o, k) for k in OFFICE_FIELDS}


def _apply_office(o: Office, data: Mapping[str, Any]) -> None:
    o.region_code = str(data["region_code"])
    o.department_code = str(data["department_code"])
    for name in ("name_zh", "name_en", "address", "phone"):
        setattr(o, name, str(data.get(name) or "").strip())


def create_office(data: Mapping[str, Any], *, actor: User, now: datetime) -> Office:
    with write_transaction() as session:
        errors = office_problems(session, data, existing=None)
        if errors:
            raise AdminFormError(errors)
        o = Office(code=str(data["code"]).strip(), active=True)
        _apply_office(o, data)
        session.add(o)
        session.flush()
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="office",
            key=o.code,
            change="created",
            after=_office_fields(o),
        )
    return o


def update_office(code: str, data: Mapping[str, Any], *, actor: User, now: datetime) -> Office:
    with write_transaction() as session:
        o = session.scalars(
            sa.select(Office).where(Office.code == code).with_for_update()
        ).one_or_none()
        if o is None:
            raise Refused(N_("没有这个部门窗口"))
        refs = office_references(o)
        errors = office_problems(session, data, existing=o, locked=refs.cases + refs.users > 0)
        if errors:
            raise AdminFormError(errors)
        before = _office_fields(o)
        _apply_office(o, data)
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="office",
            key=o.code,
            change="updated",
            before=before,
            after=_office_fields(o),
        )
    return o


def set_office_active(
    code: str, active: bool, *, actor: User, now: datetime, note: str | None = None
) -> Office:
    with write_transaction() as session:
        o = session.scalars(
            sa.select(Office).where(Office.code == code).with_for_update()
        ).one_or_none()
        if o is None:
            raise Refused(N_("没有这个部门窗口"))
        if o.active == active:
            return o
        if active and not o.region.active:
            raise Refused(N_("所属地区已停用，请先启用地区"))
        before = _office_fields(o)
        o.active = active
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="office",
            key=o.code,
            change="reactivated" if active else "deactivated",
            before=before,
            after=_office_fields(o),
            note=note,
        )
    return o


def delete_office(code: str, *, actor: User, now: datetime) -> None:
    with write_transaction() as session:
        o = session.scalars(
            sa.select(Office).where(Office.code == code).with_for_update()
        ).one_or_none()
        if o is None:
            raise Refused(N_("没有这个部门窗口"))
        refs = office_references(o)
        if refs.any:
            raise Refused(refs.reason())
        before = _office_fields(o)
        session.delete(o)
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="office",
            key=code,
            change="deleted",
            before=before,
        )
