"""What a supervisor reads: throughput, the legal clock, ratings, workload. Read-only.

Performance by design (PERFORMANCE.md): every figure over a date range comes from the daily
rollups, summed in SQL with one ``GROUP BY`` per table; figures about *now* (overdue, at risk,
backlog by age) come from the open-case histogram kept by triggers on the cases; open work per
clerk and the lists of cases come from the cases through the queue indexes. Nothing here loops
over cases in Python, and no page issues a query per row.

Scope (SECURITY.md): every query is filtered by the offices of the supervisor's region.
Nothing here returns an applicant's name, ID number or phone; free text written by people
(reasons, rating comments) goes through :func:`redact` before it leaves this package.

The modules, one concern each:

- :mod:`.scope` — the region watched and the catalogue around it (``Scope``, ``load_scope``);
- :mod:`.grain` — what a figure is computed over (``Selection``, ``area_key``) and the rollup
  grain that answers it (``totals``, ``by_day``, ``by_office``, ``by_region``, ``by_service``);
- :mod:`.current` — overdue and at risk now, the backlog by age;
- :mod:`.figures` — the rules a report applies to counters (active row, bad ratings…);
- :mod:`.case_lists`, :mod:`.ratings`, :mod:`.extensions`, :mod:`.workload` — the lists:
  overdue and late cases, ratings and rectification, pending extensions, clerk workload.

Callers use the package (``from tracker.services import dashboard as dash``; ``dash.X``).
"""

from __future__ import annotations

from ._sql import local_day_sql, redact
from .breakdown import Part, by_child_region, by_offices, by_services
from .breakdown import parts as breakdown_parts
from .case_lists import TRAIL_ACTIONS, CaseLine, TrailEntry, late_completions, overdue_cases
from .current import (
    BACKLOG_BUCKETS,
    Current,
    backlog,
    backlog_boundaries,
    current,
    current_by,
    nth_working_day_back,
    risk_until,
)
from .extensions import ExtensionRequest, pending_extensions
from .figures import (
    BAD_SCORES,
    SCORES,
    active,
    bad_rate,
    bad_ratings,
    paused_days_per_completion,
    rating_counts,
    sum_current,
)
from .grain import (
    DAY_METRICS,
    ROW_METRICS,
    Selection,
    area_key,
    by_day,
    by_office,
    by_region,
    by_service,
    completed,
    merge,
    rollup_version,
    totals,
)
from .ratings import (
    FOLLOWED_UP,
    RectificationLine,
    RectificationSummary,
    rectification,
    rectification_summary,
    rectifications,
)
from .scope import DepartmentRef, OfficeRef, RegionRef, Scope, ServiceRef, load_scope
from .workload import DECISIONS, ClerkLoad, open_by_assignee, unassigned_open, workload

__all__ = [
    "rollup_version",
    "BACKLOG_BUCKETS",
    "BAD_SCORES",
    "DAY_METRICS",
    "DECISIONS",
    "FOLLOWED_UP",
    "ROW_METRICS",
    "SCORES",
    "TRAIL_ACTIONS",
    "CaseLine",
    "ClerkLoad",
    "Current",
    "DepartmentRef",
    "ExtensionRequest",
    "OfficeRef",
    "Part",
    "RectificationLine",
    "RectificationSummary",
    "RegionRef",
    "Scope",
    "Selection",
    "ServiceRef",
    "TrailEntry",
    "active",
    "area_key",
    "backlog",
    "backlog_boundaries",
    "bad_rate",
    "bad_ratings",
    "breakdown_parts",
    "by_child_region",
    "by_day",
    "by_office",
    "by_offices",
    "by_region",
    "by_service",
    "by_services",
    "completed",
    "current",
    "current_by",
    "late_completions",
    "load_scope",
    "local_day_sql",
    "merge",
    "nth_working_day_back",
    "open_by_assignee",
    "overdue_cases",
    "paused_days_per_completion",
    "pending_extensions",
    "rating_counts",
    "rectification",
    "rectification_summary",
    "rectifications",
    "redact",
    "risk_until",
    "sum_current",
    "totals",
    "unassigned_open",
    "workload",
]
