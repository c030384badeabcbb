"""The service catalogue: which services can be filed, their form fields and materials."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup, escape
from spectree import Response

from ...models import Service
from ...services import api_reads, queries, search
from . import bp
from .models import ServiceDetail, ServiceList, ServicesQuery
from .problems import ApiProblem
from .spec import spec


def _summary(s: Service) -> dict[str, Any]:
    return {
        "code": s.code,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "department": s.department_code,
        "competent_department": s.competent_department_code,
        "mode": s.mode.value,
        "statutory_days": s.statutory_days,
        "promised_days": s.promised_days,
    }


def _field(f: Any) -> dict[str, Any]:
    return {
        "name": f.name,
        "label_zh": f.label_zh,
        "label_en": f.label_en,
        "type": f.type,
        "required": f.required,
        "max_length": f.max_length,
        "min_value": f.min_value,
        "max_value": f.max_value,
        "choices": [
            {
                "value": str(c.get("value", "")),
                "label_zh": str(c.get("label_zh", "")),
                "label_en": str(c.get("label_en", "") or c.get("label_zh", "")),
            }
            for c in (f.choices or ())
        ],
        "department": f.department_code if f.type == "office" else None,
        "region_field": (f.region_field or None) if f.type == "office" else None,
    }


def _marked(pieces: list[tuple[str, bool]]) -> str:
    return str(
        Markup("").join(Markup("<mark>%s</mark>") % t if hit else escape(t) for t, hit in pieces)
    )


@bp.get("/services")
@spec.validate(query=ServicesQuery, resp=Response(HTTP_200=ServiceList), tags=["catalogue"])
def services() -> Any:
    """List the services that can be filed; with `q`, only those that match, best first
    (Chinese words and short forms, pinyin or its initials, English), each with its `match`."""
    query: ServicesQuery = request.context.query  # type: ignore[attr-defined]
    if not query.q.strip():
        return {"services": [_summary(s) for s in api_reads.services()]}
    return {
        "services": [
            {
                **_summary(r.service),
                "match": {
                    "rank": r.rank,
                    "words": r.words,
                    "name_zh_marked": _marked(r.name_zh),
                    "name_en_marked": _marked(r.name_en),
                },
            }
            for r in search.search(query.q)
        ]
    }


@bp.get("/services/<code>")
@spec.validate(resp=Response(HTTP_200=ServiceDetail), tags=["catalogue"])
def service(code: str) -> Any:
    """One service: its form fields and materials (what POST /cases must send)."""
    found = queries.service_by_code(code[:64])
    if found is None:
        raise ApiProblem(404, _("没有这个事项"))
    return {
        **_summary(found),
        "summary_zh": found.summary_zh,
        "summary_en": found.summary_en,
        "fields": [_field(f) for f in found.fields],
        "materials": [
            {
                "code": m.code,
                "name_zh": m.name_zh,
                "name_en": m.name_en,
                "required": m.required,
                "e_licence": m.e_licence,
            }
            for m in found.materials
        ],
    }
