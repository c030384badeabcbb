"""Clerk workload: per clerk, per clerk and day, and the open cases nobody has claimed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _

from ....services import dashboard as dash
from ... import day
from ...formats import MONTH_DAY
from ..tables import Col, Num, Table
from .common import Links, name, office_cell


def _with_work(loads: list[dash.ClerkLoad]) -> tuple[list[dash.ClerkLoad], str]:
    """The clerks with something open now or completed in the range, and a note counting the
    others (an office's every clerk is in the scope: hundreds of idle rows otherwise)."""
    listed = [x for x in loads if x.open_cases or x.completed]
    idle = len(loads) - len(listed)
    note = (
        _("另有 %(n)s 名经办人员此刻没有在办、区间内也没有办结，未列出。", n=idle) if idle else ""
    )
    return listed, note


def clerks_table(scope: dash.Scope, loads: list[dash.ClerkLoad], *, key: str, title: str) -> Table:
    table = Table(
        key=key,
        title=title,
        cols=[
            Col(_("经办人员"), nowrap=True),
            Col(_("姓名")),
            Col(_("部门")),
            Col(_("在办（已分派）"), True),
            Col(_("区间内办结"), True),
            Col(_("办结天数"), True),
            Col(_("日均办结（按办结天数）")),
            Col(_("单日最多"), True),
        ],
        empty=_("没有经办人员"),
    )
    listed, table.note = _with_work(loads)
    for load in listed:
        days = len(load.completions)
        table.rows.append(
            [
                load.username,
                load.name,
                name(scope.offices[load.office_id]),
                load.open_cases,
                load.completed,
                days,
                Num(load.completed / days if days else None),
                max(load.completions.values(), default=0),
            ]
        )
    if listed:
        table.foot = [
            _("合计"),
            "",
            "",
            sum(x.open_cases for x in listed),
            sum(x.completed for x in listed),
            "",
            "",
            "",
        ]
    return table


def matrix_table(loads: list[dash.ClerkLoad], shown: list[date]) -> Table:
    table = Table(
        key="daily_matrix",
        title=_("最近 %(n)s 天每人每日办结", n=len(shown)),
        # The username may break at its hyphen (clerk.510100-traffic): the days keep the width.
        cols=[Col(_("经办人员"))] + [Col(day(d, MONTH_DAY), True) for d in shown],
        empty=_("没有经办人员"),
    )
    listed, table.note = _with_work(loads)
    for load in listed:
        table.rows.append([load.username] + [load.completions.get(d, 0) for d in shown])
    return table


def daily_table(scope: dash.Scope, loads: list[dash.ClerkLoad]) -> Table:
    table = Table(
        key="daily",
        title=_("每人每日办结（明细）"),
        cols=[
            Col(_("经办人员"), nowrap=True),
            Col(_("部门")),
            Col(_("日期"), nowrap=True),
            Col(_("办结"), True),
        ],
    )
    for load in loads:
        for d in sorted(load.completions):
            table.rows.append(
                [load.username, name(scope.offices[load.office_id]), d, load.completions[d]]
            )
    return table


def unassigned_table(
    scope: dash.Scope, links: Links, office_ids: list[int], unassigned: Mapping[int, int]
) -> Table:
    table = Table(
        key="unassigned",
        title=_("各部门未分派的在办办件"),
        cols=[Col(_("部门")), Col(_("未分派"), True)],
        empty=_("没有未分派的在办办件"),
    )
    for office_id in office_ids:
        if unassigned.get(office_id):
            table.rows.append(office_cell(scope, links, office_id) + [unassigned[office_id]])
    return table
