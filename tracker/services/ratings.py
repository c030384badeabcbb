"""好差评: the applicant rates a completed case once; a bad rating opens a rectification item.

The scale, what counts as bad (``domain.ratings.is_bad``) and the rectification's first stage
and deadline (``domain.rectification``) are the domain's; this loads, checks, writes the
rating with its event and counters, and commits once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..database import write_transaction
from ..domain import rectification
from ..domain.errors import DomainError, UnknownCalendarYear
from ..domain.ratings import is_bad, is_valid_score
from ..domain.states import is_completed
from ..domain.text import N_
from ..domain.workflow import Action
from ..models import Rating, Rectification, User
from .calendar import get_calendar, local_date
from .case_store import CaseNotFound, load_for_update, record_event, write_case


def rate(
    case_id: int,
    applicant: User,
    score: int,
    comment: str,
    now: datetime,
    *,
    rectification_days: int = rectification.DEADLINE_WORKING_DAYS,
) -> Rating:
    """好差评 after completion, once per case; 1 or 2 opens a rectification item."""
    with write_transaction() as session:
        case = load_for_update(session, case_id)
        if case.applicant_id != applicant.id:
            raise CaseNotFound(N_("办件不存在"))
        if not is_completed(case.status):
            raise DomainError(N_("办结后才能评价"), code="not_completed")
        if not is_valid_score(int(score)):
            raise DomainError(N_("评价须为1至5分"), code="score_range")
        if session.scalar(sa.select(Rating.id).where(Rating.case_id == case.id)) is not None:
            raise DomainError(N_("该办件已评价"), code="already_rated")
        rating = Rating(
            case_id=case.id,
            applicant_id=applicant.id,
            office_id=case.competent_office_id,
            score=int(score),
            comment=comment.strip()[:500],
            created_at=now,
        )
        session.add(rating)
        session.flush()
        if is_bad(rating.score):
            # 差评 opens a rectification item for the office, with a deadline in working days.
            try:
                due = rectification.deadline(local_date(now), get_calendar(), rectification_days)
            except UnknownCalendarYear:
                due = None
            session.add(
                Rectification(
                    rating_id=rating.id,
                    case_id=case.id,
                    office_id=rating.office_id,
                    stage=rectification.FIRST_STAGE,
                    due_on=due,
                    created_at=now,
                    history=[],
                )
            )
        write_case(session, case, {"updated_at": now})
        record_event(
            session, case, Action.RATE, applicant, case.status, now, payload={"score": int(score)}
        )
    return rating


def follow_up(case_id: int, applicant: User, score: int, comment: str, now: datetime) -> Rating:
    """追评: after the office replied to a bad rating, the applicant rates once more."""
    with write_transaction() as session:
        case = load_for_update(session, case_id)
        if case.applicant_id != applicant.id:
            raise CaseNotFound(N_("办件不存在"))
        rating = session.scalars(sa.select(Rating).where(Rating.case_id == case.id)).one_or_none()
        item = session.scalars(
            sa.select(Rectification).where(Rectification.case_id == case.id)
        ).one_or_none()
        if rating is None or item is None or not rectification.replied(item.history):
            raise DomainError(N_("办理部门反馈后才能追加评价"), code="not_replied")
        if rating.follow_up_score is not None:
            raise DomainError(N_("已追加评价"), code="already_rated")
        if not is_valid_score(int(score)):
            raise DomainError(N_("评价须为1至5分"), code="score_range")
        rating.follow_up_score = int(score)
        rating.follow_up_comment = comment.strip()[:500]
        rating.follow_up_at = now
        write_case(session, case, {"updated_at": now})
        record_event(
            session,
            case,
            Action.FOLLOW_UP_RATE,
            applicant,
            case.status,
            now,
            payload={"score": int(score)},
        )
    return rating
