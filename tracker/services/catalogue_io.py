"""The catalogue's import and export as the data files the repository ships
(``tracker/catalogue/data/``: regions.csv, departments.csv, offices.csv, services.json).

Export writes those four files into a zip. Import reads such files (a zip or the files
themselves), first as a dry run that says for every row whether it would be added, changed,
left unchanged or refused (and why), then, when nothing is refused, applies them in one
transaction. A service that changes is published as a new version (cases keep theirs); every
change is recorded by :mod:`.admin_changes` with before and after.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.service_spec import canonical, problems
from ..domain.text import N_, Text
from ..extensions import db
from ..models import Department, Office, Region, Service, User
from . import admin_changes
from . import service_versions as sv

FILES = ("regions.csv", "departments.csv", "offices.csv", "services.json")
HEADERS = {
    "regions.csv": ["code", "parent_code", "level", "name_zh", "name_en"],
    "departments.csv": ["code", "name_zh", "name_en"],
    "offices.csv": ["code", "region_code", "department", "name_zh", "name_en", "address", "phone"],
}
LEVELS = ("province", "prefecture", "county")
MAX_BYTES = 5 * 1024 * 1024
OUTCOMES = ("added", "changed", "unchanged", "refused")


class ImportRefused(DomainError):
    code = "import_refused"


@dataclass
class PlanRow:
    """One row of one file and what importing it would do."""

    file: str
    key: str
    name: str
    outcome: str  # added, changed, unchanged, refused
    reasons: list[Text] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the fields that differ
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    rows: list[PlanRow]
    problems: list[Text] = field(default_factory=list)  # about whole files

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def can_apply(self) -> bool:
        return (
            not self.problems
            and not self.count("refused")
            and any(r.outcome in ("added", "changed") for r in self.rows)
        )


# ---- export ---------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _service_json(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document as services.json writes it (optional field limits left out when unset)."""
    out = dict(doc)
    out["form_fields"] = [
        {k: v for k, v in f.items() if v is not None or k not in ("max_length", "min", "max")}
        for f in doc["form_fields"]
    ]
    return out


def export_files() -> dict[str, bytes]:
    """The catalogue as the four data files (services: the active ones, current version)."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.code)).all()
    departments = db.session.scalars(sa.select(Department).order_by(Department.code)).all()
    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    services = [s for s in db.session.scalars(sa.select(Service).order_by(Service.code))]
    return {
        "regions.csv": _csv(
            HEADERS["regions.csv"],
            [[r.code, r.parent_code or "", r.level, r.name_zh, r.name_en] for r in regions],
        ),
        "departments.csv": _csv(
            HEADERS["departments.csv"], [[d.code, d.name_zh, d.name_en] for d in departments]
        ),
        "offices.csv": _csv(
            HEADERS["offices.csv"],
            [
                [o.code, o.region_code, o.department_code, o.name_zh, o.name_en, o.address, o.phone]
                for o in offices
            ],
        ),
        "services.json": (
            json.dumps(
                [_service_json(sv.snapshot_of(s)) for s in services if s.active],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        ).encode("utf-8"),
    }


def export_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in export_files().items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ---- reading uploaded files -----------------------------------------------------------------


def read_upload(name: str, content: bytes) -> dict[str, bytes]:
    """An uploaded file as {data file name: bytes}: a zip's members by their base name, or the
    file itself. Unknown names are refused."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if base.endswith(".zip"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise ImportRefused(N_("不是有效的 zip 文件")) from None
        out: dict[str, bytes] = {}
        total = 0
        for info in archive.infolist():
            member = info.filename.rsplit("/", 1)[-1].lower()
            if member in FILES:
                total += info.file_size
                if total > MAX_BYTES:
                    raise ImportRefused(N_("文件太大"))
                out[member] = archive.read(info)
        if not out:
            raise ImportRefused(N_("zip 中没有目录数据文件"))
        return out
    if base not in FILES:
        raise ImportRefused(N_("文件名应为 %(names)s 之一，或它们的 zip", names=", ".join(FILES)))
    return {base: content}


def _text(content: bytes, name: str, plan: Plan) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.problems.append(N_("%(file)s：不是 UTF-8 编码", file=name))
        return None


