"""Throughput arithmetic: which daily counters an event moves, and figures from the counters.

The dashboards read a daily rollup (day × office × service × metric → count) kept in the
same transaction as each event, never a scan of all cases. These rules say which metrics an
event adds to; ``tracker rollup --rebuild`` applies the same rules to the whole history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .ratings import SCORES
from .states import CaseStatus
from .workflow import Action

RECEIVED = "received"
ACCEPTED = "accepted"
NOT_ACCEPTED = "not_accepted"
APPROVED = "approved"
APPROVED_TOLERATED = "approved_tolerated"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
ON_TIME = "on_time"
LATE = "late"
SUPPLEMENT_REQUESTS = "supplement_requests"
PAUSED_DAYS = "paused_days"  # working days spent waiting for supplements (at completion)
WD_SUM = "wd_sum"  # working days from acceptance to completion, summed (for the average)
MAX_WD_BUCKET = 60

METRIC_LABELS: dict[str, tuple[str, str]] = {
    RECEIVED: ("收件", "Received"),
    ACCEPTED: ("受理", "Accepted"),
    NOT_ACCEPTED: ("不予受理", "Not accepted"),
    APPROVED: ("办结（通过）", "Approved"),
    APPROVED_TOLERATED: ("容缺通过", "Approved, tolerated"),
    REFUSED: ("办结（不通过）", "Refused"),
    WITHDRAWN: ("撤件/撤回", "Withdrawn"),
    CANCELLED: ("撤销", "Cancelled"),
    ON_TIME: ("按时办结", "Completed on time"),
    LATE: ("超期办结", "Completed late"),
}
COMPLETIONS = (APPROVED, APPROVED_TOLERATED, REFUSED)


def wd_bucket(days: int) -> str:
    return f"wd:{min(max(days, 0), MAX_WD_BUCKET)}"


def rating_metric(score: int) -> str:
    return f"rating:{score}"


@dataclass(frozen=True)
class EventFacts:
    action: Action
    to_status: CaseStatus
    on_time: bool | None = None  # completions: completed on or before the due date
    working_days: int | None = None  # completions: counted working days since acceptance
    paused_days: int | None = None  # completions: working days paused for supplements
    score: int | None = None  # ratings


SCALAR_METRICS = (
    RECEIVED,
    ACCEPTED,
    NOT_ACCEPTED,
    APPROVED,
    APPROVED_TOLERATED,
    REFUSED,
    WITHDRAWN,
    CANCELLED,
    ON_TIME,
    LATE,
    SUPPLEMENT_REQUESTS,
    PAUSED_DAYS,
    WD_SUM,
)
WD_METRICS = tuple(wd_bucket(days) for days in range(MAX_WD_BUCKET + 1))
RATING_METRICS = tuple(rating_metric(score) for score in SCORES)
ALL_METRICS = SCALAR_METRICS + WD_METRICS + RATING_METRICS  # every counter metrics_for can add


def completed_on_time(done: date, due: date | None, pending_year: int | None) -> bool | None:
    """On time if completed by the due date. With the due date waiting for a year's calendar,
    it lies in that year or later, so a completion before that year is known to be on time;
    otherwise it is unknown (None), never guessed."""
    if due is not None:
        return done <= due
    if pending_year is not None and done.year < pending_year:
        return True
    return None


# The counter each plain event adds one to (decisions and ratings carry figures, below).
EVENT_METRIC: dict[Action, str] = {
    Action.SUBMIT: RECEIVED,
    Action.ACCEPT: ACCEPTED,
    Action.DEEM_ACCEPTED: ACCEPTED,
    Action.REJECT: NOT_ACCEPTED,
    Action.REQUEST_SUPPLEMENT: SUPPLEMENT_REQUESTS,
    Action.RETRACT: WITHDRAWN,
    Action.WITHDRAW: WITHDRAWN,
    Action.CANCEL: CANCELLED,
}
DECISION_ACTIONS = frozenset({Action.APPROVE, Action.APPROVE_TOLERATED, Action.REFUSE})


def metrics_for(e: EventFacts) -> dict[str, int]:
    """The counters one event adds to (metric → amount)."""
    a = e.action
    if a in EVENT_METRIC:
        return {EVENT_METRIC[a]: 1}
    if a is Action.RATE:
        return {} if e.score is None else {rating_metric(e.score): 1}
    if a not in DECISION_ACTIONS:
        return {}
    out = {e.to_status.value: 1}
    if e.on_time is not None:
        out[ON_TIME if e.on_time else LATE] = 1
    if e.working_days is not None:
        out[wd_bucket(e.working_days)] = 1
        out[WD_SUM] = e.working_days
    if e.paused_days:
        out[PAUSED_DAYS] = e.paused_days
    return out


def on_time_rate(counts: Mapping[str, int]) -> float | None:
    done = counts.get(ON_TIME, 0) + counts.get(LATE, 0)
    return None if done == 0 else counts.get(ON_TIME, 0) / done


def median_working_days(counts: Mapping[str, int]) -> float | None:
    """Median from the per-day histogram (exact: working days are whole numbers)."""
    hist = sorted((int(k[3:]), v) for k, v in counts.items() if k.startswith("wd:") and v > 0)
    total = sum(v for _, v in hist)
    if total == 0:
        return None

    def nth(n: int) -> int:  # 0-based
        seen = 0
        for days, v in hist:
            seen += v
            if n < seen:
                return days
        return hist[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def mean_working_days(counts: Mapping[str, int]) -> float | None:
    n = sum(v for k, v in counts.items() if k.startswith("wd:"))
    return None if n == 0 else counts.get(WD_SUM, 0) / n


def rectification_rate(total: int, followed_up: int) -> float | None:
    return None if total == 0 else followed_up / total
