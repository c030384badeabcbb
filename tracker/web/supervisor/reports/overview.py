"""The dashboard, a region's page and the top of an office's page: headline cards, the
throughput chart with its table, and the breakdown by region, office or service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from ....domain import throughput as tp
from ....services import dashboard as dash
from ....services.dashboard.breakdown import Part
from ... import day
from ...formats import MONTH_DAY, number
from ..charts import Bucket, throughput_svg
from ..forms import Filters
from ..tables import Col, Link, Pct, Period, Table
from .common import Card, Links, figure_cols, figures, name

WEEKLY_AFTER = 92  # days: a longer range is drawn by week


def headline(
    c: Counter[str],
    cur: dash.Current,
    rect: dash.RectificationSummary | None,
    links: Links,
    days_at_risk: int,
) -> list[Card]:
    cards = [
        Card(_("收件"), number(c[tp.RECEIVED]), _("件")),
        Card(_("受理"), number(c[tp.ACCEPTED]), _("不予受理 %(n)s 件", n=c[tp.NOT_ACCEPTED])),
        Card(
            _("办结"),
            number(dash.completed(c)),
            _(
                "通过 %(approved)s · 容缺 %(tolerated)s · 不通过 %(refused)s",
                approved=c[tp.APPROVED],
                tolerated=c[tp.APPROVED_TOLERATED],
                refused=c[tp.REFUSED],
            ),
        ),
        Card(
            _("按时办结率"),
            str(Pct(tp.on_time_rate(c))),
            _("超期办结 %(n)s 件", n=c[tp.LATE]),
            alert=bool(c[tp.LATE]),
        ),
        Card(
            _("当前逾期"),
            number(cur.overdue),
            _("件在办已过应办日期"),
            links.clock,
            alert=bool(cur.overdue),
        ),
        Card(
            _("临期"),
            number(cur.at_risk),
            _("件 %(n)s 个工作日内到期", n=days_at_risk),
            links.clock,
        ),
    ]
    if rect is not None:
        note = _("差评 %(total)s 件，已跟进 %(done)s 件", total=rect.total, done=rect.followed_up)
        if rect.overdue_open:
            note += _("；逾期 %(n)s 件", n=rect.overdue_open)
        cards.append(
            Card(
                _("差评整改率"),
                str(Pct(rect.rate)),
                note,
                links.ratings(),
                alert=bool(rect.overdue_open) or (rect.rate or 1) < 1,
            )
        )
    return cards


def buckets(f: Filters, days: Mapping[date, Counter[str]]) -> list[tuple[date, date, Counter[str]]]:
    """Days, or weeks (from Monday) when the range is long."""
    if f.days <= WEEKLY_AFTER:
        return [
            (d, d, days.get(d, Counter()))
            for d in (f.start + timedelta(days=i) for i in range(f.days))
        ]
    out: list[tuple[date, date, Counter[str]]] = []
    d = f.start
    while d <= f.end:
        week_end = min(d + timedelta(days=6 - d.weekday()), f.end)
        total = dash.merge(
            days.get(d + timedelta(days=i), Counter()) for i in range((week_end - d).days + 1)
        )
        out.append((d, week_end, total))
        d = week_end + timedelta(days=1)
    return out


def _day_row(c: Counter[str]) -> list[Any]:
    return [
        c[tp.RECEIVED],
        c[tp.ACCEPTED],
        c[tp.NOT_ACCEPTED],
        dash.completed(c),
        c[tp.LATE],
        c[tp.WITHDRAWN],
    ]


def throughput(
    f: Filters, days: Mapping[date, Counter[str]], key: str, where: str
) -> tuple[Markup, Table]:
    """The daily (or weekly) chart and its table."""
    rows = buckets(f, days)
    weekly = f.days > WEEKLY_AFTER
    table = Table(
        key=key,
        title=(
            _("%(where)s每周办件量", where=where)
            if weekly
            else _("%(where)s每日办件量", where=where)
        ),
        cols=[
            Col(_("周（起）") if weekly else _("日期"), nowrap=True),
            Col(_("收件"), True),
            Col(_("受理"), True),
            Col(_("不予受理"), True),
            Col(_("办结"), True),
            Col(_("其中超期"), True),
            Col(_("撤件/撤回"), True),
        ],
    )
    for a, b, c in rows:
        label = a if a == b else Period(a, b)  # on the page in its language, ISO in the CSV
        table.rows.append([label, *_day_row(c)])
    total = dash.merge(c for _a, _b, c in rows)
    table.foot = [_("合计"), *_day_row(total)]
    chart = throughput_svg(
        [
            Bucket(
                day(a, MONTH_DAY),
                day(a) if a == b else _("%(day)s 起一周", day=day(a)),
                c[tp.RECEIVED],
                dash.completed(c),
            )
            for a, b, c in rows
        ],
        chart_id=f"chart-{key}",
        title=(
            _("%(where)s每周收件与办结", where=where)
            if weekly
            else _("%(where)s每日收件与办结", where=where)
        ),
        desc=_(
            "%(start)s 至 %(end)s：收件 %(received)s 件，办结 %(completed)s 件。"
            "实心柱为收件，斜线柱为办结；数据见旁边的表格。",
            start=day(f.start),
            end=day(f.end),
            received=number(total[tp.RECEIVED]),
            completed=number(dash.completed(total)),
        ),
        received_label=_("收件"),
        completed_label=_("办结"),
    )
    return chart, table


def _part_cell(scope: dash.Scope, links: Links, part: Part) -> Link:
    if part.kind == "region":
        code = str(part.key)
        return Link(name(scope.regions[code]), links.region(code))
    if part.kind == "service":
        service_id = int(part.key)
        return Link(name(scope.services[service_id]), links.service(service_id))
    office_id = int(part.key)
    return Link(name(scope.offices[office_id]), links.office(office_id))


def breakdown(
    scope: dash.Scope,
    links: Links,
    group: str,
    parts: list[Part],
    now: Mapping[tuple[int, int], dash.Current],
    office_ids: list[int],
) -> Table:
    """One row per part that is active (figures in the range, or due now); regions with
    nothing are counted in a note instead."""
    first, title = {
        "region": (_("地区"), _("分地区办件情况")),
        "office": (_("部门"), _("分部门办件情况")),
        "service": (_("事项"), _("分事项办件情况")),
    }[group]
    table = Table(
        key=f"by_{group}",
        title=title,
        cols=figure_cols(first),
        empty=_("区间内没有办件，也没有在办的逾期或临期办件"),
    )
    per_office = dash.current_by(now, "office")
    per_service = dash.current_by(now, "service")
    hidden = 0
    for part in parts:
        if part.kind == "service":
            cur = per_service.get(int(part.key), dash.Current())
        else:
            cur = dash.sum_current(per_office.get(i, dash.Current()) for i in part.office_ids)
        if dash.active(part.counts, cur):
            table.rows.append([_part_cell(scope, links, part), *figures(part.counts, cur)])
        elif part.kind == "region":
            hidden += 1
    if hidden:
        table.note = _("另有 %(n)s 个地区区间内没有办件，未列出。", n=hidden)
    total_cur = (
        dash.sum_current(per_service.values())
        if group == "service"
        else dash.sum_current(per_office.get(i, dash.Current()) for i in office_ids)
    )
    if table.rows:
        table.foot = [_("合计"), *figures(dash.merge(p.counts for p in parts), total_cur)]
    return table
