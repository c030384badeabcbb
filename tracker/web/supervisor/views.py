"""Supervision (效能监管): how the cross-province service did, for the supervisor's region.

One guard for the blueprint: a signed-in supervisor (anyone else 403). The supervisor's
region is resolved once per request to its offices (``g.scope``); every figure, list and
export is read through it, and a region or office outside it answers 404, exactly like one
that does not exist. Pages show aggregates and tracking numbers, never applicants.

Pages (this module; ratings, rectification and extensions in ``decisions.py``): the dashboard (throughput with a drill-down region → offices → one office), the legal
clock, ratings and rectification, extension requests, clerk workload. Every table downloads
as CSV from the same rows (``?format=csv&table=<key>``); the open-data file downloads from
``/supervisor/open-data``. These pages and their exports only read: with
``DATABASE_REPLICA_URL`` set they read the replica (``@reads_replica``, tracker/routing.py);
the decision pages (``decisions.py``) read the primary they write to.

The views only route: the filter form (``forms.py``) reads the query string, the figures come
from ``tracker.services.dashboard`` (a bounded number of queries per page, none per row), the
report builders (``reports/``) turn them into tables, cards and charts, and a template renders
them.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...domain import throughput as tp
from ...domain.csvsafe import content_disposition
from ...domain.states import Role
from ...models import User
from ...routing import reads_replica
from ...services import dashboard as dash
from ...services import opendata
from . import pages
from .forms import Filters
from .reports import clock as clock_report
from .reports import office as office_report
from .reports import overview
from .reports import workload as workload_report
from .reports.common import name, scope_name
from .tables import Table

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.record_once
def _template_helpers(state: Any) -> None:
    from .tables import shown, table_rows

    state.app.jinja_env.globals["table_rows"] = table_rows  # the data_table macro's rows
    state.app.jinja_env.globals["table_cell"] = shown  # a totals row's cell


MATRIX_DAYS = 14


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.before_request
@login_required
def _supervisors_only() -> None:
    if current_user.role is not Role.SUPERVISOR:
        # An admin configures and never reads cases or applicants (SECURITY.md, separation
        # of duties): for them these pages do not exist.
        abort(404 if current_user.role is Role.ADMIN else 403)
    g.personal_data = True  # Cache-Control: no-store
    g.scope = dash.load_scope(current_user.scope_region_code)


# ---- the dashboard and a region ------------------------------------------------------------


def _overview(
    f: Filters,
    office_ids: list[int],
    *,
    rollup_all: bool,
    where: str,
    group: str,
    under: str | None,
) -> dict[str, Any]:
    """Headline, chart and breakdown for a set of offices: what the dashboard and the region
    page show. Queries: totals, by day, breakdown, current, rectification (2)."""
    scope, links = pages.scope(), pages.links(f)
    sel = pages.selection(f, None if rollup_all else office_ids, region=under)
    now = pages.now_figures(f, office_ids)
    totals = pages.rollup_figures("totals", lambda: dash.totals(sel), sel)
    rect = (
        dash.rectification_summary(office_ids, sel, f.today) if f.service is None else None
    )  # rectification items are per office, not per service
    # The chart and its table are drawn from the rollups alone: kept drawn, per language.
    chart, daily = pages.rollup_figures(
        "throughput",
        lambda: overview.throughput(f, dash.by_day(sel), "daily", where),
        sel,
        f.start,
        f.end,
        where,
        str(get_locale()),
    )
    parts = pages.rollup_figures(
        "parts",
        lambda: dash.breakdown_parts(scope, group, sel, under, office_ids),
        group,
        sel,
        under,
        tuple(office_ids),
    )
    breakdown = overview.breakdown(scope, links, group, parts, now, office_ids)
    cards = overview.headline(
        totals, dash.sum_current(now.values()), rect, links, pages.at_risk_days()
    )
    return {"cards": cards, "chart": chart, "tables": [daily, breakdown]}


@bp.get("/")
@reads_replica
def dashboard() -> Any:
    f = pages.filters()
    where = scope_name(pages.scope())
    view = _overview(
        f,
        pages.office_ids(f),
        rollup_all=pages.all_offices(f),
        where=where,
        group=f.group,
        under=pages.scope().region_code,
    )
    return pages.page(
        "supervisor/dashboard.html",
        view["tables"],
        f,
        cards=view["cards"],
        chart=view["chart"],
        breakdown_key=view["tables"][1].key,
        where=where,
    )


def _breadcrumb_regions(code: str) -> list[dash.RegionRef]:
    """The regions between the scope and ``code`` (top first), for breadcrumbs."""
    scope = pages.scope()
    chain = scope.lineage(code)
    if scope.region_code in chain:
        chain = chain[: chain.index(scope.region_code)]
    return [scope.regions[c] for c in reversed(chain)]


@bp.get("/regions/<code>")
@reads_replica
def region(code: str) -> Any:
    scope = pages.scope()
    if len(code) != 6 or not code.isdigit() or not scope.covers_region(code):
        abort(404)
    f = pages.filters()
    where = name(scope.regions[code])
    group = f.group if f.group in ("office", "service") else "region"
    view = _overview(
        f, pages.office_ids(f, region=code), rollup_all=False, where=where, group=group, under=code
    )
    return pages.page(
        "supervisor/region.html",
        view["tables"],
        f,
        cards=view["cards"],
        chart=view["chart"],
        breakdown_key=view["tables"][1].key,
        where=where,
        region=scope.regions[code],
        trail=_breadcrumb_regions(code)[:-1],
    )


# ---- one office ----------------------------------------------------------------------------


@bp.get("/offices/<int:office_id>")
@reads_replica
def office(office_id: int) -> Any:
    scope = pages.scope()
    if office_id not in scope.offices:
        abort(404)
    f = pages.filters()
    links = pages.links(f)
    office_ref = scope.offices[office_id]
    services = f.service_ids(scope)
    sel = pages.selection(f, [office_id], office_id=office_id)
    now = pages.now_figures(f, [office_id])
    per_service = dash.by_service(sel, list(scope.services))
    totals = dash.merge(per_service.values())
    rect = dash.rectification_summary([office_id], sel, f.today) if f.service is None else None
    chart, daily = overview.throughput(f, dash.by_day(sel), "daily", name(office_ref))
    cur_total = dash.sum_current(now.values())
    limit = office_report.LIST_LIMIT
    tables = [
        daily,
        office_report.services_table(scope, links, office_id, per_service, now),
        office_report.overdue_table(
            scope,
            office_id,
            dash.overdue_cases(office_id, services, f.today, limit),
            cur_total.overdue,
        ),
        office_report.late_table(
            scope,
            office_id,
            dash.late_completions(office_id, services, sel, limit),
            totals[tp.LATE],
        ),
        _workload_table(
            f,
            [office_id],
            key="workload",
            title=_("%(office)s经办人员工作量", office=name(office_ref)),
        ),
    ]
    return pages.page(
        "supervisor/office.html",
        tables,
        f,
        cards=overview.headline(totals, cur_total, rect, links, pages.at_risk_days()),
        chart=chart,
        office=office_ref,
        where=name(office_ref),
        department=scope.departments.get(office_ref.department_code),
        trail=(
            _breadcrumb_regions(office_ref.region_code)
            if office_ref.region_code in scope.regions
            else []
        ),
    )


# ---- the legal clock -----------------------------------------------------------------------


@bp.get("/clock")
@reads_replica
def clock() -> Any:
    scope, f = pages.scope(), pages.filters()
    links = pages.links(f)
    office_ids = pages.office_ids(f)
    sel = pages.selection(f, None if pages.all_offices(f) else office_ids)
    per_service = dash.by_service(sel, list(scope.services))
    cur = dash.current_by(pages.now_figures(f, office_ids), "office")
    ages = dash.backlog(office_ids, f.service_ids(scope), f.today)
    offices_table, buckets = clock_report.offices_table(scope, links, office_ids, ages, cur)
    tables = [
        offices_table,
        clock_report.age_table(buckets),
        clock_report.services_table(scope, links, per_service),
    ]
    cur_total = dash.sum_current(cur.get(i, dash.Current()) for i in office_ids)
    cards = clock_report.cards(
        dash.merge(per_service.values()), buckets, cur_total, pages.at_risk_days()
    )
    return pages.page(
        "supervisor/clock.html",
        tables,
        f,
        cards=cards,
        chart=clock_report.age_chart(buckets),
        where=scope_name(scope),
    )


# ---- clerk workload -------------------------------------------------------------------------


def _workload_table(f: Filters, office_ids: list[int], *, key: str, title: str) -> Table:
    loads = dash.workload(
        office_ids, pages.selection(f, office_ids), dash.open_by_assignee(office_ids)
    )
    return workload_report.clerks_table(pages.scope(), loads, key=key, title=title)


@bp.get("/workload")
@reads_replica
def workload() -> Any:
    scope, f = pages.scope(), pages.filters()
    office_ids = pages.office_ids(f)
    open_cases = dash.open_by_assignee(office_ids)
    loads = dash.workload(office_ids, pages.selection(f, office_ids), open_cases)
    shown = [f.end - timedelta(days=i) for i in range(min(MATRIX_DAYS, f.days) - 1, -1, -1)]
    tables = [
        workload_report.clerks_table(scope, loads, key="workload", title=_("经办人员工作量")),
        workload_report.matrix_table(loads, shown),
        workload_report.daily_table(scope, loads),
        workload_report.unassigned_table(
            scope, pages.links(f), office_ids, dash.unassigned_open(open_cases)
        ),
    ]
    return pages.page("supervisor/workload.html", tables, f, shown=shown, where=scope_name(scope))


# ---- open data ------------------------------------------------------------------------------


@bp.get("/open-data")
@reads_replica
def open_data() -> Response:
    """The anonymised daily outcomes of the supervisor's scope as a SQLite file."""
    f = pages.filters()
    scope = pages.scope()
    where = scope_name(scope)
    office_ids = None if pages.all_offices(f) else pages.office_ids(f)
    with tempfile.TemporaryDirectory(prefix="tongban-open-data-") as folder:
        path = Path(folder) / "open-data.sqlite"
        opendata.export_open_data(
            path,
            start=f.start,
            end=f.end,
            office_ids=office_ids,
            scope_name=where + (f" · {name(scope.departments[f.dept])}" if f.dept else ""),
        )
        body = path.read_bytes()
    code = scope.region_code or "all"
    filename = _(
        "通办开放数据-%(where)s-%(start)s至%(end)s.sqlite",
        where=where,
        start=f.start.isoformat(),
        end=f.end.isoformat(),
    )
    response = Response(body, mimetype="application/vnd.sqlite3")
    response.headers["Content-Disposition"] = content_disposition(
        filename, f"tongban-open-data-{code}-{f.start.isoformat()}-{f.end.isoformat()}.sqlite"
    )
    return response
