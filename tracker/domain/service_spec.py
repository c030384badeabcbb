"""A service's definition as one plain document: the shape of an entry of the shipped
``tracker/catalogue/data/services.json``. A published version of a service is such a document,
frozen (``service_versions.snapshot``); a draft is one being edited; the catalogue's import and
export read and write them. Here: the canonical form, the checks an admin's edit must pass
(errors keyed by the field they belong beside), and the form a case was filed under.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from . import precheck as _precheck
from .states import HandlingMode
from .text import N_, Text

FIELD_TYPES = (
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
)
RECEIVING = ("any", "competent")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_DAYS = 365


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "y", "yes", "on")
    return bool(value)


def canonical(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every key present, in one order, with its default: two documents that mean the same
    compare equal. Values that are not numbers where numbers belong are kept as text, for
    :func:`problems` to name."""

    def number(value: Any) -> Any:
        n = _int(value)
        return n if n is not None or value in (None, "") else _text(value)

    offices = raw.get("offices") or {}
    fields = []
    for f in raw.get("form_fields") or []:
        field: dict[str, Any] = {
            "name": _text(f.get("name")),
            "label_zh": _text(f.get("label_zh")),
            "label_en": _text(f.get("label_en")),
            "type": _text(f.get("type")),
            "required": _bool(f.get("required")),
        }
        for key in ("max_length", "min", "max"):
            if f.get(key) not in (None, ""):
                field[key] = number(f.get(key))
        if f.get("choices"):
            field["choices"] = [
                {
                    "value": _text(c.get("value")),
                    "label_zh": _text(c.get("label_zh")),
                    "label_en": _text(c.get("label_en")),
                }
                for c in f["choices"]
            ]
        field["help_zh"] = _text(f.get("help_zh"))
        field["help_en"] = _text(f.get("help_en"))
        if field["type"] == "office":
            # the department whose offices it lists; the region field it follows ("": any)
            field["department"] = _text(f.get("department"))
            field["region_field"] = _text(f.get("region_field"))
        fields.append(field)
    return {
        "code": _text(raw.get("code")),
        "name_zh": _text(raw.get("name_zh")),
        "name_en": _text(raw.get("name_en")),
        "department": _text(raw.get("department")),
        "mode": _text(raw.get("mode")),
        "statutory_days": number(raw.get("statutory_days")),
        "promised_days": number(raw.get("promised_days")),
        "limits_confirmed": _bool(raw.get("limits_confirmed", False)),
        "fee_zh": _text(raw.get("fee_zh", "不收费")),
        "fee_en": _text(raw.get("fee_en", "Free")),
        "summary_zh": _text(raw.get("summary_zh")),
        "summary_en": _text(raw.get("summary_en")),
        "legal_basis_zh": _text(raw.get("legal_basis_zh")),
        "legal_basis_en": _text(raw.get("legal_basis_en")),
        "result_zh": _text(raw.get("result_zh")),
        "result_en": _text(raw.get("result_en")),
        "offices": {
            "receiving": _text(offices.get("receiving", "any")) or "any",
            "competent_department": _text(offices.get("competent_department")),
            "cooperating": [
                {
                    "department": _text(c.get("department")),
                    "role_zh": _text(c.get("role_zh")),
                    "role_en": _text(c.get("role_en")),
                    "task_zh": _text(c.get("task_zh")),
                    "task_en": _text(c.get("task_en")),
                    "limit_days": number(c.get("limit_days")),
                }
                for c in offices.get("cooperating") or []
            ],
        },
        "materials": [
            {
                "code": _text(m.get("code")),
                "name_zh": _text(m.get("name_zh")),
                "name_en": _text(m.get("name_en")),
                "required": _bool(m.get("required")),
                "e_licence": _bool(m.get("e_licence")),
                "note_zh": _text(m.get("note_zh")),
                "note_en": _text(m.get("note_en")),
            }
            for m in raw.get("materials") or []
        ],
        "form_fields": fields,
        "precheck": _precheck.canonical(raw.get("precheck")),
    }


