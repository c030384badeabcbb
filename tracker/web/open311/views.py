"""The GeoReport v2 endpoints, each at ``.json`` and ``.xml`` (docs/open311.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from ...domain import precheck as precheck_rules
from ...domain.errors import DomainError
from ...domain.identifiers import mask_resident_id
from ...domain.states import CLOSED_STATES, STATUS_TABLE, CaseStatus, HandlingMode
from ...domain.workflow import Action
from ...models import ApiToken, Case, CaseEvent, Service, ServiceField
from ...services import lookups, open311, queries
from ...services.api_tokens import OperatorRefused, TokenScope
from ...services.calendar import SHANGHAI
from ...services.case_access import case_for
from ...services.filing import FilingRefused
from ...services.queries import service_by_code
from .. import answer, loc, wallclock
from . import Open311Error, render, route

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00Z"  # when this endpoint's shape last changed
MAX_RANGE = timedelta(days=90)
MAX_IDS = 100
MAX_ID_LENGTH = 32
MAX_ATTRIBUTES = 100
MAX_VALUE = 2000
DATATYPES = {
    "text": "string",
    "textarea": "text",
    "select": "singlevaluelist",
    "region": "singlevaluelist",
    "office": "singlevaluelist",
    "date": "datetime",
    "integer": "number",
    "money": "number",
    "phone": "string",
    "resident_id": "string",
}
COMPETENT_OFFICE = "competent_office"
MATERIAL_PREFIX = "material."
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,80})\]")


def _token() -> ApiToken:
    token: ApiToken | None = g.open311_token
    if token is None:  # the guard lets no keyless call reach a keyed view
        raise Open311Error(401, _("需要 API 密钥"))
    return token


def _sees_contents(token: ApiToken) -> bool:
    """Citizens (their own cases) and offices (cases they touched) see what a case says;
    a supervisor key sees status and timing only (SECURITY.md: supervisors, aggregated)."""
    return token.scope in (TokenScope.CITIZEN, TokenScope.OFFICE)


# ---- discovery and the catalogue ----------------------------------------------------------


@route("/discovery", "discovery")
def discovery(fmt: str) -> Any:
    url = request.url_root.rstrip("/") + "/open311/v2"
    return render.document(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("通办平台运维：见各部门政务服务中心公布的联系方式"),
            "key_service": _(
                "API 密钥由平台管理员签发（flask --app wsgi tracker api-token create）"
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@route("/services", "services")
def services(fmt: str) -> Any:
    return render.document(
        fmt,
        "services",
        [
            {
                "service_code": s.code,
                "service_name": loc(s, "name"),
                "description": loc(s, "summary"),
                "metadata": True,
                "type": "realtime",
                "keywords": ",".join(
                    [s.department_code, s.mode.value, f"promised_days={s.promised_days}"]
                ),
                "group": loc(s.department, "name"),
            }
            for s in open311.services_for(())
        ],
    )


def _datatype_description(f: ServiceField) -> str | None:
    parts: list[str] = []
    if f.type == "date":
        parts.append(_("日期，格式 YYYY-MM-DD（带时区的时间取北京时间当日）"))
    elif f.type == "money":
        parts.append(_("金额（元），最多两位小数"))
    elif f.type == "integer":
        parts.append(_("整数"))
    elif f.type == "phone":
        parts.append(_("11 位中国大陆手机号码"))
    elif f.type == "resident_id":
        parts.append(_("18 位居民身份证号码"))
    elif f.type == "region":
        parts.append(_("行政区划代码（GB/T 2260）"))
    elif f.type == "office":
        parts.append(_("经办机构代码（见 values），须在所选地区"))
    if f.max_length:
        parts.append(_("最多 %(n)d 个字", n=f.max_length))
    if f.min_value is not None:
        parts.append(_("不小于 %(n)d", n=f.min_value))
    if f.max_value is not None:
        parts.append(_("不大于 %(n)d", n=f.max_value))
    return "；".join(parts) or None


def _values(f: ServiceField) -> list[dict[str, str]] | None:
    if f.type == "select":
        return [{"key": c["value"], "name": loc(c, "label")} for c in f.choices or ()]
    if f.type == "region":
        return [{"key": code, "name": loc(r, "name")} for code, r in lookups.regions().items()]
    if f.type == "office":
        return [
            {"key": o.code, "name": loc(o, "name")}
            for o in queries.offices_of(f.department_code or "")
        ]
    return None


def _field_attributes(service: Service) -> list[dict[str, Any]]:
    return [
        {
            "variable": True,
            "code": f.name,
            "datatype": DATATYPES.get(f.type, "string"),
            "required": f.required,
            "datatype_description": _datatype_description(f),
            "order": order,
            "description": (
                _("%(label)s：%(help)s", label=loc(f, "label"), help=loc(f, "help"))
                if f.help_zh
                else loc(f, "label")
            ),
            "values": _values(f),
        }
        for order, f in enumerate(service.fields, start=1)
    ]


def _extra_attributes(service: Service, start: int) -> list[dict[str, Any]]:
    extra: list[dict[str, Any]] = []
    offices = open311.competent_offices(service)
    if offices:
        extra.append(
            {
                "variable": True,
                "code": COMPETENT_OFFICE,
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": _("部门代码"),
                "order": start + len(extra),
                "description": _("办理地部门（异地代收代办：address_id 为收件地部门）"),
                "values": [{"key": o.code, "name": loc(o, "name")} for o in offices],
            }
        )
    for m in service.materials:
        if not m.e_licence:
            continue  # Open311 carries no files: only e-licence numbers stand in for them
        extra.append(
            {
                "variable": True,
                "code": MATERIAL_PREFIX + m.code,
                "datatype": "string",
                "required": m.required,
                "datatype_description": _("电子证照编号：6–40 位字母、数字或连字符"),
                "order": start + len(extra),
                "description": loc(m, "name") + (f"：{m.note_zh}" if m.note_zh else ""),
            }
        )
    return extra


def _precheck_attributes(service: Service, start: int) -> list[dict[str, Any]]:
    """The guided pre-check's questions as optional lists ``pc_<code>``: answer all of them
    or none (without answers every material and field applies, docs/precheck.md)."""
    return [
        {
            "variable": True,
            "code": precheck_rules.PREFIX + q["code"],
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("情形引导：回答全部或都不回答"),
            "order": start + i,
            "description": _("情形引导：%(question)s", question=loc(q, "text")),
            "values": [{"key": c["value"], "name": loc(c, "label")} for c in q["choices"]],
        }
        for i, q in enumerate(service.precheck or [])
    ]


@route("/services/<code>", "service_definition")
def service_definition(fmt: str, code: str) -> Any:
    service = service_by_code(code[:64])
    if service is None:
        raise Open311Error(404, _("没有这个事项：%(code)s", code=code[:64]))
    attributes = _field_attributes(service)
    attributes += _extra_attributes(service, len(attributes) + 1)
    attributes += _precheck_attributes(service, len(attributes) + 1)
    return render.document(
        fmt, "service_definition", {"service_code": service.code, "attributes": attributes}
    )


# ---- requests ----------------------------------------------------------------------------


def _status_notes(case: Case, with_reason: bool) -> str:
    label = STATUS_TABLE[case.status].label_zh
    reason = open311.last_reason(case) if with_reason else None
    return f"{label}：{reason}" if reason else label


def _expected(case: Case) -> str | None:
    """The due date's last moment (23:59:59 Beijing time) in UTC; none while not fixed."""
    if case.due_on is None:
        return None
    return render.w3c(datetime.combine(case.due_on, time(23, 59, 59), SHANGHAI))


