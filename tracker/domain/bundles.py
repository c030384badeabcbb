"""一件事一次办: the rules of a bundle application, pure (no Flask, no database).

A bundle (一件事) is one application for a life event that files one case per service. The
combined form asks a field once when several of the bundle's services ask it the same way
(same name, same type): it is *shared*. Every other field belongs to its service and is named
``<service code>.<field name>`` on the form. A material needed by several services is uploaded
once (by its material code). The combined status is read from the cases' statuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .states import CLOSED_STATES, COMPLETED_STATES, CaseStatus
from .text import N_, Text

SEPARATOR = "."
PRECHECK = "pc_"


def shared_fields(fields: Mapping[str, Sequence[tuple[str, str]]]) -> set[str]:
    """The field names asked once: those that two or more services ask the same way (and no
    service asks differently). ``fields``: {service code: [(field name, kind)]}, the kind
    being what must agree (type and choices)."""
    seen = Counter((name, kind) for listed in fields.values() for name, kind in set(listed))
    names = Counter(name for name, _ in seen)
    return {name for (name, _), n in seen.items() if n >= 2 and names[name] == 1}


def form_name(service_code: str, field_name: str, shared: set[str]) -> str:
    """The name a field has on the combined form."""
    return field_name if field_name in shared else f"{service_code}{SEPARATOR}{field_name}"


def precheck_prefix(service_code: str) -> str:
    """The prefix of a service's pre-check answers on the combined form."""
    return f"{service_code}{SEPARATOR}{PRECHECK}"


def answers_of(
    service_code: str, names: Iterable[str], shared: set[str], form: Mapping[str, str]
) -> dict[str, str]:
    """One service's answers {field name: value} read from the combined form."""
    found: dict[str, str] = {}
    for name in names:
        value = form.get(form_name(service_code, name, shared))
        if value is not None:
            found[name] = value
    return found


class BundleStatus(StrEnum):
    """The combined status the citizen sees for a bundle application."""

    IN_PROGRESS = "in_progress"
    NEEDS_YOU = "needs_you"  # a case waits for supplementary materials
    COMPLETED = "completed"  # every case decided
    WITHDRAWN = "withdrawn"  # every case withdrawn or retracted
    ENDED = "ended"  # every case closed, not all decided


LABELS: dict[BundleStatus, Text] = {
    BundleStatus.IN_PROGRESS: N_("办理中"),
    BundleStatus.NEEDS_YOU: N_("待您补正材料"),
    BundleStatus.COMPLETED: N_("全部办结"),
    BundleStatus.WITHDRAWN: N_("已撤回"),
    BundleStatus.ENDED: N_("已结束"),
}

_WITHDRAWN = frozenset({CaseStatus.WITHDRAWN, CaseStatus.RETRACTED})


@dataclass(frozen=True)
class Combined:
    status: BundleStatus
    closed: int  # cases finished for good
    total: int

    @property
    def label(self) -> Text:
        return LABELS[self.status]


def combined(statuses: Sequence[CaseStatus]) -> Combined:
    """The bundle's status: waiting for the citizen if any case waits for supplements; while
    any case is open, in progress; then completed, withdrawn, or ended (a mix)."""
    closed = sum(1 for s in statuses if s in CLOSED_STATES)
    total = len(statuses)
    if any(s is CaseStatus.SUPPLEMENT_REQUESTED for s in statuses):
        status = BundleStatus.NEEDS_YOU
    elif closed < total or not statuses:
        status = BundleStatus.IN_PROGRESS
    elif all(s in COMPLETED_STATES for s in statuses):
        status = BundleStatus.COMPLETED
    elif all(s in _WITHDRAWN for s in statuses):
        status = BundleStatus.WITHDRAWN
    else:
        status = BundleStatus.ENDED
    return Combined(status, closed, total)


def why_not_withdrawn(status: CaseStatus) -> Text | None:
    """Why a case of a bundle cannot be withdrawn any more (None: it can be tried)."""
    if status in _WITHDRAWN:
        return N_("已撤回，无需再撤")
    if status in COMPLETED_STATES:
        return N_("已办结，不能撤回")
    if status in CLOSED_STATES:
        return N_("办件已结束，不能撤回")
    return None
