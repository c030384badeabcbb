"""Ratings and the rectification of bad ones: counts per office and service, the items, their
stages, the headline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from flask_babel import gettext as _
from markupsafe import Markup

from ....services import dashboard as dash
from ....services.calendar import local_date
from ... import stage_label
from ...formats import number
from ..charts import hbar_svg
from ..forms import SHOW
from ..tables import Col, Flag, Link, Pct, Table, list_separator
from .common import STAGE_FLAGS, Card, Links, by_code, name, office_cell, rating_label


def _cols(first: str) -> list[Col]:
    return (
        [Col(first)]
        + [
            Col(_("%(label)s（%(score)s）", label=rating_label(s), score=s), True)
            for s in dash.SCORES
        ]
        + [Col(_("合计"), True), Col(_("差评率"))]
    )


def _row(c: Mapping[str, int]) -> list[object]:
    counts = dash.rating_counts(c)
    return [*counts.values(), sum(counts.values()), Pct(dash.bad_rate(counts))]


def _rated(c: Mapping[str, int] | None) -> bool:
    return bool(c) and sum(dash.rating_counts(c or {}).values()) > 0


def count_tables(
    scope: dash.Scope,
    links: Links,
    office_ids: list[int],
    per_office: Mapping[int, Counter[str]],
    per_service: Mapping[int, Counter[str]],
) -> tuple[Table, Table]:
    office_table = Table(
        key="ratings_office",
        title=_("各部门好差评"),
        cols=_cols(_("部门")),
        empty=_("区间内没有评价"),
    )
    for office_id in office_ids:
        c = per_office.get(office_id)
        if c is not None and _rated(c):
            office_table.rows.append(office_cell(scope, links, office_id) + _row(c))
    service_table = Table(
        key="ratings_service",
        title=_("各事项好差评"),
        cols=_cols(_("事项")),
        empty=_("区间内没有评价"),
    )
    for service_id in by_code(scope):
        c = per_service.get(service_id)
        if c is not None and _rated(c):
            service_table.rows.append([name(scope.services[service_id]), *_row(c)])
    if office_table.rows:
        totals = dash.merge(per_office.get(i, Counter()) for i in office_ids)
        office_table.foot = [_("合计"), *_row(totals)]
        service_table.foot = [_("合计"), *_row(dash.merge(per_service.values()))]
    return office_table, service_table


def stage_flag(stage: str) -> Flag:
    return Flag(stage_label(stage), STAGE_FLAGS[stage])


def items_table(
    scope: dash.Scope, links: Links, show: str, items: list[dash.RectificationLine]
) -> Table:
    table = Table(
        key="rectifications",
        title=_("差评整改（%(show)s）", show=SHOW[show]),
        cols=[
            Col(_("办件编号")),
            Col(_("部门")),
            Col(_("事项")),
            Col(_("评价")),
            Col(_("评价内容")),
            Col(_("差评日期"), nowrap=True),
            Col(_("整改期限"), nowrap=True),
            Col(_("阶段")),
            Col(_("是否逾期")),
        ],
        empty=_("没有符合条件的整改事项"),
    )
    for item in items:
        table.rows.append(
            [
                Link(item.tracking_number, links.rectification(item.id)),
                name(scope.offices[item.office_id]),
                name(scope.services[item.service_id]),
                f"{item.score} {rating_label(item.score)}",
                item.comment,
                local_date(item.created_at),
                item.due_on,
                stage_flag(item.stage),
                Flag(_("逾期"), "due-overdue") if item.overdue else _("否"),
            ]
        )
    return table


def stage_table(summary: dash.RectificationSummary) -> Table:
    return Table(
        key="stages",
        title=_("区间内差评整改进度"),
        cols=[Col(_("阶段")), Col(_("事项数"), True)],
        rows=[[stage_label(s), n] for s, n in summary.by_stage.items()],
        foot=[_("合计"), summary.total],
    )


def chart(totals: Mapping[str, int]) -> Markup:
    counts = dash.rating_counts(totals)
    return hbar_svg(
        [
            (_("%(label)s（%(score)s）", label=rating_label(s), score=s), counts[s])
            for s in dash.SCORES
        ],
        chart_id="chart-ratings",
        title=_("评价分布"),
        desc=list_separator().join(
            _("%(label)s %(n)s 件", label=rating_label(s), n=counts[s]) for s in dash.SCORES
        ),
    )


def cards(
    totals: Mapping[str, int], summary: dash.RectificationSummary, links: Links
) -> list[Card]:
    counts = dash.rating_counts(totals)
    bad = dash.bad_ratings(counts)
    return [
        Card(_("评价"), number(sum(counts.values())), _("件")),
        Card(_("差评"), number(bad), _("不满意与非常不满意"), alert=bool(bad)),
        Card(
            _("差评整改率"),
            str(Pct(summary.rate)),
            _(
                "已跟进 %(done)s / %(total)s 件，目标 100%%",
                done=summary.followed_up,
                total=summary.total,
            ),
            alert=summary.rate is not None and summary.rate < 1,
        ),
        Card(
            _("整改逾期"),
            number(summary.overdue_open),
            _("件未办结且已过期限"),
            links.ratings(show="overdue"),
            alert=bool(summary.overdue_open),
        ),
    ]