def _notice(case: Case) -> str:
    """The promised limit, and the due date once it is fixed (as the receipt says it)."""
    days = case.promised_days
    limit = (
        _("即办（当日）") if days == 0 else ngettext("%(num)s 个工作日", "%(num)s 个工作日", days)
    )
    notice = _("承诺时限") + "：" + limit + _("，自受理之日起计算（补正、特别程序期间不计）")
    if case.due_on is not None:
        notice += "；" + _("办结期限 %(day)s", day=case.due_on.isoformat())
    return notice


def _description(case: Case) -> str:
    lines = []
    for f in case.form_fields:
        value = case.form_data.get(f.name)
        if value in (None, ""):
            continue
        shown = mask_resident_id(str(value)) if f.type == "resident_id" else answer(value, f)
        lines.append(f"{loc(f, 'label')}：{shown}")
    return "\n".join(lines)


def request_item(case: Case, token: ApiToken) -> dict[str, Any]:
    contents = _sees_contents(token)
    return {
        "service_request_id": case.tracking_number,
        "status": "closed" if case.status in CLOSED_STATES else "open",
        "status_notes": _status_notes(case, contents),
        "service_name": loc(case.service, "name"),
        "service_code": case.service.code,
        "description": _description(case) if contents else None,
        "agency_responsible": case.custody_office.name_zh,
        "service_notice": _notice(case),
        "requested_datetime": render.w3c(case.submitted_at),
        "updated_datetime": render.w3c(case.updated_at),
        "expected_datetime": _expected(case),
        "address": case.receiving_office.name_zh,
        "address_id": case.receiving_office.code,
    }