def _read_csv(name: str, content: bytes, plan: Plan) -> list[dict[str, str]]:
    text = _text(content, name, plan)
    if text is None:
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames != HEADERS[name]:
        plan.problems.append(
            N_("%(file)s：表头应为 %(header)s", file=name, header=",".join(HEADERS[name]))
        )
        return []
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _changed(current: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [k for k in new if current.get(k) != new.get(k)]


def _outcome(
    plan: Plan,
    file: str,
    key: str,
    name: str,
    current: Mapping[str, Any] | None,
    new: dict[str, Any],
    reasons: list[Text],
) -> None:
    if reasons:
        plan.rows.append(PlanRow(file, key, name, "refused", reasons, data=new))
    elif current is None:
        plan.rows.append(PlanRow(file, key, name, "added", data=new))
    else:
        diff = _changed(current, new)
        plan.rows.append(
            PlanRow(file, key, name, "changed" if diff else "unchanged", [], diff, new)
        )


# ---- the dry run ----------------------------------------------------------------------------


def dry_run(files: Mapping[str, bytes]) -> Plan:
    """What importing ``files`` would change, row by row (nothing is written)."""
    plan = Plan(rows=[])
    if not files:
        plan.problems.append(N_("请选择要导入的文件"))
        return plan
    regions = _read_csv("regions.csv", files["regions.csv"], plan) if "regions.csv" in files else []
    region_codes = _plan_regions(regions, plan)
    departments = (
        _read_csv("departments.csv", files["departments.csv"], plan)
        if "departments.csv" in files
        else []
    )
    dept_codes = _plan_departments(departments, plan)
    offices = _read_csv("offices.csv", files["offices.csv"], plan) if "offices.csv" in files else []
    _plan_offices(offices, region_codes, dept_codes, plan)
    if "services.json" in files:
        _plan_services(files["services.json"], dept_codes, plan)
    return plan


def _repeated(code: str, seen: set[str]) -> list[Text]:
    repeated = code in seen
    seen.add(code)
    return [N_("代码在文件中重复")] if repeated else []


def _plan_regions(regions: list[dict[str, str]], plan: Plan) -> set[str]:
    """Plan the regions; return every region code known after the import."""
    in_db = {r.code: r for r in db.session.scalars(sa.select(Region))}
    codes = set(in_db) | {r.get("code", "") for r in regions}
    seen: set[str] = set()
    for r in regions:
        code = r.get("code", "")
        reasons = _repeated(code, seen)
        if not re.fullmatch(r"[0-9]{6}", code):
            reasons.append(N_("区划代码应为 6 位数字"))
        if r.get("level") not in LEVELS:
            reasons.append(N_("级别应为 province、prefecture 或 county"))
        if r.get("parent_code") and r["parent_code"] not in codes:
            reasons.append(N_("上级区划 %(code)s 不存在", code=r["parent_code"]))
        if not r.get("name_zh"):
            reasons.append(N_("缺少中文名称"))
        row = {**r, "parent_code": r.get("parent_code") or None}
        old = in_db.get(code)
        current = {k: getattr(old, k) for k in row} if old else None
        _outcome(plan, "regions.csv", code, r.get("name_zh", ""), current, row, reasons)
    return codes


def _plan_departments(departments: list[dict[str, str]], plan: Plan) -> set[str]:
    in_db = {d.code: d for d in db.session.scalars(sa.select(Department))}
    codes = set(in_db) | {d.get("code", "") for d in departments}
    seen: set[str] = set()
    for d in departments:
        code = d.get("code", "")
        reasons = _repeated(code, seen)
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,15}", code):
            reasons.append(N_("部门代码用小写英文字母、数字，最长 16 位"))
        if not d.get("name_zh"):
            reasons.append(N_("缺少中文名称"))
        old = in_db.get(code)
        current = {k: getattr(old, k) for k in d} if old else None
        _outcome(plan, "departments.csv", code, d.get("name_zh", ""), current, dict(d), reasons)
    return codes


def _plan_offices(
    offices: list[dict[str, str]], region_codes: set[str], dept_codes: set[str], plan: Plan
) -> None:
    in_db = {o.code: o for o in db.session.scalars(sa.select(Office))}
    seen: set[str] = set()
    for o in offices:
        code = o.get("code", "")
        reasons = _repeated(code, seen)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", code):
            reasons.append(N_("窗口代码用英文字母、数字和连字符，最长 32 位"))
        if o.get("region_code") not in region_codes:
            reasons.append(N_("区划 %(code)s 不存在", code=o.get("region_code", "")))
        if o.get("department") not in dept_codes:
            reasons.append(N_("部门 %(code)s 不存在", code=o.get("department", "")))
        if not o.get("name_zh"):
            reasons.append(N_("缺少中文名称"))
        row = {
            "code": code,
            "region_code": o.get("region_code", ""),
            "department_code": o.get("department", ""),
            "name_zh": o.get("name_zh", ""),
            "name_en": o.get("name_en", ""),
            "address": o.get("address", ""),
            "phone": o.get("phone", ""),
        }
        old = in_db.get(code)
        current = {k: getattr(old, k) for k in row} if old else None
        _outcome(plan, "offices.csv", code, row["name_zh"], current, row, reasons)


