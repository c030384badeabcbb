"""Supervision (效能监管): how the cross-province service did, for the supervisor's region.

One guard for the blueprint: a signed-in supervisor (anyone else 403). The supervisor's
region is resolved once per request to its offices (``g.scope``); every figure, list and
export is read through it, and a region or office outside it answers 404, exactly like one
that does not exist. Pages show aggregates and tracking numbers, never applicants.

Pages: the dashboard (throughput with a drill-down region → offices → one office), the legal
clock, ratings and rectification, extension requests, clerk workload. Every table downloads
as CSV from the same rows (``?format=csv&table=<key>``); the open-data file downloads from
``/supervisor/open-data``. Range figures come from the daily rollup, current ones from the
cases through their indexes (``tracker.services.dashboard``): a bounded number of queries per
page, none per row.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...domain import throughput as tp
from ...domain.csvsafe import content_disposition
from ...domain.errors import DomainError
from ...domain.states import Role
from ...domain.workflow import Action
from ...extensions import db
from ...models import Case, User
from ...services import cases as case_ops
from ...services import dashboard as dash
from ...services import opendata, rectification
from ...services.calendar import local_date
from .. import action_label, loc, wallclock
from ..inputs import parse_date
from .charts import Bucket, hbar_svg, throughput_svg
from .tables import Col, Flag, Lines, Link, Num, Pct, Table, csv_response

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

GROUPS = {"region": "按地区", "office": "按部门", "service": "按事项"}
DEFAULT_DAYS, MAX_DAYS, WEEKLY_AFTER = 30, 366, 92
LIST_LIMIT = 100
REASON_MAX = 500


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.before_request
@login_required
def _supervisors_only() -> None:
    if current_user.role is not Role.SUPERVISOR:
        abort(403)
    g.personal_data = True  # Cache-Control: no-store
    g.scope = dash.load_scope(current_user.scope_region_code)


def _scope() -> dash.Scope:
    scope: dash.Scope = g.scope
    return scope


# ---- the filters every page shares -----------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    today: date
    group: str = "region"
    dept: str | None = None
    service: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def args(self, **changes: Any) -> dict[str, str]:
        """Query arguments for a link that keeps these filters (``None`` drops one)."""
        out: dict[str, Any] = {"from": self.start.isoformat(), "to": self.end.isoformat(),
                               "group": None if self.group == "region" else self.group,
                               "dept": self.dept, "service": self.service}
        out.update(changes)
        return {k: str(v) for k, v in out.items() if v is not None}

    def service_ids(self, scope: dash.Scope) -> list[int] | None:
        return scope.service_ids(service_id=self.service)


def _filters() -> Filters:
    """The range and grouping from the query string; anything odd falls back to the default
    (the last 30 days ending today, by region), never an error."""
    scope, args = _scope(), request.args
    today = local_date(wallclock.now())
    end = parse_date(args.get("to")) or today
    end = min(end, today)
    start = parse_date(args.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days + 1 > MAX_DAYS:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    group = args.get("group", "region")
    dept = args.get("dept") or None
    raw_service = args.get("service", "")
    service = int(raw_service) if raw_service.isdigit() and len(raw_service) < 10 else None
    return Filters(start=start, end=end, today=today,
                   group=group if group in GROUPS else "region",
                   dept=dept if dept in scope.departments else None,
                   service=service if service in scope.services else None)


def _presets(f: Filters) -> list[tuple[str, dict[str, str], bool]]:
    t = f.today
    monday = t - timedelta(days=t.weekday())
    first = t.replace(day=1)
    last_month_end = first - timedelta(days=1)
    ranges = [("近7天", t - timedelta(days=6), t), ("近30天", t - timedelta(days=29), t),
              ("上周", monday - timedelta(days=7), monday - timedelta(days=1)),
              ("本月", first, t), ("上月", last_month_end.replace(day=1), last_month_end),
              ("近一年", t - timedelta(days=365), t)]
    return [(label, _here(f, **{"from": a.isoformat(), "to": b.isoformat()}),
             (a, b) == (f.start, f.end)) for label, a, b in ranges]


def _here(f: Filters, **changes: Any) -> str:
    """This page (same region or office) with the filters, changed by ``changes``."""
    return url_for(str(request.endpoint), **(request.view_args or {}), **f.args(**changes))


def _office_ids(f: Filters, region: str | None = None) -> list[int]:
    return _scope().office_ids(department=f.dept, region=region)


def _selection(f: Filters, office_ids: list[int] | None, *, region: str | None = None,
               office_id: int | None = None) -> dash.Selection:
    """The figures' selection; ``region`` or ``office_id`` (else the scope) also names it as
    a key of the area grain when one key says it."""
    area, subset = dash.area_key(region=region or _scope().region_code, office_id=office_id,
                                 department=f.dept, service_id=f.service)
    return dash.Selection.of(office_ids, f.service_ids(_scope()), f.start, f.end, area=area,
                             subset=subset)


def _all_offices(f: Filters) -> bool:
    """No office filter is needed on the rollup (every region, every department)."""
    return _scope().region_code is None and f.dept is None


def _risk_until(f: Filters) -> date:
    return dash.risk_until(f.today, current_app.config["AT_RISK_WORKING_DAYS"])


# ---- rendering: HTML with the tables, or one table as CSV ----------------------------------


def _page(template: str, tables: list[Table], f: Filters, **context: Any) -> Any:
    if request.args.get("format") == "csv":
        table = next((t for t in tables if t.key == request.args.get("table")), None)
        if table is None:
            abort(404)
        span = f"{f.start.isoformat()}至{f.end.isoformat()}"
        return csv_response(table, f"通办-{table.title}-{span}.csv",
                            f"tongban-{table.key}-{f.start.isoformat()}-{f.end.isoformat()}.csv")
    return render_template(template, tables={t.key: t for t in tables}, f=f, scope=_scope(),
                           groups=GROUPS, presets=_presets(f), csv=_csv_href,
                           here=lambda **changes: _here(f, **changes), **context)


def _csv_href(key: str) -> str:
    args = request.args.to_dict()
    args.update({"format": "csv", "table": key})
    args.pop("lang", None)
    return url_for(str(request.endpoint), **(request.view_args or {}), **args)


def _name(obj: Any) -> str:
    return loc(obj, "name")


# ---- figures --------------------------------------------------------------------------------


FIGURE_COLS = ["收件", "受理", "不予受理", "办结", "撤件/撤回", "按时办结", "超期办结"]


def _figure_cols(first: str) -> list[Col]:
    return ([Col(first)] + [Col(c, num=True) for c in FIGURE_COLS]
            + [Col("按时办结率"), Col("当前逾期", num=True), Col("当前临期", num=True)])


def _figures(c: Counter[str], cur: dash.Current) -> list[Any]:
    return [c[tp.RECEIVED], c[tp.ACCEPTED], c[tp.NOT_ACCEPTED], dash.completed(c),
            c[tp.WITHDRAWN], c[tp.ON_TIME], c[tp.LATE], Pct(tp.on_time_rate(c)),
            cur.overdue, cur.at_risk]


def _active(c: Counter[str], cur: dash.Current) -> bool:
    return any(c.get(m, 0) for m in dash.ROW_METRICS) or cur.overdue or cur.at_risk


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""
    href: str | None = None
    alert: bool = False


def _headline(c: Counter[str], cur: dash.Current, rect: dash.RectificationSummary | None,
              f: Filters, days_at_risk: int) -> list[Card]:
    cards = [
        Card("收件", str(c[tp.RECEIVED]), "件"),
        Card("受理", str(c[tp.ACCEPTED]), f"不予受理 {c[tp.NOT_ACCEPTED]} 件"),
        Card("办结", str(dash.completed(c)),
             f"通过 {c[tp.APPROVED]} · 容缺 {c[tp.APPROVED_TOLERATED]} · 不通过 {c[tp.REFUSED]}"),
        Card("按时办结率", str(Pct(tp.on_time_rate(c))), f"超期办结 {c[tp.LATE]} 件",
             alert=bool(c[tp.LATE])),
        Card("当前逾期", str(cur.overdue), "件在办已过应办日期",
             url_for("supervisor.clock", **f.args()), alert=bool(cur.overdue)),
        Card("临期", str(cur.at_risk), f"件 {days_at_risk} 个工作日内到期",
             url_for("supervisor.clock", **f.args())),
    ]
    if rect is not None:
        cards.append(Card("差评整改率", str(Pct(rect.rate)),
                          f"差评 {rect.total} 件，已跟进 {rect.followed_up} 件"
                          + (f"；逾期 {rect.overdue_open} 件" if rect.overdue_open else ""),
                          url_for("supervisor.ratings", **f.args()),
                          alert=bool(rect.overdue_open) or (rect.rate or 1) < 1))
    return cards


def _buckets(f: Filters, days: dict[date, Counter[str]]) -> list[tuple[date, date, Counter[str]]]:
    """Days, or weeks (from Monday) when the range is long."""
    if f.days <= WEEKLY_AFTER:
        return [(d, d, days.get(d, Counter()))
                for d in (f.start + timedelta(days=i) for i in range(f.days))]
    out: list[tuple[date, date, Counter[str]]] = []
    d = f.start
    while d <= f.end:
        week_end = min(d + timedelta(days=6 - d.weekday()), f.end)
        total = dash.merge(days.get(d + timedelta(days=i), Counter())
                           for i in range((week_end - d).days + 1))
        out.append((d, week_end, total))
        d = week_end + timedelta(days=1)
    return out


def _throughput(f: Filters, sel: dash.Selection, key: str, where: str) -> tuple[Any, Table]:
    """The daily chart and its table (one grouped rollup query)."""
    rows = _buckets(f, dash.by_day(sel))
    weekly = f.days > WEEKLY_AFTER
    table = Table(key=key, title=f"{where}每{'周' if weekly else '日'}办件量",
                  cols=[Col("周（起）" if weekly else "日期", nowrap=True), Col("收件", True),
                        Col("受理", True),
                        Col("不予受理", True), Col("办结", True), Col("其中超期", True),
                        Col("撤件/撤回", True)])
    for a, b, c in rows:
        label = a.isoformat() if a == b else f"{a.isoformat()}～{b.strftime('%m-%d')}"
        table.rows.append([label, c[tp.RECEIVED], c[tp.ACCEPTED], c[tp.NOT_ACCEPTED],
                           dash.completed(c), c[tp.LATE], c[tp.WITHDRAWN]])
    total = dash.merge(c for _, _, c in rows)
    table.foot = ["合计", total[tp.RECEIVED], total[tp.ACCEPTED], total[tp.NOT_ACCEPTED],
                  dash.completed(total), total[tp.LATE], total[tp.WITHDRAWN]]
    chart = throughput_svg(
        [Bucket(a.strftime("%m-%d"), a.isoformat() if a == b else f"{a.isoformat()} 起一周",
                c[tp.RECEIVED], dash.completed(c)) for a, b, c in rows],
        chart_id=f"chart-{key}", title=f"{where}每{'周' if weekly else '日'}收件与办结",
        desc=(f"{f.start.isoformat()} 至 {f.end.isoformat()}：收件 {total[tp.RECEIVED]} 件，"
              f"办结 {dash.completed(total)} 件。实心柱为收件，斜线柱为办结；数据见旁边的表格。"))
    return chart, table


def _region_rows(f: Filters, under: str | None, office_ids: list[int], sel: dash.Selection,
                 cur: dict[int, dash.Current], table: Table) -> tuple[int, Counter[str]]:
    """Rows for the regions directly below ``under`` and the offices sitting in ``under``
    itself; returns how many regions had nothing to show (left out), and the sum of all."""
    scope = _scope()
    members: dict[str, list[int]] = {}
    direct: list[int] = []
    for office_id in office_ids:
        child = scope.child_region(under, scope.offices[office_id])
        if child is None:
            direct.append(office_id)
        else:
            members.setdefault(child, []).append(office_id)
    if sel.area is not None:  # one row key per region: the area grain
        per_region = dash.by_region(sel, members)
    else:
        per_office = dash.by_office(sel, [i for ids in members.values() for i in ids])
        per_region = {code: dash.merge(per_office.get(i, Counter()) for i in ids)
                      for code, ids in members.items()}
    per_direct = dash.by_office(sel, direct) if direct else {}
    hidden = 0
    for code in sorted(members):
        c = per_region.get(code, Counter())
        current_ = _sum_current(cur.get(i, dash.Current()) for i in members[code])
        if not _active(c, current_):
            hidden += 1
            continue
        region = scope.regions[code]
        table.rows.append([Link(_name(region), url_for("supervisor.region", code=code,
                                                       **f.args()))] + _figures(c, current_))
    for office_id in direct:
        c, current_ = per_direct.get(office_id, Counter()), cur.get(office_id, dash.Current())
        if _active(c, current_):
            table.rows.append(_office_cell(f, office_id) + _figures(c, current_))
    return hidden, dash.merge([*per_region.values(), *per_direct.values()])


def _office_cell(f: Filters, office_id: int) -> list[Any]:
    office = _scope().offices[office_id]
    return [Link(_name(office), url_for("supervisor.office", office_id=office_id, **f.args()))]


def _breakdown(f: Filters, group: str, under: str | None, office_ids: list[int],
               sel: dash.Selection, now: dict[tuple[int, int], dash.Current]) -> Table:
    scope = _scope()
    first = {"region": "地区", "office": "部门", "service": "事项"}[group]
    table = Table(key=f"by_{group}", title=f"分{first}办件情况", cols=_figure_cols(first),
                  empty="区间内没有办件，也没有在办的逾期或临期办件")
    if group == "service":
        counts = dash.by_service(sel, list(scope.services))
        cur = dash.current_by(now, "service")
        for service_id in sorted(scope.services, key=lambda i: scope.services[i].code):
            c, cu = counts.get(service_id, Counter()), cur.get(service_id, dash.Current())
            if _active(c, cu):
                table.rows.append([Link(_name(scope.services[service_id]), url_for(
                    "supervisor.dashboard", **f.args(service=service_id, group="office")))]
                    + _figures(c, cu))
        total_c, total_cur = dash.merge(counts.values()), _sum_current(cur.values())
    else:
        cur = dash.current_by(now, "office")
        if group == "region":
            hidden, total_c = _region_rows(f, under, office_ids, sel, cur, table)
            if hidden:
                table.note = f"另有 {hidden} 个地区区间内没有办件，未列出。"
        else:
            counts = dash.by_office(sel, office_ids)
            for office_id in office_ids:
                c, cu = counts.get(office_id, Counter()), cur.get(office_id, dash.Current())
                if _active(c, cu):
                    table.rows.append(_office_cell(f, office_id) + _figures(c, cu))
            total_c = dash.merge(counts.values())
        total_cur = _sum_current(cur.get(i, dash.Current()) for i in office_ids)
    if table.rows:
        table.foot = ["合计", *_figures(total_c, total_cur)]
    return table


def _sum_current(items: Any) -> dash.Current:
    over = risk = 0
    for c in items:
        over += c.overdue
        risk += c.at_risk
    return dash.Current(over, risk)


def _overview(f: Filters, office_ids: list[int], *, rollup_all: bool, where: str,
              group: str, under: str | None) -> dict[str, Any]:
    """Headline, chart and breakdown for a set of offices: what the dashboard and the region
    page show. Queries: totals, by day, breakdown, current, rectification (2)."""
    sel = _selection(f, None if rollup_all else office_ids, region=under)
    services = f.service_ids(_scope())
    now = dash.current(office_ids, services, f.today, _risk_until(f))
    totals = dash.totals(sel)
    rect = (dash.rectification_summary(office_ids, sel, f.today) if f.service is None
            else None)  # rectification items are per office, not per service
    chart, daily = _throughput(f, sel, "daily", where)
    breakdown = _breakdown(f, group, under, office_ids, sel, now)
    return {"cards": _headline(totals, _sum_current(now.values()), rect, f,
                               current_app.config["AT_RISK_WORKING_DAYS"]),
            "chart": chart, "tables": [daily, breakdown]}


def _scope_name() -> str:
    region = _scope().region
    return _name(region) if region else "全部地区"


@bp.get("/")
def dashboard() -> Any:
    f = _filters()
    office_ids = _office_ids(f)
    view = _overview(f, office_ids, rollup_all=_all_offices(f), where=_scope_name(),
                     group=f.group, under=_scope().region_code)
    return _page("supervisor/dashboard.html", view["tables"], f, cards=view["cards"],
                 chart=view["chart"], breakdown_key=view["tables"][1].key, where=_scope_name())


def _breadcrumb_regions(code: str) -> list[dash.RegionRef]:
    """The regions between the scope and ``code`` (top first), for breadcrumbs."""
    scope = _scope()
    chain = scope.lineage(code)
    if scope.region_code in chain:
        chain = chain[:chain.index(scope.region_code)]
    return [scope.regions[c] for c in reversed(chain)]


@bp.get("/regions/<code>")
def region(code: str) -> Any:
    scope = _scope()
    if len(code) != 6 or not code.isdigit() or not scope.covers_region(code):
        abort(404)
    f = _filters()
    office_ids = _office_ids(f, region=code)
    name = _name(scope.regions[code])
    group = f.group if f.group in ("office", "service") else "region"
    view = _overview(f, office_ids, rollup_all=False, where=name, group=group, under=code)
    return _page("supervisor/region.html", view["tables"], f, cards=view["cards"],
                 chart=view["chart"], breakdown_key=view["tables"][1].key, where=name,
                 region=scope.regions[code], trail=_breadcrumb_regions(code)[:-1])


def _trail_lines(entries: tuple[dash.TrailEntry, ...]) -> Lines:
    from .. import local_time

    scope = _scope()
    out = []
    for e in entries:
        office = scope.all_offices.get(e.office_id) if e.office_id else None
        who = f"〔{_name(office)}〕" if office else "〔申请人或系统〕"
        out.append(f"{local_time(e.at, '%m-%d')} {who}{action_label(e.action)}"
                   + (f"：{e.reason}" if e.reason else ""))
    return Lines(tuple(out))


def _status_flag(case_line: dash.CaseLine) -> Flag:
    s = case_line.status
    return Flag(s.label_zh, f"badge-status status-{s.value}")


@bp.get("/offices/<int:office_id>")
def office(office_id: int) -> Any:
    scope = _scope()
    if office_id not in scope.offices:
        abort(404)
    f = _filters()
    office_ref = scope.offices[office_id]
    services = f.service_ids(scope)
    sel = _selection(f, [office_id], office_id=office_id)
    now = dash.current([office_id], services, f.today, _risk_until(f))
    per_service = dash.by_service(sel, list(scope.services))
    totals = dash.merge(per_service.values())
    rect = dash.rectification_summary([office_id], sel, f.today) if f.service is None else None
    chart, daily = _throughput(f, sel, "daily", _name(office_ref))

    svc_table = Table(key="services", title=f"{_name(office_ref)}分事项办件情况",
                      cols=[Col("事项"), Col("收件", True), Col("受理", True), Col("办结", True),
                            Col("超期办结", True), Col("按时办结率"), Col("平均工作日", True),
                            Col("中位工作日", True), Col("当前逾期", True), Col("当前临期", True)])
    cur_by_service = dash.current_by(now, "service")
    for service_id in sorted(scope.services, key=lambda i: scope.services[i].code):
        c, cu = per_service.get(service_id, Counter()), cur_by_service.get(service_id,
                                                                           dash.Current())
        if _active(c, cu):
            svc_table.rows.append([
                Link(_name(scope.services[service_id]),
                     url_for("supervisor.office", office_id=office_id,
                             **f.args(service=service_id))),
                c[tp.RECEIVED], c[tp.ACCEPTED], dash.completed(c), c[tp.LATE],
                Pct(tp.on_time_rate(c)), Num(tp.mean_working_days(c)),
                Num(tp.median_working_days(c)), cu.overdue, cu.at_risk])

    overdue = dash.overdue_cases(office_id, services, f.today, LIST_LIMIT)
    cur_total = _sum_current(now.values())
    overdue_table = Table(
        key="overdue", title=f"{_name(office_ref)}当前逾期办件",
        cols=[Col("办件编号", nowrap=True), Col("事项"), Col("状态"), Col("应办日期", nowrap=True), Col("逾期天数", True),
              Col("原因记录（补正、特别程序、延期等）")],
        empty="当前没有逾期办件",
        note=(f"按逾期时间排序，列出前 {LIST_LIMIT} 件（共 {cur_total.overdue} 件）。"
              if cur_total.overdue > LIST_LIMIT else ""))
    for line in overdue:
        overdue_table.rows.append([line.tracking_number, _name(scope.services[line.service_id]),
                                   _status_flag(line), line.act_by, line.days,
                                   _trail_lines(line.trail)])

    late = dash.late_completions(office_id, services, sel, LIST_LIMIT)
    late_table = Table(
        key="late", title=f"{_name(office_ref)}区间内超期办结办件",
        cols=[Col("办件编号", nowrap=True), Col("事项"), Col("结果"), Col("应办结日期", nowrap=True), Col("办结日期", nowrap=True),
              Col("超期天数", True), Col("原因记录（补正、特别程序、延期等）")],
        empty="区间内没有超期办结的办件",
        note=(f"按办结时间倒序，列出前 {LIST_LIMIT} 件（共 {totals[tp.LATE]} 件）。"
              if totals[tp.LATE] > LIST_LIMIT else ""))
    for line in late:
        late_table.rows.append([line.tracking_number, _name(scope.services[line.service_id]),
                                _status_flag(line), line.due_on,
                                local_date(line.completed_at) if line.completed_at else None,
                                line.days, _trail_lines(line.trail)])

    workload = _workload_table(f, [office_id], key="workload",
                               title=f"{_name(office_ref)}经办人员工作量")
    region_ref = scope.regions.get(office_ref.region_code)
    return _page(
        "supervisor/office.html", [daily, svc_table, overdue_table, late_table, workload], f,
        cards=_headline(totals, cur_total, rect, f, current_app.config["AT_RISK_WORKING_DAYS"]),
        chart=chart, office=office_ref, where=_name(office_ref),
        department=scope.departments.get(office_ref.department_code),
        trail=_breadcrumb_regions(office_ref.region_code) if region_ref else [])


# ---- the legal clock ----------------------------------------------------------------------

BUCKET_LABELS = ["0–5 个工作日", "6–10 个工作日", "11–20 个工作日", "21 个工作日以上"]


@bp.get("/clock")
def clock() -> Any:
    scope, f = _scope(), _filters()
    office_ids = _office_ids(f)
    services = f.service_ids(scope)
    sel = _selection(f, None if _all_offices(f) else office_ids)
    per_service = dash.by_service(sel, list(scope.services))
    totals = dash.merge(per_service.values())
    now = dash.current(office_ids, services, f.today, _risk_until(f))
    cur = dash.current_by(now, "office")
    ages = dash.backlog(office_ids, services, f.today)

    offices_table = Table(
        key="offices", title="各部门在办、逾期与临期",
        cols=[Col("部门"), Col("在办", True)] + [Col(b, True) for b in BUCKET_LABELS]
        + [Col("当前逾期", True), Col("当前临期", True)],
        empty="范围内没有在办办件")
    bucket_totals = [0, 0, 0, 0]
    for office_id in office_ids:
        a = ages.get(office_id, [0, 0, 0, 0])
        cu = cur.get(office_id, dash.Current())
        if sum(a) or cu.overdue or cu.at_risk:
            offices_table.rows.append(_office_cell(f, office_id) + [sum(a), *a, cu.overdue,
                                                                    cu.at_risk])
            bucket_totals = [x + y for x, y in zip(bucket_totals, a, strict=True)]
    cur_total = _sum_current(cur.get(i, dash.Current()) for i in office_ids)
    if offices_table.rows:
        offices_table.foot = ["合计", sum(bucket_totals), *bucket_totals, cur_total.overdue,
                              cur_total.at_risk]

    svc_table = Table(
        key="services", title="各事项办理时长",
        cols=[Col("事项"), Col("办结", True), Col("按时办结", True), Col("超期办结", True),
              Col("按时办结率"), Col("平均工作日", True), Col("中位工作日", True),
              Col("补正次数", True), Col("补正暂停日/件", True)],
        empty="区间内没有办结的办件")
    for service_id in sorted(scope.services, key=lambda i: scope.services[i].code):
        c = per_service.get(service_id)
        if c and (dash.completed(c) or c[tp.SUPPLEMENT_REQUESTS]):
            svc_table.rows.append(_service_clock_row(f, service_id, c))
    if svc_table.rows:
        svc_table.foot = _service_clock_row(f, None, totals)

    age_table = Table(key="backlog", title="在办办件按已用工作日",
                      cols=[Col("已用工作日（自收件）"), Col("在办", True)],
                      rows=[[label, n] for label, n in zip(BUCKET_LABELS, bucket_totals,
                                                           strict=True)],
                      foot=["合计", sum(bucket_totals)])
    chart = hbar_svg(list(zip(BUCKET_LABELS, bucket_totals, strict=True)), chart_id="chart-age",
                     title="在办办件按已用工作日", desc="；".join(
                         f"{label} {n} 件" for label, n in zip(BUCKET_LABELS, bucket_totals,
                                                                strict=True)))
    cards = [
        Card("按时办结率", str(Pct(tp.on_time_rate(totals))),
             f"办结 {dash.completed(totals)} 件，超期 {totals[tp.LATE]} 件",
             alert=bool(totals[tp.LATE])),
        Card("平均办理", f"{Num(tp.mean_working_days(totals))}", "个工作日（受理至办结）"),
        Card("中位办理", f"{Num(tp.median_working_days(totals))}", "个工作日"),
        Card("在办", str(sum(bucket_totals)), f"其中 21 个工作日以上 {bucket_totals[3]} 件"),
        Card("当前逾期", str(cur_total.overdue), "件", alert=bool(cur_total.overdue)),
        Card("临期", str(cur_total.at_risk),
             f"件 {current_app.config['AT_RISK_WORKING_DAYS']} 个工作日内到期"),
    ]
    return _page("supervisor/clock.html", [offices_table, age_table, svc_table], f,
                 cards=cards, chart=chart, where=_scope_name())


def _service_clock_row(f: Filters, service_id: int | None, c: Counter[str]) -> list[Any]:
    done = dash.completed(c)
    paused = c[tp.PAUSED_DAYS] / done if done else None
    name: Any = "合计" if service_id is None else Link(
        _name(_scope().services[service_id]),
        url_for("supervisor.dashboard", **f.args(service=service_id, group="office")))
    return [name, done, c[tp.ON_TIME], c[tp.LATE], Pct(tp.on_time_rate(c)),
            Num(tp.mean_working_days(c)), Num(tp.median_working_days(c)),
            c[tp.SUPPLEMENT_REQUESTS], Num(paused, 2)]


# ---- ratings and rectification ------------------------------------------------------------

STAGE_FLAGS = {"verify": "sv-stage-verify", "rectify": "sv-stage-rectify",
               "reply": "sv-stage-reply", "follow_up": "sv-stage-follow_up",
               "review": "sv-stage-review", "closed": "sv-stage-closed"}
SHOW = {"open": "未办结", "overdue": "已逾期", "all": "区间内全部"}


def _rating_cols(first: str) -> list[Col]:
    return ([Col(first)] + [Col(f"{dash.RATING_LABELS[s]}（{s}）", True) for s in (5, 4, 3, 2, 1)]
            + [Col("合计", True), Col("差评率")])


def _rating_row(c: Counter[str]) -> list[Any]:
    counts = dash.rating_counts(c)
    total = sum(counts.values())
    return [*counts.values(), total, Pct((counts[1] + counts[2]) / total if total else None)]


@bp.get("/ratings")
def ratings() -> Any:
    scope, f = _scope(), _filters()
    office_ids = _office_ids(f)
    sel = _selection(f, None if _all_offices(f) else office_ids)
    per_office = dash.by_office(sel, office_ids, metrics=tp.RATING_METRICS)
    per_service = dash.by_service(sel, list(scope.services))
    totals = dash.merge(per_office.get(i, Counter()) for i in office_ids)

    office_table = Table(key="ratings_office", title="各部门好差评", cols=_rating_cols("部门"),
                         empty="区间内没有评价")
    for office_id in office_ids:
        c = per_office.get(office_id)
        if c and sum(dash.rating_counts(c).values()):
            office_table.rows.append(_office_cell(f, office_id) + _rating_row(c))
    service_table = Table(key="ratings_service", title="各事项好差评", cols=_rating_cols("事项"),
                          empty="区间内没有评价")
    for service_id in sorted(scope.services, key=lambda i: scope.services[i].code):
        c = per_service.get(service_id)
        if c and sum(dash.rating_counts(c).values()):
            service_table.rows.append([_name(scope.services[service_id]), *_rating_row(c)])
    if office_table.rows:
        office_table.foot = ["合计", *_rating_row(totals)]
        service_table.foot = ["合计", *_rating_row(dash.merge(per_service.values()))]

    summary = dash.rectification_summary(office_ids, sel, f.today)
    show = request.args.get("show", "open")
    show = show if show in SHOW else "open"
    items = dash.rectifications(office_ids, sel, f.today, show=show)
    rect_table = Table(
        key="rectifications", title=f"差评整改（{SHOW[show]}）",
        cols=[Col("办件编号"), Col("部门"), Col("事项"), Col("评价"), Col("评价内容"),
              Col("差评日期", nowrap=True), Col("整改期限", nowrap=True), Col("阶段"), Col("是否逾期")],
        empty="没有符合条件的整改事项")
    for item in items:
        rect_table.rows.append([
            Link(item.tracking_number, url_for("supervisor.rectification_item", item_id=item.id,
                                               **f.args())),
            _name(scope.offices[item.office_id]), _name(scope.services[item.service_id]),
            f"{item.score} {dash.RATING_LABELS[item.score]}", item.comment,
            local_date(item.created_at), item.due_on,
            Flag(rectification.STAGE_LABELS[item.stage], STAGE_FLAGS[item.stage]),
            Flag("逾期", "due-overdue") if item.overdue else "否"])
    stage_table = Table(key="stages", title="区间内差评整改进度",
                        cols=[Col("阶段"), Col("事项数", True)],
                        rows=[[rectification.STAGE_LABELS[s], n]
                              for s, n in summary.by_stage.items()],
                        foot=["合计", summary.total])
    counts = dash.rating_counts(totals)
    rated = sum(counts.values())
    chart = hbar_svg([(f"{dash.RATING_LABELS[s]}（{s}）", counts[s]) for s in (5, 4, 3, 2, 1)],
                     chart_id="chart-ratings", title="评价分布",
                     desc="；".join(f"{dash.RATING_LABELS[s]} {counts[s]} 件"
                                   for s in (5, 4, 3, 2, 1)))
    cards = [
        Card("评价", str(rated), "件"),
        Card("差评", str(counts[1] + counts[2]), "不满意与非常不满意",
             alert=bool(counts[1] + counts[2])),
        Card("差评整改率", str(Pct(summary.rate)),
             f"已跟进 {summary.followed_up} / {summary.total} 件，目标 100%",
             alert=summary.rate is not None and summary.rate < 1),
        Card("整改逾期", str(summary.overdue_open), "件未办结且已过期限",
             url_for("supervisor.ratings", show="overdue", **f.args()),
             alert=bool(summary.overdue_open)),
    ]
    return _page("supervisor/ratings.html",
                 [office_table, service_table, stage_table, rect_table], f,
                 cards=cards, chart=chart, show=show, shows=SHOW, where=_scope_name())


def _item_or_404(item_id: int, f: Filters) -> dash.RectificationLine:
    item = dash.rectification(item_id, f.today)
    if item is None or item.office_id not in _scope().offices:
        abort(404)
    return item


@bp.route("/rectifications/<int:item_id>", methods=["GET", "POST"])
def rectification_item(item_id: int) -> Any:
    scope, f = _scope(), _filters()
    item = _item_or_404(item_id, f)
    error, note, status = None, "", 200
    if request.method == "POST":
        note = (request.form.get("note") or "")[:rectification.NOTE_MAX + 100]
        try:
            rectification.advance(item.id, _me(), note, wallclock.now(),
                                  expected_stage=request.form.get("stage") or None,
                                  ip=request.remote_addr)
        except rectification.RectificationNotFound:
            g.denial_audited = True  # the service recorded the refusal with the move
            abort(404)
        except rectification.StaleRectification as exc:
            error, status = exc.message, 409
            item = _item_or_404(item_id, f)
        except DomainError as exc:
            error, status = exc.message, 422
        else:
            moved = _item_or_404(item_id, f)
            flash(f"已记录，整改事项进入“{rectification.STAGE_LABELS[moved.stage]}”阶段", "success")
            return redirect(url_for("supervisor.rectification_item", item_id=item_id,
                                    **f.args()))
    return render_template(
        "supervisor/rectification.html", item=item, f=f, scope=scope, error=error, note=note,
        office=scope.offices[item.office_id], service=scope.services[item.service_id],
        labels=rectification.STAGE_LABELS, stage_flags=STAGE_FLAGS,
        next_stage=rectification.next_stage(item.stage), stages=rectification.NEXT_STAGE,
        rating_label=dash.RATING_LABELS[item.score], note_min=rectification.NOTE_MIN,
        note_max=rectification.NOTE_MAX), status


# ---- extensions -----------------------------------------------------------------------------


def _extensions_page(f: Filters, *, errors: dict[int, str] | None = None,
                     posted: dict[str, str] | None = None, status: int = 200) -> Any:
    scope = _scope()
    office_ids = _office_ids(f)
    pending = dash.pending_extensions(office_ids)
    table = Table(key="extensions", title="待审批的延期申请",
                  cols=[Col("办件编号"), Col("部门"), Col("事项"), Col("状态"),
                        Col("申请延长（工作日）", True), Col("申请理由"), Col("申请时间", nowrap=True),
                        Col("当前应办结日期", nowrap=True)],
                  empty="没有待审批的延期申请")
    from .. import local_time

    for r in pending:
        table.rows.append([r.tracking_number, _name(scope.offices[r.office_id]),
                           _name(scope.services[r.service_id]),
                           Flag(r.status.label_zh, f"badge-status status-{r.status.value}"),
                           r.days, r.reason, local_time(r.requested_at), r.due_on])
    return _page("supervisor/extensions.html", [table], f, pending=pending,
                 errors=errors or {}, posted=posted or {}, where=_scope_name()), status


@bp.get("/extensions")
def extensions() -> Any:
    return _extensions_page(_filters())


@bp.post("/extensions/<int:case_id>")
def decide_extension(case_id: int) -> Any:
    f = _filters()
    case = db.session.get(Case, case_id)
    if case is None or case.custody_office_id not in _scope().offices:
        abort(404)
    decision = request.form.get("decision")
    action = {"approve": Action.APPROVE_EXTENSION, "refuse": Action.REFUSE_EXTENSION}.get(
        decision or "")
    reason = " ".join((request.form.get("reason") or "").split())[:REASON_MAX]
    posted = {"case_id": str(case_id), "reason": reason}
    if action is None:
        return _extensions_page(f, errors={case_id: "请选择批准或驳回"}, posted=posted,
                                status=422)
    if len(reason) < 2:
        return _extensions_page(f, errors={case_id: "请填写理由（申请人可见）"}, posted=posted,
                                status=422)
    version = request.form.get("version", "")
    try:
        case_ops.act(case.id, action, _me(), wallclock.now(),
                     expected_version=int(version) if version.isdigit() else None,
                     reason=reason, ip=request.remote_addr)
    except case_ops.StaleCase:
        return _extensions_page(f, errors={case_id: "该办件已被他人更新，请查看最新情况后再审批"},
                                posted=posted, status=409)
    except DomainError as exc:
        return _extensions_page(f, errors={case_id: exc.message}, posted=posted, status=422)
    flash(f"{case.tracking_number}：已{action.label_zh}，理由已告知申请人", "success")
    return redirect(url_for("supervisor.extensions", **f.args()))


# ---- clerk workload -------------------------------------------------------------------------

MATRIX_DAYS = 14


def _workload_table(f: Filters, office_ids: list[int], *, key: str, title: str,
                    loads: list[dash.ClerkLoad] | None = None) -> Table:
    scope = _scope()
    if loads is None:
        loads = dash.workload(office_ids, _selection(f, office_ids),
                              dash.open_by_assignee(office_ids))
    table = Table(key=key, title=title,
                  cols=[Col("经办人员", nowrap=True), Col("姓名"), Col("部门"),
                        Col("在办（已分派）", True),
                        Col("区间内办结", True), Col("办结天数", True), Col("日均办结（按办结天数）"),
                        Col("单日最多", True)],
                  empty="没有经办人员")
    for load in loads:
        days = len(load.completions)
        table.rows.append([load.username, load.name,
                           _name(scope.offices[load.office_id]), load.open_cases, load.completed,
                           days, Num(load.completed / days if days else None),
                           max(load.completions.values(), default=0)])
    if loads:
        table.foot = ["合计", "", "", sum(x.open_cases for x in loads),
                      sum(x.completed for x in loads), "", "", ""]
    return table


@bp.get("/workload")
def workload() -> Any:
    scope, f = _scope(), _filters()
    office_ids = _office_ids(f)
    open_cases = dash.open_by_assignee(office_ids)
    loads = dash.workload(office_ids, _selection(f, office_ids), open_cases)
    summary = _workload_table(f, office_ids, key="workload", title="经办人员工作量", loads=loads)
    shown = [f.end - timedelta(days=i) for i in range(min(MATRIX_DAYS, f.days) - 1, -1, -1)]
    matrix = Table(key="daily_matrix", title=f"最近 {len(shown)} 天每人每日办结",
                   cols=[Col("经办人员", nowrap=True)]
                   + [Col(d.strftime("%m-%d"), True) for d in shown],
                   empty="没有经办人员")
    for load in loads:
        matrix.rows.append([load.username] + [load.completions.get(d, 0) for d in shown])
    daily = Table(key="daily", title="每人每日办结（明细）",
                  cols=[Col("经办人员", nowrap=True), Col("部门"), Col("日期", nowrap=True),
                        Col("办结", True)])
    for load in loads:
        for d in sorted(load.completions):
            daily.rows.append([load.username, _name(scope.offices[load.office_id]), d,
                               load.completions[d]])
    unassigned = dash.unassigned_open(open_cases)
    queue = Table(key="unassigned", title="各部门未分派的在办办件",
                  cols=[Col("部门"), Col("未分派", True)], empty="没有未分派的在办办件")
    for office_id in office_ids:
        if unassigned.get(office_id):
            queue.rows.append(_office_cell(f, office_id) + [unassigned[office_id]])
    return _page("supervisor/workload.html", [summary, matrix, daily, queue], f,
                 shown=shown, where=_scope_name())


# ---- open data ------------------------------------------------------------------------------


@bp.get("/open-data")
def open_data() -> Response:
    """The anonymised daily outcomes of the supervisor's scope as a SQLite file."""
    f = _filters()
    scope = _scope()
    office_ids = None if _all_offices(f) else _office_ids(f)
    with tempfile.TemporaryDirectory(prefix="tongban-open-data-") as folder:
        path = Path(folder) / "open-data.sqlite"
        opendata.export_open_data(path, start=f.start, end=f.end, office_ids=office_ids,
                                  scope_name=_scope_name()
                                  + (f" · {_name(scope.departments[f.dept])}" if f.dept else ""))
        body = path.read_bytes()
    code = scope.region_code or "all"
    name = f"通办开放数据-{_scope_name()}-{f.start.isoformat()}至{f.end.isoformat()}.sqlite"
    response = Response(body, mimetype="application/vnd.sqlite3")
    response.headers["Content-Disposition"] = content_disposition(
        name, f"tongban-open-data-{code}-{f.start.isoformat()}-{f.end.isoformat()}.sqlite")
    return response