_SPACE_FOR_PLUS = re.compile(r"^(.*T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def parse_moment(name: str, raw: str | None) -> datetime | None:
    """A W3C datetime with its zone (a ``+`` that arrived as a space is put back)."""
    if raw is None or raw == "":
        return None
    if len(raw) > 40:
        raise Open311Error(400, _("%(name)s 太长", name=name))
    fixed = _SPACE_FOR_PLUS.sub(r"\1+\2", raw.strip())
    try:
        moment = datetime.fromisoformat(fixed.replace("z", "Z"))
    except ValueError:
        raise Open311Error(
            400, _("%(name)s 须为带时区的 W3C 时间，如 2026-11-01T00:00:00Z", name=name)
        ) from None
    if moment.tzinfo is None:
        raise Open311Error(400, _("%(name)s 须带时区（Z 或 +08:00）", name=name))
    return moment.astimezone(UTC)


def date_range() -> tuple[datetime, datetime]:
    """[start_date, end_date]: at most 90 days; the last 90 days when neither is given."""
    start = parse_moment("start_date", request.args.get("start_date"))
    end = parse_moment("end_date", request.args.get("end_date"))
    if start is None and end is None:
        end = wallclock.now()
    if start is None:
        assert end is not None  # noqa: S101 - set just above
        start = end - MAX_RANGE
    if end is None:
        end = start + MAX_RANGE
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date"))
    if end - start > MAX_RANGE:
        raise Open311Error(400, _("start_date 与 end_date 相隔不能超过 90 天"))
    return start, end


def _list_param(name: str, limit: int, longest: int) -> list[str]:
    raw = request.args.get(name, "")
    if len(raw) > limit * (longest + 1):
        raise Open311Error(400, _("%(name)s 太长", name=name))
    items = [v.strip() for v in raw.split(",") if v.strip()]
    if len(items) > limit:
        raise Open311Error(400, _("%(name)s 最多 %(n)d 个", name=name, n=limit))
    if any(len(v) > longest for v in items):
        raise Open311Error(400, _("%(name)s 中有过长的值", name=name))
    return items


def _statuses() -> list[str]:
    statuses = [s.lower() for s in _list_param("status", 2, 6)]
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, _("status 只能是 open 或 closed"))
    return statuses


@route("/requests", "requests", methods=("GET", "POST"))
def requests_(fmt: str) -> Any:
    if request.method == "POST":
        return _post_request(fmt)
    token = _token()
    ids = _list_param("service_request_id", MAX_IDS, MAX_ID_LENGTH)
    codes = _list_param("service_code", 50, 64)
    statuses = _statuses()
    start, end = date_range()
    found = open311.find_requests(
        token,
        tracking_numbers=ids,
        service_codes=codes,
        start=start,
        end=end,
        statuses=statuses,
    )
    return render.document(fmt, "service_requests", [request_item(c, token) for c in found])


@route("/requests/<tracking_number>", "request")
def request_(fmt: str, tracking_number: str) -> Any:
    token = _token()
    case = case_for(token, tracking_number) if len(tracking_number) <= MAX_ID_LENGTH else None
    if case is None:
        raise Open311Error(404, _("没有这个申请，或这个密钥无权查看"))
    return render.document(fmt, "service_requests", [request_item(case, token)])


@route("/tokens/<tracking_number>", "token")
def token_(fmt: str, tracking_number: str) -> Any:
    """We file synchronously, so a request's token is its tracking number: this answers
    which request a token stands for, as far as the key may see it."""
    token = _token()
    case = case_for(token, tracking_number) if len(tracking_number) <= MAX_ID_LENGTH else None
    if case is None:
        raise Open311Error(404, _("没有这个申请，或这个密钥无权查看"))
    return render.document(
        fmt,
        "service_requests",
        [{"service_request_id": case.tracking_number, "token": case.tracking_number}],
    )


# ---- filing ------------------------------------------------------------------------------


def _attributes() -> dict[str, str]:
    found: dict[str, str] = {}
    for key in request.form:
        match = ATTRIBUTE.fullmatch(key)
        if match is None:
            continue
        if len(found) >= MAX_ATTRIBUTES:
            raise Open311Error(400, _("attribute 最多 %(n)d 个", n=MAX_ATTRIBUTES))
        value = request.form.get(key, "")
        if len(value) > MAX_VALUE:
            raise Open311Error(400, _("%(name)s 太长", name=key[:90]))
        found[match.group(1)] = value
    return found


