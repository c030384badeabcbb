"""What every report builder shares: the headline card, the links a report may draw (given by
the view, so a builder needs no request), the names of catalogue entries, and the labels of the
throughput columns. Builders are pure: data in (counters, lines, the scope), view models out
(:class:`~tracker.web.supervisor.tables.Table`, :class:`Card`, charts); every label is
translated through gettext at the time the builder runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ....domain import throughput as tp
from ....domain.rectification import RectificationStage
from ....services import dashboard as dash
from ... import loc, score_label
from ..tables import Col, Link, Pct

# Each as one string, so that the catalogue holds the words (the columns of a figures table).
FIGURE_COLS = (
    _l("收件"),
    _l("受理"),
    _l("不予受理"),
    _l("办结"),
    _l("撤件/撤回"),
    _l("按时办结"),
    _l("超期办结"),
)
STAGE_FLAGS = {stage.value: f"sv-stage-{stage.value}" for stage in RectificationStage}


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""
    href: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class Links:
    """Where a report's cells and cards link to; the view builds these from ``url_for`` with
    the page's filters kept."""

    region: Callable[[str], str]  # a region's page
    office: Callable[[int], str]  # an office's page
    service: Callable[[int], str]  # the dashboard for one service, by office
    office_service: Callable[[int, int], str]  # an office's page for one service
    clock: str
    ratings: Callable[..., str]  # ratings(show=...)
    rectification: Callable[[int], str]  # one rectification item


def name(obj: Any) -> str:
    """A catalogue entry's name in the interface language."""
    return loc(obj, "name")


def scope_name(scope: dash.Scope) -> str:
    region = scope.region
    return name(region) if region else _("全部地区")


def by_code(scope: dash.Scope) -> list[int]:
    """The scope's service ids in catalogue order."""
    return sorted(scope.services, key=lambda i: scope.services[i].code)


def office_cell(scope: dash.Scope, links: Links, office_id: int) -> list[Any]:
    return [Link(name(scope.offices[office_id]), links.office(office_id))]


def figure_cols(first: str) -> list[Col]:
    return (
        [Col(first)]
        + [Col(str(c), num=True) for c in FIGURE_COLS]
        + [Col(_("按时办结率")), Col(_("当前逾期"), num=True), Col(_("当前临期"), num=True)]
    )


def figures(c: Mapping[str, int], cur: dash.Current) -> list[Any]:
    return [
        c.get(tp.RECEIVED, 0),
        c.get(tp.ACCEPTED, 0),
        c.get(tp.NOT_ACCEPTED, 0),
        dash.completed(c),
        c.get(tp.WITHDRAWN, 0),
        c.get(tp.ON_TIME, 0),
        c.get(tp.LATE, 0),
        Pct(tp.on_time_rate(c)),
        cur.overdue,
        cur.at_risk,
    ]


def rating_label(score: int) -> str:
    """A score's name (非常满意 … 非常不满意) in the page's language (tracker/domain/ratings)."""
    return score_label(score)
