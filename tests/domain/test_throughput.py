from __future__ import annotations

import pytest

from tracker.domain.states import CaseStatus as S
from tracker.domain.throughput import (
    EventFacts,
    mean_working_days,
    median_working_days,
    metrics_for,
    on_time_rate,
)
from tracker.domain.workflow import Action as A


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (EventFacts(A.SUBMIT, S.RECEIVED), {"received": 1}),
        (EventFacts(A.DEEM_ACCEPTED, S.ACCEPTED), {"accepted": 1}),
        (EventFacts(A.REJECT, S.NOT_ACCEPTED), {"not_accepted": 1}),
        (EventFacts(A.RETRACT, S.RETRACTED), {"withdrawn": 1}),
        (EventFacts(A.WITHDRAW, S.WITHDRAWN), {"withdrawn": 1}),
        (
            EventFacts(A.APPROVE, S.APPROVED, on_time=True, working_days=3, paused_days=2),
            {"approved": 1, "on_time": 1, "wd:3": 1, "wd_sum": 3, "paused_days": 2},
        ),
        (
            EventFacts(A.REFUSE, S.REFUSED, on_time=False, working_days=99),
            {"refused": 1, "late": 1, "wd:60": 1, "wd_sum": 99},
        ),
        (EventFacts(A.APPROVE_TOLERATED, S.APPROVED_TOLERATED), {"approved_tolerated": 1}),
        (EventFacts(A.RATE, S.APPROVED, score=2), {"rating:2": 1}),
        (EventFacts(A.FORWARD, S.RECEIVED), {}),
        (EventFacts(A.CLAIM, S.ACCEPTED), {}),
    ],
    ids=lambda v: v.action.value if isinstance(v, EventFacts) else None,
)
def test_metrics_for_each_event(event, expected):
    assert metrics_for(event) == expected


def test_figures_from_counters():
    counts = {"on_time": 3, "late": 1, "wd:1": 2, "wd:4": 1, "wd:9": 1, "wd_sum": 15}
    assert on_time_rate(counts) == 0.75
    assert median_working_days(counts) == 2.5  # 1, 1, 4, 9
    assert mean_working_days(counts) == 3.75
    assert median_working_days({"wd:2": 3, "wd:7": 2}) == 2.0
    assert on_time_rate({}) is None and median_working_days({}) is None


def test_on_time_with_a_due_date_waiting_for_next_years_calendar():
    from datetime import date

    from tracker.domain.throughput import completed_on_time

    assert completed_on_time(date(2026, 12, 30), None, 2027) is True
    assert completed_on_time(date(2027, 1, 5), None, 2027) is None
    assert completed_on_time(date(2026, 12, 30), date(2026, 12, 29), None) is False
    assert completed_on_time(date(2026, 12, 29), None, None) is None