def _as_local_date(value: str) -> str:
    """A date attribute sent as a W3C datetime becomes its Beijing date (the form's day)."""
    if "T" not in value:
        return value
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(SHANGHAI).date().isoformat()


def _filing(service: Service | None, attributes: dict[str, str]) -> open311.Filing:
    date_fields = {f.name for f in service.fields if f.type == "date"} if service else set()
    pc = precheck_rules.PREFIX
    answers = {
        k: _as_local_date(v) if k in date_fields else v
        for k, v in attributes.items()
        if not k.startswith((MATERIAL_PREFIX, pc)) and k != COMPETENT_OFFICE
    }
    answered = {k.removeprefix(pc): v for k, v in attributes.items() if k.startswith(pc)}
    licences = {
        k.removeprefix(MATERIAL_PREFIX): v.strip()
        for k, v in attributes.items()
        if k.startswith(MATERIAL_PREFIX) and v.strip()
    }
    form = request.form
    return open311.Filing(
        service_code=form.get("service_code", "").strip()[:64],
        address_id=form.get("address_id", "").strip()[:32],
        answers=answers,
        licences=licences,
        competent_office=attributes.get(COMPETENT_OFFICE, "").strip()[:32] or None,
        phone=form.get("phone", "").strip()[:32] or None,
        operator=form.get("operator", "").strip()[:64] or None,
        precheck=answered or None,
    )


def _error_name(key: str, decided_apart: bool) -> str:
    """Where a filing error points, in Open311's names (a service received where it is
    decided takes both offices from ``address_id``)."""
    if key.startswith("fields."):
        return f"attribute[{key.removeprefix('fields.')}]"
    if key.startswith("materials."):
        return f"attribute[{MATERIAL_PREFIX}{key.removeprefix('materials.')}]"
    if key.startswith("precheck."):
        return f"attribute[{precheck_rules.PREFIX}{key.removeprefix('precheck.')}]"
    if key == "precheck":
        return f"attribute[{precheck_rules.PREFIX}…]"
    return {
        "service": "service_code",
        "receiving_office": "address_id",
        "competent_office": f"attribute[{COMPETENT_OFFICE}]" if decided_apart else "address_id",
    }.get(key, key)


def _post_request(fmt: str) -> Any:
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(400, _("请以 application/x-www-form-urlencoded 表单提交"))
    token = _token()
    attributes = _attributes()
    code = request.form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code"))
    service = service_by_code(code[:64])
    if service is None:
        raise Open311Error(400, _("service_code 没有对应的事项：%(code)s", code=code[:64]))
    apart = service.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE
    try:
        case = open311.file_request(
            token, _filing(service, attributes), wallclock.now(), request.remote_addr
        )
    except open311.Open311Refused as exc:
        raise Open311Error(403, exc.message) from None
    except OperatorRefused as exc:
        raise Open311Error(400 if exc.code == "operator_missing" else 403, exc.message) from None
    except FilingRefused as exc:
        raise Open311Error(
            422, *(f"{_error_name(k, apart)}: {v}" for k, v in sorted(exc.errors.items()))
        ) from None
    except DomainError as exc:
        raise Open311Error(422, exc.message) from None
    return render.document(
        fmt,
        "service_requests",
        [{"service_request_id": case.tracking_number, "service_notice": _notice(case)}],
        201,
    )


# ---- FixMyStreet's service request updates -----------------------------------------------


def _update_description(event: CaseEvent, contents: bool) -> str:
    try:
        action = Action(event.action).label_zh
    except ValueError:
        action = event.action
    text = f"{action}（{STATUS_TABLE[CaseStatus(event.to_status)].label_zh}）"
    if event.office is not None:
        text += f" {event.office.name_zh}"
    if contents and event.reason:
        text += f"：{event.reason}"
    return text


@route("/servicerequestupdates", "updates")
def updates(fmt: str) -> Any:
    token = _token()
    start, end = date_range()
    ids = _list_param("service_request_id", MAX_IDS, MAX_ID_LENGTH)
    contents = _sees_contents(token)
    events = open311.find_updates(token, start=start, end=end, tracking_numbers=ids)
    return render.document(
        fmt,
        "service_request_updates",
        [
            {
                "update_id": str(e.id),
                "service_request_id": e.case.tracking_number,
                "status": "CLOSED" if e.to_status in CLOSED_STATES else "OPEN",
                "updated_datetime": render.w3c(e.at),
                "description": _update_description(e, contents),
            }
            for e in events
        ],
    )
