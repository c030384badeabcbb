"""What every supervisor page shares within a request: the scope (``g.scope``, set by the
blueprint's guard), the filters read from the query string, the links a report draws, the
figures' selection, and the page itself (HTML with its tables, or one table as CSV)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import cache
from ...services import dashboard as dash
from ...services.calendar import local_date
from .. import wallclock
from .forms import GROUPS, FilterForm, Filters, presets
from .reports.common import Links
from .tables import Table, csv_response


def scope() -> dash.Scope:
    scope: dash.Scope = g.scope
    return scope


# ---- the filters, the links, the selection -----------------------------------------------


def filters() -> Filters:
    return FilterForm(request.args).filters(scope(), local_date(wallclock.now()))


def here(f: Filters, **changes: Any) -> str:
    """This page (same region or office) with the filters, changed by ``changes``."""
    return url_for(str(request.endpoint), **(request.view_args or {}), **f.args(**changes))


def links(f: Filters) -> Links:
    def to(endpoint: str, **values: Any) -> str:
        return url_for(endpoint, **values)

    return Links(
        region=lambda code: to("supervisor.region", code=code, **f.args()),
        office=lambda office_id: to("supervisor.office", office_id=office_id, **f.args()),
        service=lambda service_id: to(
            "supervisor.dashboard", **f.args(service=service_id, group="office")
        ),
        office_service=lambda office_id, service_id: to(
            "supervisor.office", office_id=office_id, **f.args(service=service_id)
        ),
        clock=to("supervisor.clock", **f.args()),
        ratings=lambda **changes: to("supervisor.ratings", **changes, **f.args()),
        rectification=lambda item_id: to(
            "supervisor.rectification_item", item_id=item_id, **f.args()
        ),
    )


def office_ids(f: Filters, region: str | None = None) -> list[int]:
    return scope().office_ids(department=f.dept, region=region)


def selection(
    f: Filters,
    office_ids: list[int] | None,
    *,
    region: str | None = None,
    office_id: int | None = None,
) -> dash.Selection:
    """The figures' selection; ``region`` or ``office_id`` (else the scope) also names it as
    a key of the area grain when one key says it."""
    area, subset = dash.area_key(
        region=region or scope().region_code,
        office_id=office_id,
        department=f.dept,
        service_id=f.service,
    )
    return dash.Selection.of(
        office_ids, f.service_ids(scope()), f.start, f.end, area=area, subset=subset
    )


def all_offices(f: Filters) -> bool:
    """No office filter is needed on the rollup (every region, every department)."""
    return scope().region_code is None and f.dept is None


def at_risk_days() -> int:
    days: int = current_app.config["AT_RISK_WORKING_DAYS"]
    return days


def now_figures(f: Filters, office_ids: list[int]) -> dict[tuple[int, int], dash.Current]:
    until = dash.risk_until(f.today, at_risk_days())
    return dash.current(office_ids, f.service_ids(scope()), f.today, until)


# ---- figures from the rollups, cached by what they depend on ------------------------------

T = TypeVar("T")


def _scope_key() -> str:
    """The scope as far as a figure's grouping depends on it: its region, its offices with
    their regions, and the region tree (an office moved by an admin is a new key)."""
    found: str | None = g.get("sv_scope_key")
    if found is None:
        s = scope()
        shape = (
            s.region_code,
            sorted((i, o.region_code) for i, o in s.offices.items()),
            sorted((r.code, r.parent_code) for r in s.regions.values()),
        )
        found = g.sv_scope_key = hashlib.sha256(repr(shape).encode()).hexdigest()[:20]
    return found


def rollup_figures(kind: str, compute: Callable[[], T], *key: Any) -> T:
    """``compute()``, or the same figures computed earlier for the same ``kind``, ``key`` (the
    selection and grouping), scope and rollup version (``dash.rollup_version``: any new case
    event is a new version, so a move shows on the next page at once). Only figures read
    from the rollups go through here; figures about *now* (open cases, rectification) are
    read every time. Memory per process, or Redis (``CACHE_REDIS_URL``), config.py."""
    version: str | None = g.get("sv_rollup_version")
    if version is None:
        version = g.sv_rollup_version = dash.rollup_version()
    name = "sv:" + hashlib.sha256(repr((kind, version, _scope_key(), key)).encode()).hexdigest()
    found = cache.get(name)
    if found is None:
        found = compute()
        cache.set(name, found)
    return found  # type: ignore[no-any-return]


# ---- rendering: HTML with the tables, or one table as CSV ----------------------------------


def page(template: str, tables: list[Table], f: Filters, **context: Any) -> Any:
    if request.args.get("format") == "csv":
        table = next((t for t in tables if t.key == request.args.get("table")), None)
        if table is None:
            abort(404)
        return csv_response(
            table,
            _(
                "通办-%(title)s-%(start)s至%(end)s.csv",
                title=table.title,
                start=f.start.isoformat(),
                end=f.end.isoformat(),
            ),
            f"tongban-{table.key}-{f.start.isoformat()}-{f.end.isoformat()}.csv",
        )
    quick = [
        (label, here(f, **{"from": a.isoformat(), "to": b.isoformat()}), (a, b) == (f.start, f.end))
        for label, a, b in presets(f)
    ]
    return render_template(
        template,
        tables={t.key: t for t in tables},
        f=f,
        scope=scope(),
        groups=GROUPS,
        presets=quick,
        csv=csv_href,
        here=lambda **changes: here(f, **changes),
        **context,
    )


def csv_href(key: str) -> str:
    args = request.args.to_dict()
    args.update({"format": "csv", "table": key})
    args.pop("lang", None)
    return url_for(str(request.endpoint), **(request.view_args or {}), **args)
