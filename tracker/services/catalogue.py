"""Load the catalogue (regions, departments, offices, services) from data files.

Adding a province is a data change: drop its rows into the same files (or a second folder
with the same layout) and run ``flask --app wsgi tracker load-catalogue [FOLDER]``.
Loading is an upsert by code, so running it again changes nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..database import write_transaction
from ..domain import precheck
from ..domain.errors import DomainError
from ..domain.states import HandlingMode
from ..extensions import db
from ..models import (
    Bundle,
    BundleService,
    Department,
    Office,
    Region,
    Service,
    ServiceCooperation,
    ServiceField,
    ServiceMaterial,
)

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "catalogue" / "data"
FIELD_TYPES = {
    "text",
    "textarea",
    "select",
    "date",
    "integer",
    "money",
    "phone",
    "resident_id",
    "region",
    "office",
}


class CatalogueError(DomainError):
    code = "catalogue_error"


@dataclass
class LoadReport:
    regions: int = 0
    departments: int = 0
    offices: int = 0
    services: int = 0
    bundles: int = 0

    def __str__(self) -> str:
        return (
            f"regions {self.regions}, departments {self.departments}, "
            f"offices {self.offices}, services {self.services}, bundles {self.bundles}"
        )


def _read_csv(path: Path, header: list[str]) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != header:
            raise CatalogueError(f"{path.name}: header must be {','.join(header)}")
        return [{k: (v or "").strip() for k, v in row.items()} for row in reader]


def _read_services(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise CatalogueError(f"{path.name}: expected a list of services")
    return data


def _upsert(model: type[Any], key: str, rows: Iterable[dict[str, Any]]) -> int:
    existing = {getattr(o, key): o for o in db.session.scalars(sa.select(model))}
    count = 0
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            obj = model(**row)
            db.session.add(obj)
            existing[row[key]] = obj
        else:
            for k, v in row.items():
                setattr(obj, k, v)
        count += 1
    db.session.flush()
    return count


def _check_aliases(aliases: Any, where: str) -> None:
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CatalogueError(f"{where}: aliases must be a list of strings")


def _check_service(s: dict[str, Any], departments: set[str]) -> None:
    where = f"services.json {s.get('code', '?')}"
    for key in (
        "code",
        "name_zh",
        "name_en",
        "department",
        "mode",
        "statutory_days",
        "promised_days",
        "offices",
        "materials",
        "form_fields",
    ):
        if key not in s:
            raise CatalogueError(f"{where}: missing {key}")
    try:
        mode = HandlingMode(s["mode"])
    except ValueError:
        raise CatalogueError(f"{where}: unknown mode {s['mode']!r}") from None
    if not 0 <= int(s["promised_days"]) <= int(s["statutory_days"]):
        raise CatalogueError(f"{where}: promised limit must be between 0 and the statutory limit")
    offices = s["offices"]
    for dept in [
        s["department"],
        offices["competent_department"],
        *(c["department"] for c in offices.get("cooperating", [])),
    ]:
        if dept not in departments:
            raise CatalogueError(f"{where}: unknown department {dept!r}")
    if bool(offices.get("cooperating")) != (mode is HandlingMode.JOINT):
        raise CatalogueError(
            f"{where}: cooperating offices are for joint handling only, "
            "and joint handling needs at least one"
        )
    _check_aliases(s.get("aliases", []), where)
    _check_fields(s, departments, where)
    _check_precheck(s, where)


def _check_fields(s: dict[str, Any], departments: set[str], where: str) -> None:
    names = set()
    for f in s["form_fields"]:
        if f["type"] not in FIELD_TYPES:
            raise CatalogueError(f"{where}: field {f['name']} has unknown type {f['type']!r}")
        if f["type"] == "select" and not f.get("choices"):
            raise CatalogueError(f"{where}: select field {f['name']} needs choices")
        if f["name"] in names:
            raise CatalogueError(f"{where}: field {f['name']} appears twice")
        names.add(f["name"])
        if f["type"] == "office":
            _check_office_field(s, f, departments, where)


def _check_office_field(
    s: dict[str, Any], f: dict[str, Any], departments: set[str], where: str
) -> None:
    if f.get("department") not in departments:
        raise CatalogueError(f"{where}: office field {f['name']} needs a known department")
    region = f.get("region_field")
    types = {g["name"]: g["type"] for g in s["form_fields"]}
    if region and types.get(region) != "region":
        raise CatalogueError(
            f"{where}: office field {f['name']} follows {region!r}, not a region field"
        )


def _check_precheck(s: dict[str, Any], where: str) -> None:
    wrong = precheck.problems(
        precheck.canonical(s.get("precheck")),
        {m["code"] for m in s["materials"]},
        {f["name"]: f["type"] for f in s["form_fields"]},
    )
    if wrong:
        key, message = next(iter(wrong.items()))
        raise CatalogueError(f"{where}: {key}: {message}")


def load_catalogue(directory: Path | str = DEFAULT_DIR) -> LoadReport:
    """Upsert every file present in ``directory``; one transaction, all or nothing."""
    folder = Path(directory)
    regions = _read_csv(
        folder / "regions.csv", ["code", "parent_code", "level", "name_zh", "name_en"]
    )
    departments = _read_csv(folder / "departments.csv", ["code", "name_zh", "name_en"])
    offices = _read_csv(
        folder / "offices.csv",
        ["code", "region_code", "department", "name_zh", "name_en", "address", "phone"],
    )
    services = _read_services(folder / "services.json")
    bundles = _read_services(folder / "bundles.json")
    if not (regions or departments or offices or services or bundles):
        raise CatalogueError(f"{folder}: no catalogue files found")

    report = LoadReport()
    with write_transaction() as session:
        # Parents first, so that a region's parent exists before it (files may be in any order).
        known = set(session.scalars(sa.select(Region.code)))
        pending = list(regions)
        ordered: list[dict[str, str]] = []
        while pending:
            ready = [r for r in pending if not r["parent_code"] or r["parent_code"] in known]
            if not ready:
                raise CatalogueError(
                    f"regions.csv: unknown parent for {', '.join(r['code'] for r in pending)}"
                )
            for r in ready:
                known.add(r["code"])
                ordered.append(r)
            pending = [r for r in pending if r["code"] not in known]
        report.regions = _upsert(
            Region, "code", ({**r, "parent_code": r["parent_code"] or None} for r in ordered)
        )
        report.departments = _upsert(Department, "code", departments)
        dept_codes = set(session.scalars(sa.select(Department.code)))
        for o in offices:
            if o["region_code"] not in known:
                raise CatalogueError(f"offices.csv {o['code']}: unknown region {o['region_code']}")
            if o["department"] not in dept_codes:
                raise CatalogueError(
                    f"offices.csv {o['code']}: unknown department {o['department']}"
                )
        report.offices = _upsert(
            Office,
            "code",
            (
                {
                    "code": o["code"],
                    "region_code": o["region_code"],
                    "department_code": o["department"],
                    "name_zh": o["name_zh"],
                    "name_en": o["name_en"],
                    "address": o["address"],
                    "phone": o["phone"],
                }
                for o in offices
            ),
        )
        for s in services:
            _check_service(s, dept_codes)
        report.services = _load_services(session, services)
        report.bundles = _load_bundles(session, bundles)
    return report


_BUNDLE_TEXTS = ("name_zh", "name_en", "summary_zh", "summary_en")


def _load_bundles(session: Any, bundles: list[dict[str, Any]]) -> int:
    """Upsert the bundles (一件事) of ``bundles.json``: each names two or more services of the
    catalogue, in the order their sections appear on the combined form."""
    services = {s.code: s for s in session.scalars(sa.select(Service))}
    existing = {b.code: b for b in session.scalars(sa.select(Bundle))}
    for b in bundles:
        where = f"bundles.json {b.get('code')!r}"
        missing = [k for k in ("code", *_BUNDLE_TEXTS) if not str(b.get(k) or "").strip()]
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        codes = b.get("services")
        if not isinstance(codes, list) or len(codes) < 2 or len(set(codes)) != len(codes):
            raise CatalogueError(f"{where}: services must list two or more different services")
        unknown = [c for c in codes if c not in services]
        if unknown:
            raise CatalogueError(f"{where}: unknown services {', '.join(unknown)}")
        bundle = existing.get(b["code"]) or Bundle(code=b["code"])
        for key in _BUNDLE_TEXTS:
            setattr(bundle, key, b[key])
        bundle.active = bool(b.get("active", True))
        bundle.members = _sync(
            bundle.members,
            BundleService,
            "service_id",
            [{"position": i, "service_id": services[code].id} for i, code in enumerate(codes)],
        )
        session.add(bundle)
    session.flush()
    return len(bundles)


def _load_services(session: Any, services: list[dict[str, Any]]) -> int:
    """Upsert the services; one whose definition changes gets a new version (cases keep
    theirs: the version they were filed under is frozen first)."""
    from .service_versions import freeze_current, snapshot_of

    by_code = {s.code: s for s in session.scalars(sa.select(Service))}
    before: dict[str, dict[str, Any]] = {}
    for s in services:
        if s["code"] in by_code:
            freeze_current(session, by_code[s["code"]])
            before[s["code"]] = snapshot_of(by_code[s["code"]])
    count = _upsert(Service, "code", (_service_row(s) for s in services))
    by_code = {s.code: s for s in session.scalars(sa.select(Service))}
    for s in services:
        _replace_children(by_code[s["code"]], s)
    for code, old in before.items():
        if snapshot_of(by_code[code]) != old:
            by_code[code].version += 1
    return count


def _service_row(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": s["code"],
        "name_zh": s["name_zh"],
        "name_en": s["name_en"],
        "department_code": s["department"],
        "mode": HandlingMode(s["mode"]),
        "statutory_days": int(s["statutory_days"]),
        "promised_days": int(s["promised_days"]),
        "limits_confirmed": bool(s.get("limits_confirmed", False)),
        "fee_zh": s.get("fee_zh", "不收费"),
        "fee_en": s.get("fee_en", "Free"),
        "summary_zh": s.get("summary_zh", ""),
        "summary_en": s.get("summary_en", ""),
        "legal_basis_zh": s.get("legal_basis_zh", ""),
        "legal_basis_en": s.get("legal_basis_en", ""),
        "result_zh": s.get("result_zh", ""),
        "result_en": s.get("result_en", ""),
        "receiving": s["offices"].get("receiving", "any"),
        "competent_department_code": s["offices"]["competent_department"],
        "aliases": [str(a).strip() for a in s.get("aliases", []) if str(a).strip()],
        "precheck": precheck.canonical(s.get("precheck")),
    }


def _sync(current: list[Any], model: type, key: str, rows: list[dict[str, Any]]) -> list[Any]:
    """Update children in place by key, add new ones, drop the rest (a reload changes nothing)."""
    by_key = {getattr(o, key): o for o in current}
    result = []
    for row in rows:
        obj = by_key.pop(row[key], None)
        if obj is None:
            obj = model(**row)
        else:
            for k, v in row.items():
                setattr(obj, k, v)
        result.append(obj)
    for orphan in by_key.values():
        db.session.delete(orphan)
    db.session.flush()
    return result


def _replace_children(service: Service, s: dict[str, Any]) -> None:
    service.materials = _sync(
        service.materials,
        ServiceMaterial,
        "code",
        [
            {
                "position": i,
                "code": m["code"],
                "name_zh": m["name_zh"],
                "name_en": m["name_en"],
                "required": bool(m["required"]),
                "e_licence": bool(m.get("e_licence")),
                "note_zh": m.get("note_zh", ""),
                "note_en": m.get("note_en", ""),
            }
            for i, m in enumerate(s["materials"])
        ],
    )
    service.fields = _sync(
        service.fields,
        ServiceField,
        "name",
        [
            {
                "position": i,
                "name": f["name"],
                "label_zh": f["label_zh"],
                "label_en": f["label_en"],
                "type": f["type"],
                "required": bool(f.get("required")),
                "max_length": f.get("max_length"),
                "min_value": f.get("min"),
                "max_value": f.get("max"),
                "choices": f.get("choices"),
                "help_zh": f.get("help_zh", ""),
                "help_en": f.get("help_en", ""),
                "department_code": f.get("department") or None,
                "region_field": f.get("region_field") or None,
            }
            for i, f in enumerate(s["form_fields"])
        ],
    )
    service.cooperations = _sync(
        service.cooperations,
        ServiceCooperation,
        "position",
        [
            {
                "position": i,
                "department_code": c["department"],
                "role_zh": c["role_zh"],
                "role_en": c.get("role_en", ""),
                "task_zh": c.get("task_zh", ""),
                "task_en": c.get("task_en", ""),
                "limit_days": c.get("limit_days"),
            }
            for i, c in enumerate(s["offices"].get("cooperating", []))
        ],
    )
