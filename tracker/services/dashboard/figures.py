"""The small rules a report applies to the figures: which row is worth a line, what counts as a
bad rating, paused days per completed case. Pure functions over counters (no queries), so the
HTML table, its CSV and the tests cannot disagree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from ...domain import throughput as tp
from ...domain.ratings import BAD_SCORES as BAD_SCORES
from ...domain.ratings import SCORES as SCORES
from .current import Current
from .grain import ROW_METRICS, completed


def active(c: Mapping[str, int], cur: Current) -> bool:
    """A row worth showing: something happened in the range, or something is due now."""
    return bool(any(c.get(m, 0) for m in ROW_METRICS) or cur.overdue or cur.at_risk)


def sum_current(items: Iterable[Current]) -> Current:
    over = risk = 0
    for c in items:
        over += c.overdue
        risk += c.at_risk
    return Current(over, risk)


def rating_counts(c: Mapping[str, int]) -> dict[int, int]:
    """Ratings per score, best first."""
    return {score: c.get(tp.rating_metric(score), 0) for score in SCORES}


def bad_ratings(counts: Mapping[int, int]) -> int:
    return sum(counts.get(s, 0) for s in BAD_SCORES)


def bad_rate(counts: Mapping[int, int]) -> float | None:
    total = sum(counts.values())
    return bad_ratings(counts) / total if total else None


def paused_days_per_completion(c: Counter[str] | Mapping[str, int]) -> float | None:
    """Days paused for supplements per completed case (None: nothing completed)."""
    done = completed(c)
    return c.get(tp.PAUSED_DAYS, 0) / done if done else None
