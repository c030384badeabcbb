"""Validate an application form against the service's field definitions (server-side).

Each field type has one rule; errors are Chinese messages keyed by field name, and the clean
values are what gets stored. Nothing here trusts the browser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import DomainError
from .identifiers import normalize_mobile, validate_resident_id
from .text import N_

DEFAULT_MAX = {"text": 100, "textarea": 1000}
_MONEY = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    required: bool = False
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: Sequence[str] = field(default_factory=tuple)
    # ``office`` fields: the department whose offices it lists, the region field it follows
    # (None: any region), and every active office of the catalogue by code.
    department: str | None = None
    region_field: str | None = None
    offices: Mapping[str, OfficeChoice] = field(default_factory=dict)


@dataclass(frozen=True)
class OfficeChoice:
    """An office an ``office`` field may name: its department and the regions it is in (its
    own region, the regions above it and the regions below it)."""

    code: str
    department: str
    regions: frozenset[str]


def _has_control(text: str, allow_newlines: bool) -> bool:
    for ch in text:
        if allow_newlines and ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs"):
            return True
    return False


def clean_text(value: str, *, multiline: bool = False) -> str:
    value = value.replace("\r\n", "\n").strip()
    return value if multiline else " ".join(value.split())


def iso_date(value: str) -> date | None:
    """A date written exactly as YYYY-MM-DD (ASCII digits), else None. The one date parser:
    the web layer's ``inputs.parse_date`` adds its bounds on top."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text(spec: FieldSpec, raw: str) -> str:
    multiline = spec.type == "textarea"
    value = clean_text(raw, multiline=multiline)
    if _has_control(value, allow_newlines=multiline):
        raise DomainError(N_("含有不可见或控制字符，请删除后重新输入"))
    limit = spec.max_length or DEFAULT_MAX[spec.type]
    if len(value) > limit:
        raise DomainError(N_("不能超过 %(limit)s 个字（现在 %(n)s 个）", limit=limit, n=len(value)))
    return value


def _select(spec: FieldSpec, value: str) -> str:
    if value not in spec.choices:
        raise DomainError(N_("请从列表中选择"))
    return value


def _date(value: str) -> str:
    day = iso_date(value)
    if day is None:
        raise DomainError(N_("请输入正确的日期，格式如 2026-11-22"))
    return day.isoformat()


def _integer(spec: FieldSpec, value: str) -> int:
    if not _INTEGER.match(value):
        raise DomainError(N_("请输入整数"))
    number = int(value)
    _range(spec, number)
    return number


def _money(spec: FieldSpec, value: str) -> str:
    if not _MONEY.match(value):
        raise DomainError(N_("请输入金额（元），最多两位小数，如 1200.50"))
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise DomainError(N_("请输入金额（元）")) from None
    _range(spec, amount)
    return str(amount)


def _region(value: str, regions: Collection[str]) -> str:
    if value not in regions:
        raise DomainError(N_("请选择行政区划"))
    return value


def _office(spec: FieldSpec, value: str) -> str:
    office = spec.offices.get(value)
    if office is None:
        raise DomainError(N_("没有这个经办机构，请从列表中选择"))
    if office.department != spec.department:
        raise DomainError(N_("该机构不办理此类业务，请从列表中选择"))
    return office.code


def _office_outside(
    fields: Sequence[FieldSpec], clean: Mapping[str, Any], errors: Mapping[str, str]
) -> dict[str, str]:
    """Office answers outside the region their region field says, keyed by field name."""
    labels = {f.name: f.label for f in fields}
    found: dict[str, str] = {}
    for spec in fields:
        if spec.type != "office" or spec.name not in clean or not spec.region_field:
            continue
        region = clean.get(spec.region_field)
        if region is None or spec.region_field in errors:
            continue  # no region chosen (or a wrong one, named beside its own field)
        if region not in spec.offices[clean[spec.name]].regions:
            found[spec.name] = N_(
                "所选机构不在“%(region)s”所选的地区，请重新选择",
                region=labels.get(spec.region_field, spec.region_field),
            )
    return found


def _check(spec: FieldSpec, raw: str, today: date, regions: Collection[str]) -> Any:
    """One answer checked and normalised by its field's type (a refusal says what is wrong)."""
    if spec.type in ("text", "textarea"):
        return _text(spec, raw)
    value = raw.strip()
    checks: dict[str, Callable[[], Any]] = {
        "select": lambda: _select(spec, value),
        "date": lambda: _date(value),
        "integer": lambda: _integer(spec, value),
        "money": lambda: _money(spec, value),
        "phone": lambda: normalize_mobile(value),
        "resident_id": lambda: validate_resident_id(value, today),
        "region": lambda: _region(value, regions),
        "office": lambda: _office(spec, value),
    }
    if spec.type not in checks:
        raise DomainError(f"未知的字段类型 {spec.type}")
    return checks[spec.type]()


def _range(spec: FieldSpec, number: int | Decimal) -> None:
    if spec.min_value is not None and number < spec.min_value:
        raise DomainError(N_("不能小于 %(n)s", n=spec.min_value))
    if spec.max_value is not None and number > spec.max_value:
        raise DomainError(N_("不能大于 %(n)s", n=spec.max_value))


def validate_answers(
    fields: Sequence[FieldSpec],
    raw: Mapping[str, str],
    *,
    today: date,
    regions: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values for the defined fields, and an error per faulty field.

    Keys that are not defined fields are ignored (never stored). An empty optional field is
    left out of the clean values. An ``office`` answer is an office code of the field's
    department, inside the region its region field names (when that field has an answer).
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in fields:
        value = raw.get(spec.name, "")
        if not isinstance(value, str):
            errors[spec.name] = N_("格式不正确")
            continue
        if not value.strip():
            if spec.required:
                errors[spec.name] = N_("请填写%(label)s", label=spec.label)
            continue
        try:
            clean[spec.name] = _check(spec, value, today, regions)
        except DomainError as exc:
            errors[spec.name] = exc.message
    for name, message in _office_outside(fields, clean, errors).items():
        errors[name] = message
        del clean[name]
    return clean, errors


@dataclass(frozen=True)
class MaterialSpec:
    code: str
    name: str
    required: bool
    e_licence: bool


def material_problems(
    specs: Sequence[MaterialSpec], uploaded: Collection[str], licences: Mapping[str, str]
) -> dict[str, str]:
    """Each required material needs a file, or an e-licence number where one may stand in."""
    problems: dict[str, str] = {}
    for spec in specs:
        licence = (licences.get(spec.code) or "").strip()
        if licence and not spec.e_licence:
            problems[spec.code] = N_("%(name)s不能以电子证照代替，请上传文件", name=spec.name)
        elif licence and not re.fullmatch(r"[0-9A-Za-z\-]{6,40}", licence):
            problems[spec.code] = N_("电子证照编号应为6至40位字母、数字或连字符")
        elif spec.required and spec.code not in uploaded and not licence:
            problems[spec.code] = (
                N_("请上传%(name)s或填写电子证照编号", name=spec.name)
                if spec.e_licence
                else N_("请上传%(name)s", name=spec.name)
            )
    return problems
