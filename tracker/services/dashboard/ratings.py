"""Ratings and the rectification of bad ones: counts per score, the rectification summary,
and the items themselves (free text redacted)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ...domain import throughput as tp
from ...domain.rectification import FIRST_STAGE, OPEN_STAGES, STAGE_ORDER, RectificationStage
from ...extensions import db
from ...models import Case, Rating, Rectification, User
from ._sql import redact
from .grain import Selection

FOLLOWED_UP = tuple(s.value for s in STAGE_ORDER if s is not FIRST_STAGE)


@dataclass(frozen=True)
class RectificationSummary:
    total: int  # bad ratings (1 or 2) in the range: each opened one item
    followed_up: int  # items moved past verification (or closed)
    by_stage: dict[str, int]
    overdue_open: int  # opened in the range, not closed, past the deadline today

    @property
    def rate(self) -> float | None:
        return tp.rectification_rate(self.total, self.followed_up)


def rectification_summary(
    office_ids: Collection[int], sel: Selection, today: date
) -> RectificationSummary:
    """Two queries: the items opened in the range by stage; those of them still open past
    their deadline (the period only, like every other figure beside it)."""
    lo, hi = sel.utc_bounds
    ids = list(office_ids)
    by_stage = {s.value: 0 for s in STAGE_ORDER}
    for stage, n in db.session.execute(
        sa.select(Rectification.stage, sa.func.count(Rectification.id))
        .where(
            Rectification.office_id.in_(ids),
            Rectification.created_at >= lo,
            Rectification.created_at < hi,
        )
        .group_by(Rectification.stage)
    ):
        by_stage[stage] = int(n)
    overdue = (
        db.session.scalar(
            sa.select(sa.func.count(Rectification.id)).where(
                Rectification.office_id.in_(ids),
                Rectification.created_at >= lo,
                Rectification.created_at < hi,
                Rectification.stage.in_(sorted(s.value for s in OPEN_STAGES)),
                Rectification.due_on < today,
            )
        )
        or 0
    )
    return RectificationSummary(
        total=sum(by_stage.values()),
        followed_up=sum(by_stage[s] for s in FOLLOWED_UP),
        by_stage=by_stage,
        overdue_open=int(overdue),
    )


@dataclass(frozen=True)
class RectificationLine:
    id: int
    tracking_number: str
    office_id: int
    service_id: int
    score: int
    comment: str
    stage: str
    due_on: date | None
    created_at: datetime
    closed_at: datetime | None
    overdue: bool
    history: tuple[dict[str, Any], ...]


def _rect_stmt() -> Any:
    return (
        sa.select(
            Rectification,
            Case.tracking_number,
            Case.service_id,
            Rating.score,
            Rating.comment,
            User.real_name,
        )
        .join(Case, Case.id == Rectification.case_id)
        .join(Rating, Rating.id == Rectification.rating_id)
        .join(User, User.id == Case.applicant_id)
    )


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _rect_line(row: Any, today: date) -> RectificationLine:
    item: Rectification = row[0]
    name = row.real_name
    history = tuple(
        {**h, "note": redact(h.get("note"), [name]), "at": _moment(h.get("at"))}
        for h in (item.history or [])
    )
    return RectificationLine(
        id=item.id,
        tracking_number=row.tracking_number,
        office_id=item.office_id,
        service_id=row.service_id,
        score=row.score,
        comment=redact(row.comment, [name]),
        stage=item.stage,
        due_on=item.due_on,
        created_at=item.created_at,
        closed_at=item.closed_at,
        overdue=item.stage != RectificationStage.CLOSED
        and item.due_on is not None
        and item.due_on < today,
        history=history,
    )


def rectifications(
    office_ids: Collection[int],
    sel: Selection,
    today: date,
    *,
    show: str = "open",
    limit: int = 200,
) -> list[RectificationLine]:
    """``show``: "open" (every unfinished item, by deadline), "overdue" (unfinished and past
    deadline), "all" (everything opened in the range, newest first)."""
    r = Rectification
    pick = sa.select(r.id).where(r.office_id.in_(sorted(office_ids)))
    if show == "all":
        lo, hi = sel.utc_bounds
        pick = pick.where(r.created_at >= lo, r.created_at < hi)
        order: tuple[Any, ...] = (r.created_at.desc(), r.id.desc())
    else:
        pick = pick.where(r.stage != RectificationStage.CLOSED)
        if show == "overdue":
            pick = pick.where(r.due_on < today)
        order = (r.due_on.is_(None), r.due_on, r.id)
    # The page's items first, from the rectifications' indexes alone; then their cases,
    # ratings and applicants (joined for every open item before the limit, this took 90 ms
    # at 1M cases).
    chosen = pick.order_by(*order).limit(limit).subquery()
    stmt = _rect_stmt().join(chosen, chosen.c.id == r.id).order_by(*order)
    return [_rect_line(row, today) for row in db.session.execute(stmt)]


def rectification(item_id: int, today: date) -> RectificationLine | None:
    row = db.session.execute(_rect_stmt().where(Rectification.id == item_id)).first()
    return None if row is None else _rect_line(row, today)