def _days(value: Any, key: str, errors: dict[str, Text]) -> int | None:
    if value in (None, ""):
        errors[key] = N_("请填写时限（工作日）")
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        errors[key] = N_("请输入整数")
        return None
    if not 0 <= value <= MAX_DAYS:
        errors[key] = N_("时限应在 0 到 %(max)s 个工作日之间", max=MAX_DAYS)
        return None
    return value


def _office_field_problems(
    i: int,
    f: Mapping[str, Any],
    types: Mapping[str, str],
    departments: Collection[str],
    errors: dict[str, Text],
) -> None:
    where = f"form_fields.{i}"
    if f.get("department") not in departments:
        errors[f"{where}.department"] = N_("请选择该字段列出哪个部门的经办机构")
    region = f.get("region_field") or ""
    if region and types.get(region) != "region":
        errors[f"{where}.region_field"] = N_("所跟随的字段须是本表单的行政区划字段")


def _field_problems(i: int, f: Mapping[str, Any], errors: dict[str, Text]) -> None:
    where = f"form_fields.{i}"
    if not NAME.match(f["name"]):
        errors[f"{where}.name"] = N_("字段名用小写英文字母、数字和下划线，以字母开头")
    if not f["label_zh"]:
        errors[f"{where}.label_zh"] = N_("请填写中文名称")
    if f["type"] not in FIELD_TYPES:
        errors[f"{where}.type"] = N_("请选择字段类型")
    for key in ("max_length", "min", "max"):
        if key in f and not isinstance(f[key], int):
            errors[f"{where}.{key}"] = N_("请输入整数")
    if isinstance(f.get("max_length"), int) and not 1 <= f["max_length"] <= 1000:
        errors[f"{where}.max_length"] = N_("最大长度应在 1 到 1000 之间")
    low, high = f.get("min"), f.get("max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors[f"{where}.max"] = N_("最大值不能小于最小值")
    choices = f.get("choices") or []
    if f["type"] == "select" and not choices:
        errors[f"{where}.choices"] = N_("下拉选择字段至少需要一个选项")
    values = [c["value"] for c in choices]
    if any(not c["value"] or not c["label_zh"] for c in choices):
        errors[f"{where}.choices"] = N_("每个选项都要有取值和中文名称")
    elif len(set(values)) != len(values):
        errors[f"{where}.choices"] = N_("选项的取值不能重复")


def _office_problems(
    spec: Mapping[str, Any], mode: HandlingMode | None, departments: Collection[str]
) -> dict[str, Text]:
    errors: dict[str, Text] = {}
    offices = spec["offices"]
    if offices["receiving"] not in RECEIVING:
        errors["offices.receiving"] = N_("请选择收件方式")
    if offices["competent_department"] not in departments:
        errors["offices.competent_department"] = N_("请选择办理部门")
    cooperating = offices["cooperating"]
    for i, c in enumerate(cooperating):
        if c["department"] not in departments:
            errors[f"offices.cooperating.{i}.department"] = N_("请选择部门")
        if not c["role_zh"]:
            errors[f"offices.cooperating.{i}.role_zh"] = N_("请填写中文名称")
        limit = c["limit_days"]
        if limit is not None and (not isinstance(limit, int) or not 0 <= limit <= MAX_DAYS):
            errors[f"offices.cooperating.{i}.limit_days"] = N_(
                "时限应在 0 到 %(max)s 个工作日之间", max=MAX_DAYS
            )
    if mode is HandlingMode.JOINT and not cooperating:
        errors["offices.cooperating"] = N_("多地联办事项至少需要一个协办部门")
    elif mode is not None and mode is not HandlingMode.JOINT and cooperating:
        errors["offices.cooperating"] = N_("只有多地联办事项才有协办部门")
    return errors


def _list_problems(spec: Mapping[str, Any], departments: Collection[str]) -> dict[str, Text]:
    errors: dict[str, Text] = {}
    codes: set[str] = set()
    for i, m in enumerate(spec["materials"]):
        if not CODE.match(m["code"]) and not NAME.match(m["code"]):
            errors[f"materials.{i}.code"] = N_("材料编码用小写英文字母、数字和下划线")
        elif m["code"] in codes:
            errors[f"materials.{i}.code"] = N_("材料编码不能重复")
        codes.add(m["code"])
        if not m["name_zh"]:
            errors[f"materials.{i}.name_zh"] = N_("请填写中文名称")
    names: set[str] = set()
    for i, f in enumerate(spec["form_fields"]):
        _field_problems(i, f, errors)
        if f["name"] in names and f"form_fields.{i}.name" not in errors:
            errors[f"form_fields.{i}.name"] = N_("字段名不能重复")
        names.add(f["name"])
    types = {f["name"]: f["type"] for f in spec["form_fields"]}
    for i, f in enumerate(spec["form_fields"]):
        if f["type"] == "office":
            _office_field_problems(i, f, types, departments, errors)
    return errors


def problems(spec: Mapping[str, Any], departments: Collection[str]) -> dict[str, Text]:
    """What is wrong with a canonical document, keyed by its field (``promised_days``,
    ``materials.2.code``, ``form_fields.0.choices`` …); empty when it may be published."""
    errors: dict[str, Text] = {}
    if not CODE.match(spec["code"]):
        errors["code"] = N_("事项编码用小写英文字母、数字、连字符，2 到 64 位")
    if not spec["name_zh"]:
        errors["name_zh"] = N_("请填写中文名称")
    if not spec["name_en"]:
        errors["name_en"] = N_("请填写英文名称")
    if spec["department"] not in departments:
        errors["department"] = N_("请选择部门")
    try:
        mode: HandlingMode | None = HandlingMode(spec["mode"])
    except ValueError:
        mode = None
        errors["mode"] = N_("请选择办理方式")
    statutory = _days(spec["statutory_days"], "statutory_days", errors)
    promised = _days(spec["promised_days"], "promised_days", errors)
    if statutory is not None and promised is not None and promised > statutory:
        errors["promised_days"] = N_(
            "承诺时限不能超过法定时限（%(days)s 个工作日）", days=statutory
        )
    errors.update(_office_problems(spec, mode, departments))
    errors.update(_list_problems(spec, departments))
    errors.update(
        _precheck.problems(
            spec.get("precheck") or [],
            {m["code"] for m in spec["materials"]},
            {f["name"]: f["type"] for f in spec["form_fields"]},
        )
    )
    return errors


# ---- the form a case was filed under --------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One question of a version's form, with the attributes of ``ServiceField``."""

    name: str
    label_zh: str
    label_en: str
    type: str
    required: bool
    max_length: int | None
    min_value: int | None
    max_value: int | None
    choices: list[dict[str, Any]] | None
    help_zh: str
    help_en: str
    department_code: str | None = None  # ``office`` fields: whose offices
    region_field: str | None = None  # ``office`` fields: the region field it follows


@dataclass(frozen=True)
class FormMaterial:
    """One material of a version, with the attributes of ``ServiceMaterial``."""

    code: str
    name_zh: str
    name_en: str
    required: bool
    e_licence: bool
    note_zh: str
    note_en: str


def form_fields(spec: Mapping[str, Any]) -> list[FormField]:
    return [
        FormField(
            name=f["name"],
            label_zh=f.get("label_zh", ""),
            label_en=f.get("label_en", ""),
            type=f["type"],
            required=bool(f.get("required")),
            max_length=f.get("max_length"),
            min_value=f.get("min"),
            max_value=f.get("max"),
            choices=f.get("choices"),
            help_zh=f.get("help_zh", ""),
            help_en=f.get("help_en", ""),
            department_code=f.get("department") or None,
            region_field=f.get("region_field") or None,
        )
        for f in spec.get("form_fields") or []
    ]


def form_materials(spec: Mapping[str, Any]) -> list[FormMaterial]:
    return [
        FormMaterial(
            code=m["code"],
            name_zh=m.get("name_zh", ""),
            name_en=m.get("name_en", ""),
            required=bool(m.get("required")),
            e_licence=bool(m.get("e_licence")),
            note_zh=m.get("note_zh", ""),
            note_en=m.get("note_en", ""),
        )
        for m in spec.get("materials") or []
    ]