def _plan_services(content: bytes, dept_codes: set[str], plan: Plan) -> None:
    text = _text(content, "services.json", plan)
    if text is None:
        return
    try:
        data = json.loads(text)
    except ValueError as exc:
        plan.problems.append(N_("services.json：不是有效的 JSON（%(error)s）", error=str(exc)))
        return
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        plan.problems.append(N_("services.json：应为事项的列表"))
        return
    existing = {s.code: s for s in db.session.scalars(sa.select(Service))}
    seen: set[str] = set()
    for raw in data:
        try:
            doc = canonical(raw)
        except (AttributeError, TypeError):
            plan.rows.append(
                PlanRow(
                    "services.json", str(raw.get("code", "?")), "", "refused", [N_("结构不正确")]
                )
            )
            continue
        reasons = [
            N_("%(field)s：%(problem)s", field=key, problem=msg)
            for key, msg in problems(doc, dept_codes).items()
        ]
        if doc["code"] in seen:
            reasons.append(N_("代码在文件中重复"))
        seen.add(doc["code"])
        old = existing.get(doc["code"])
        current = sv.flat(sv.snapshot_of(old)) if old is not None else None
        flat = sv.flat(doc)
        if reasons:
            plan.rows.append(
                PlanRow("services.json", doc["code"], doc["name_zh"], "refused", reasons, data=doc)
            )
        elif current is None:
            plan.rows.append(
                PlanRow("services.json", doc["code"], doc["name_zh"], "added", data=doc)
            )
        else:
            diff = sorted(set(_changed(current, flat)) | (set(current) - set(flat)))
            plan.rows.append(
                PlanRow(
                    "services.json",
                    doc["code"],
                    doc["name_zh"],
                    "changed" if diff else "unchanged",
                    [],
                    diff,
                    doc,
                )
            )


# ---- applying -------------------------------------------------------------------------------


def _apply_row(
    session: Session,
    model: type[Any],
    key: str,
    row: PlanRow,
    kind: str,
    actor: User,
    at: datetime,
    ip: str | None,
) -> None:
    obj = session.scalars(sa.select(model).where(getattr(model, key) == row.key)).one_or_none()
    before = {k: getattr(obj, k) for k in row.data} if obj is not None else None
    if obj is None:
        session.add(model(**row.data))
    else:
        for k, v in row.data.items():
            setattr(obj, k, v)
    session.flush()
    admin_changes.record_change(
        session,
        actor=actor,
        at=at,
        kind=kind,
        key=row.key,
        change="imported" if before is not None else "created",
        before=before,
        after=row.data,
        ip=ip,
        note=row.file,
    )


def apply(files: Mapping[str, bytes], *, actor: User, at: datetime, ip: str | None = None) -> Plan:
    """Import ``files``: everything or nothing. Refused when the dry run refuses a row."""
    plan = dry_run(files)
    if plan.problems or plan.count("refused"):
        raise ImportRefused(N_("有被拒绝的行，未导入任何内容；请修改文件后重新预览"))
    todo = [r for r in plan.rows if r.outcome in ("added", "changed")]
    with write_transaction() as session:
        # Parents before children: a region's parent may come later in the file.
        regions = [r for r in todo if r.file == "regions.csv"]
        done: set[str] = set(session.scalars(sa.select(Region.code)))
        while regions:
            ready = [
                r for r in regions if not r.data["parent_code"] or r.data["parent_code"] in done
            ]
            if not ready:
                raise ImportRefused(N_("区划的上级关系有循环"))
            for r in ready:
                _apply_row(session, Region, "code", r, "region", actor, at, ip)
                done.add(r.key)
            regions = [r for r in regions if r.key not in done]
        for r in todo:
            if r.file == "departments.csv":
                _apply_row(session, Department, "code", r, "department", actor, at, ip)
        for r in todo:
            if r.file == "offices.csv":
                _apply_row(session, Office, "code", r, "office", actor, at, ip)
        for r in todo:
            if r.file == "services.json":
                sv.publish_document(
                    session, actor=actor, at=at, doc=r.data, change="imported", ip=ip
                )
    return plan
