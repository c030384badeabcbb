"""One office's page: its services, its cases overdue now and completed late, each with the
reasons that explain the time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from flask import url_for
from flask_babel import gettext as _

from ....domain import throughput as tp
from ....domain.states import CaseStatus
from ....services import dashboard as dash
from ....services.calendar import local_date
from ... import action_label, lateness_label, loc, local_time
from ...formats import MONTH_DAY
from ..tables import Col, Flag, Lines, Link, Num, Pct, Table
from .common import Links, by_code, name

LIST_LIMIT = 100


def services_table(
    scope: dash.Scope,
    links: Links,
    office_id: int,
    per_service: Mapping[int, Counter[str]],
    now: Mapping[tuple[int, int], dash.Current],
) -> Table:
    office = scope.offices[office_id]
    table = Table(
        key="services",
        title=_("%(office)s分事项办件情况", office=name(office)),
        cols=[
            Col(_("事项")),
            Col(_("收件"), True),
            Col(_("受理"), True),
            Col(_("办结"), True),
            Col(_("超期办结"), True),
            Col(_("按时办结率")),
            Col(_("平均工作日"), True),
            Col(_("中位工作日"), True),
            Col(_("当前逾期"), True),
            Col(_("当前临期"), True),
        ],
    )
    cur_by_service = dash.current_by(now, "service")
    for service_id in by_code(scope):
        c = per_service.get(service_id, Counter())
        cu = cur_by_service.get(service_id, dash.Current())
        if dash.active(c, cu):
            table.rows.append(
                [
                    Link(
                        name(scope.services[service_id]),
                        links.office_service(office_id, service_id),
                    ),
                    c[tp.RECEIVED],
                    c[tp.ACCEPTED],
                    dash.completed(c),
                    c[tp.LATE],
                    Pct(tp.on_time_rate(c)),
                    Num(tp.mean_working_days(c)),
                    Num(tp.median_working_days(c)),
                    cu.overdue,
                    cu.at_risk,
                ]
            )
    return table


def trail_lines(scope: dash.Scope, entries: tuple[dash.TrailEntry, ...]) -> Lines:
    out = []
    for e in entries:
        office = scope.all_offices.get(e.office_id) if e.office_id else None
        who = _("〔%(office)s〕", office=name(office)) if office else _("〔申请人或系统〕")
        line = f"{local_time(e.at, MONTH_DAY)} {who}{action_label(e.action)}"
        out.append(_("%(line)s：%(reason)s", line=line, reason=e.reason) if e.reason else line)
    return Lines(tuple(out))


def case_link(tracking_number: str) -> Link:
    """The tracking number, opening the case read-only (/supervisor/cases/<number>)."""
    return Link(tracking_number, url_for("supervisor.case", tracking_number=tracking_number))


def lateness_lines(line: dash.CaseLine) -> Lines:
    """Why the office decided late: the reason's words and the clerk's note."""
    if not line.lateness_code:
        return Lines(())
    words = lateness_label(line.lateness_code)
    return Lines((words, line.lateness_note) if line.lateness_note else (words,))


def status_flag(status: CaseStatus) -> Flag:
    return Flag(loc(status, "label"), f"badge-status status-{status.value}")


def overdue_table(
    scope: dash.Scope, office_id: int, lines: list[dash.CaseLine], total: int
) -> Table:
    table = Table(
        key="overdue",
        title=_("%(office)s当前逾期办件", office=name(scope.offices[office_id])),
        cols=[
            Col(_("办件编号"), nowrap=True),
            Col(_("事项")),
            Col(_("状态")),
            Col(_("应办日期"), nowrap=True),
            Col(_("逾期工作日"), True),
            Col(_("原因记录（补正、特别程序、延期等）")),
        ],
        empty=_("当前没有逾期办件"),
        note=(
            _("按逾期时间排序，列出前 %(limit)s 件（共 %(n)s 件）。", limit=LIST_LIMIT, n=total)
            if total > LIST_LIMIT
            else ""
        ),
    )
    for line in lines:
        table.rows.append(
            [
                case_link(line.tracking_number),
                name(scope.services[line.service_id]),
                status_flag(line.status),
                line.act_by,
                line.days,
                trail_lines(scope, line.trail),
            ]
        )
    return table


def late_table(scope: dash.Scope, office_id: int, lines: list[dash.CaseLine], total: int) -> Table:
    table = Table(
        key="late",
        title=_("%(office)s区间内超期办结办件", office=name(scope.offices[office_id])),
        cols=[
            Col(_("办件编号"), nowrap=True),
            Col(_("事项")),
            Col(_("结果")),
            Col(_("应办结日期"), nowrap=True),
            Col(_("办结日期"), nowrap=True),
            Col(_("超期工作日"), True),
            Col(_("逾期原因")),
            Col(_("原因记录（补正、特别程序、延期等）")),
        ],
        empty=_("区间内没有超期办结的办件"),
        note=(
            _("按办结时间倒序，列出前 %(limit)s 件（共 %(n)s 件）。", limit=LIST_LIMIT, n=total)
            if total > LIST_LIMIT
            else ""
        ),
    )
    for line in lines:
        table.rows.append(
            [
                case_link(line.tracking_number),
                name(scope.services[line.service_id]),
                status_flag(line.status),
                line.due_on,
                local_date(line.completed_at) if line.completed_at else None,
                line.days,
                lateness_lines(line),
                trail_lines(scope, line.trail),
            ]
        )
    return table
