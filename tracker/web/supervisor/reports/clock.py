"""The legal clock: open work by office and age, how long each service took, the headline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ....domain import throughput as tp
from ....services import dashboard as dash
from ...formats import number
from ..charts import hbar_svg
from ..tables import Col, Link, Num, Pct, Table, list_separator
from .common import Card, Links, by_code, name, office_cell

BUCKET_LABELS = (
    _l("0–5 个工作日"),
    _l("6–10 个工作日"),
    _l("11–20 个工作日"),
    _l("21 个工作日以上"),
)


def bucket_labels() -> list[str]:
    return [str(label) for label in BUCKET_LABELS]


def offices_table(
    scope: dash.Scope,
    links: Links,
    office_ids: list[int],
    ages: Mapping[int, list[int]],
    cur: Mapping[int, dash.Current],
) -> tuple[Table, list[int]]:
    """Open, overdue and at risk per office; returns the table and the open cases per age
    bucket over the listed offices."""
    table = Table(
        key="offices",
        title=_("各部门在办、逾期与临期"),
        cols=[Col(_("部门")), Col(_("在办"), True)]
        + [Col(b, True) for b in bucket_labels()]
        + [Col(_("当前逾期"), True), Col(_("当前临期"), True)],
        empty=_("范围内没有在办办件"),
    )
    totals = [0, 0, 0, 0]
    for office_id in office_ids:
        a = ages.get(office_id, [0, 0, 0, 0])
        cu = cur.get(office_id, dash.Current())
        if sum(a) or cu.overdue or cu.at_risk:
            table.rows.append(
                office_cell(scope, links, office_id) + [sum(a), *a, cu.overdue, cu.at_risk]
            )
            totals = [x + y for x, y in zip(totals, a, strict=True)]
    cur_total = dash.sum_current(cur.get(i, dash.Current()) for i in office_ids)
    if table.rows:
        table.foot = [_("合计"), sum(totals), *totals, cur_total.overdue, cur_total.at_risk]
    return table, totals


def _service_row(
    scope: dash.Scope, links: Links, service_id: int | None, c: Counter[str]
) -> list[object]:
    first: object = (
        _("合计")
        if service_id is None
        else Link(name(scope.services[service_id]), links.service(service_id))
    )
    return [
        first,
        dash.completed(c),
        c[tp.ON_TIME],
        c[tp.LATE],
        Pct(tp.on_time_rate(c)),
        Num(tp.mean_working_days(c)),
        Num(tp.median_working_days(c)),
        c[tp.SUPPLEMENT_REQUESTS],
        Num(dash.paused_days_per_completion(c), 2),
    ]


def services_table(
    scope: dash.Scope, links: Links, per_service: Mapping[int, Counter[str]]
) -> Table:
    table = Table(
        key="services",
        title=_("各事项办理时长"),
        cols=[
            Col(_("事项")),
            Col(_("办结"), True),
            Col(_("按时办结"), True),
            Col(_("超期办结"), True),
            Col(_("按时办结率")),
            Col(_("平均工作日"), True),
            Col(_("中位工作日"), True),
            Col(_("补正次数"), True),
            Col(_("补正暂停日/件"), True),
        ],
        empty=_("区间内没有办结的办件"),
    )
    for service_id in by_code(scope):
        c = per_service.get(service_id)
        if c and (dash.completed(c) or c[tp.SUPPLEMENT_REQUESTS]):
            table.rows.append(_service_row(scope, links, service_id, c))
    if table.rows:
        table.foot = _service_row(scope, links, None, dash.merge(per_service.values()))
    return table


def age_table(totals: list[int]) -> Table:
    return Table(
        key="backlog",
        title=_("在办办件按已用工作日"),
        cols=[Col(_("已用工作日（自收件）")), Col(_("在办"), True)],
        rows=[[label, n] for label, n in zip(bucket_labels(), totals, strict=True)],
        foot=[_("合计"), sum(totals)],
    )


def age_chart(totals: list[int]) -> Markup:
    pairs = list(zip(bucket_labels(), totals, strict=True))
    return hbar_svg(
        pairs,
        chart_id="chart-age",
        title=_("在办办件按已用工作日"),
        desc=list_separator().join(_("%(label)s %(n)s 件", label=label, n=n) for label, n in pairs),
    )


def cards(
    totals: Counter[str], ages: list[int], cur: dash.Current, days_at_risk: int
) -> list[Card]:
    return [
        Card(
            _("按时办结率"),
            str(Pct(tp.on_time_rate(totals))),
            _(
                "办结 %(done)s 件，超期 %(late)s 件",
                done=dash.completed(totals),
                late=totals[tp.LATE],
            ),
            alert=bool(totals[tp.LATE]),
        ),
        Card(_("平均办理"), f"{Num(tp.mean_working_days(totals))}", _("个工作日（受理至办结）")),
        Card(_("中位办理"), f"{Num(tp.median_working_days(totals))}", _("个工作日")),
        Card(_("在办"), number(sum(ages)), _("其中 21 个工作日以上 %(n)s 件", n=ages[3])),
        Card(_("当前逾期"), number(cur.overdue), _("件"), alert=bool(cur.overdue)),
        Card(_("临期"), number(cur.at_risk), _("件 %(n)s 个工作日内到期", n=days_at_risk)),
    ]
