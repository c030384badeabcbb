"""What a workflow move does to a case: one pure function, ``effects``.

``workflow.check`` says whether a move is allowed; ``effects`` says what it changes — the new
status, custody, the acceptance and clock start, the pause it opens or closes, the due date,
the day the holding office must act by, the sub-tasks it sends or cancels, what it records on
the event, and the daily counters it adds to. The case services persist exactly this
(``services/cases.act``), the benchmark generator replays its histories through it
(``bench/generate.py``), the rollup rebuild counts completions with the same
``completion_facts``, and the state-machine tests apply it to their model cases, so the four
cannot disagree.

The calendar and ``today`` are arguments; nothing here reads the clock or the database. A due
date or deadline that runs into a year with no official calendar is not guessed: it stays
pending (``due_pending_year``) or the office's deadline is ``NO_DEADLINE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from . import clock
from .delivery import clean_waybill, first_status
from .errors import DomainError, UnknownCalendarYear
from .lateness import check_extension_approval, check_extension_request, is_late, lateness_values
from .states import DELIVERY_METHODS, CaseStatus, DeliveryMethod, HandlingMode, is_paused
from .states import SubTaskStatus as T
from .text import N_
from .throughput import DECISION_ACTIONS, EventFacts, completed_on_time, metrics_for
from .workflow import Action, CaseFacts, next_status

# act_by of an open case with nothing due from its office (paused, or the day not yet known):
# sorts last in the queue's index, where NULL would sort first on SQLite.
NO_DEADLINE = date(9999, 12, 31)

DELIVERY_REF_MAX = 64
DECISIONS = DECISION_ACTIONS
_PAUSE_OPENED_BY = {
    Action.REQUEST_SUPPLEMENT: "supplement",
    Action.START_SPECIAL: "special_procedure",
}
_PAUSE_CLOSED_BY = frozenset({Action.SUBMIT_SUPPLEMENT, Action.END_SPECIAL})
_SENDS_LETTERS = frozenset({Action.START_PROCESSING, Action.SEND_CONTACT_LETTERS})
# The moves after which the due date is counted again: the clock starts, a pause opens or
# ends, an extension is granted. (A case that closes keeps the due date it had.)
_RECOUNTS_DUE = frozenset(
    {
        Action.ACCEPT,
        Action.DEEM_ACCEPTED,
        Action.REQUEST_SUPPLEMENT,
        Action.START_SPECIAL,
        Action.SUBMIT_SUPPLEMENT,
        Action.END_SPECIAL,
        Action.APPROVE_EXTENSION,
    }
)


@dataclass(frozen=True)
class Timing:
    """The clock facts of a case before the move (what ``CaseFacts`` leaves out)."""

    received_on: date
    promised_days: int
    statutory_days: int
    clock_start_on: date | None = None
    extension_days: int = 0
    extension_requested_days: int | None = None
    extension_due_on: date | None = None  # the due date when the pending extension was asked
    due_on: date | None = None
    due_pending_year: int | None = None
    pauses: tuple[clock.Pause, ...] = ()  # every pause of the case, the open one included


@dataclass(frozen=True)
class CaseChanges:
    """Everything one move changes. ``stamps`` name the moments set to the move's time
    (``accepted_at``, ``completed_at``, ``formal_checked_at``, ``identity_checked_at``,
    ``delivered_at``); ``values`` are the other case columns that change, by name."""

    status: CaseStatus
    timing: Timing  # after the move
    act_by: date | None
    stamps: frozenset[str] = frozenset()
    values: Mapping[str, Any] = field(default_factory=dict)
    opens_pause: clock.Pause | None = None
    closes_pause: bool = False  # the open pause ends today
    sends_contact_letters: bool = False
    cancels_subtasks: bool = False  # every sub-task not done or cancelled is cancelled
    record: Mapping[str, Any] = field(default_factory=dict)  # added to the event's payload
    metrics: Mapping[str, int] = field(default_factory=dict)  # daily counters (rollup)


def latest_supplement_arrival(pauses: Sequence[clock.Pause]) -> date | None:
    """The day the last requested supplements arrived (the end of the latest closed
    supplement pause), or None if none did: the legal acceptance date counts from it."""
    return max(
        (p.end for p in pauses if p.kind == "supplement" and p.end is not None), default=None
    )


def due(
    clock_start_on: date | None,
    promised_days: int,
    extension_days: int,
    pauses: Sequence[clock.Pause],
    calendar: clock.WorkingDays,
) -> tuple[date | None, int | None]:
    """(due date, pending year): the due date over the pauses that reach past the clock
    start; with no calendar for a year it needs, (None, that year)."""
    if clock_start_on is None:
        return None, None
    spans = [p for p in pauses if p.end is None or p.end > clock_start_on]
    try:
        return clock.due_date(clock_start_on, promised_days, spans, extension_days, calendar), None
    except UnknownCalendarYear as exc:
        return None, exc.year


def act_by(
    status: CaseStatus,
    accepted: bool,
    received_on: date,
    arrived_on: date | None,
    due_on: date | None,
    calendar: clock.WorkingDays,
) -> date | None:
    """The day the holding office must act by: the Art. 32 acceptance deadline before
    acceptance (counted from the arrival of requested supplements, if any), the due date
    after. ``NO_DEADLINE`` when nothing is due from the office (paused) or the day is not
    known yet (its year's calendar); None once closed. The queue sorts on this through an
    index, which is why an open case never holds None here."""
    if status.is_closed:
        return None
    if is_paused(status):
        return NO_DEADLINE
    if accepted:
        return due_on or NO_DEADLINE
    try:
        return clock.acceptance_deadline(arrived_on or received_on, calendar)
    except UnknownCalendarYear:
        return NO_DEADLINE


@dataclass(frozen=True)
class Completion:
    on_time: bool | None  # None: not known (the due date waits for a year's calendar)
    working_days: int | None  # counted working days from the clock start to completion
    paused_days: int | None  # working days spent waiting for supplements


def completion_facts(timing: Timing, done: date, calendar: clock.WorkingDays) -> Completion:
    """How a decision made on ``done`` stands against the legal clock: on time or late,
    working days used and working days paused for supplements (closed pauses only)."""
    on_time = completed_on_time(done, timing.due_on, timing.due_pending_year)
    start = timing.clock_start_on
    if start is None:
        return Completion(on_time, None, None)
    spans = [p for p in timing.pauses if p.end is not None and p.end > start]
    try:
        used = clock.working_days_used(start, spans, done, calendar)
        paused = sum(
            calendar.working_days_between(max(p.start, start), p.end or done)
            for p in spans
            if p.kind == "supplement"
        )
    except UnknownCalendarYear:
        return Completion(on_time, None, None)
    return Completion(on_time, used, paused)


def event_metrics(
    action: Action,
    to_status: CaseStatus,
    completion: Completion | None = None,
    score: int | None = None,
) -> dict[str, int]:
    """The daily counters one event adds to (a decision's with its ``completion``)."""
    c = completion or Completion(None, None, None)
    return metrics_for(
        EventFacts(
            action,
            to_status,
            on_time=c.on_time,
            working_days=c.working_days,
            paused_days=c.paused_days,
            score=score,
        )
    )


def _whole_days(payload: Mapping[str, Any], limit: int) -> int:
    raw = payload.get("days")
    days = (
        raw
        if isinstance(raw, int) and not isinstance(raw, bool)
        else (int(raw) if isinstance(raw, str) and raw.strip().isdigit() else 0)
    )
    if not 1 <= days <= limit:
        raise DomainError(N_("延长的工作日数须在1至法定时限之间"), code="extension_days")
    return days


def _payload_values(
    action: Action, case: CaseFacts, timing: Timing, payload: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns a move sets from what the clerk gave (and what the event records)."""
    if action is Action.FORWARD:
        return {"custody_office_id": case.competent_office_id, "assignee_id": None}, {}
    if action is Action.REQUEST_EXTENSION:
        check_extension_request(today, timing.due_on)
        return {
            "extension_requested_days": _whole_days(payload, timing.statutory_days),
            "extension_due_on": timing.due_on,
        }, {"due_at_request": timing.due_on.isoformat() if timing.due_on else None}
    if action is Action.APPROVE_EXTENSION:
        check_extension_approval(today, timing.extension_due_on)
        granted = timing.extension_requested_days or 0
        return (
            {
                "extension_days": timing.extension_days + granted,
                "extension_requested_days": None,
                "extension_due_on": None,
            },
            {"days": timing.extension_requested_days},
        )
    if action is Action.REFUSE_EXTENSION:
        return {"extension_requested_days": None, "extension_due_on": None}, {}
    if action in DECISIONS and is_late(today, timing.due_on):
        values = lateness_values(payload)
        return values, dict(values)
    if action is Action.DELIVER:
        method = payload.get("delivery_method", DeliveryMethod.ONLINE.value)
        if method not in DELIVERY_METHODS:
            raise DomainError(N_("送达方式须为网上、邮寄或窗口领取"), code="delivery_method")
        if method == DeliveryMethod.POST.value:
            ref: str | None = clean_waybill(payload.get("delivery_ref"))
        elif method == DeliveryMethod.COUNTER.value:
            ref = str(payload.get("pickup_code") or "") or None  # made by the services
        else:
            ref = str(payload.get("delivery_ref", ""))[:DELIVERY_REF_MAX] or None
        status = first_status(str(method))
        return {"delivery_method": method, "delivery_ref": ref, "delivery_status": status}, {
            "delivery_status": status
        }
    return {}, {}


_STAMPED_BY = {
    Action.FORMAL_CHECK: "formal_checked_at",
    Action.IDENTITY_CHECK: "identity_checked_at",
    Action.ACCEPT: "accepted_at",
    Action.DEEM_ACCEPTED: "accepted_at",
    Action.DELIVER: "delivered_at",
}


def _acceptance(action: Action, timing: Timing, today: date) -> date:
    """The clock start of an acceptance: counted from the day the complete materials
    arrived when that was earlier; a deemed acceptance (Art. 32) from their receipt."""
    arrived = latest_supplement_arrival(timing.pauses)
    start = (arrived or timing.received_on) if action is Action.DEEM_ACCEPTED else today
    return clock.clock_start(start, arrived)


def _pauses_after(
    action: Action, pauses: tuple[clock.Pause, ...], today: date, closing: bool
) -> tuple[tuple[clock.Pause, ...], clock.Pause | None, bool]:
    """The case's pauses after the move, the pause it opens, and whether it closes one."""
    kind = _PAUSE_OPENED_BY.get(action)
    if kind is not None:
        opened = clock.Pause(today, None, kind)  # type: ignore[arg-type]
        return pauses + (opened,), opened, False
    if action in _PAUSE_CLOSED_BY or closing:
        if not clock.has_open_pause(pauses):
            return pauses, None, False
        return tuple(replace(p, end=today) if p.end is None else p for p in pauses), None, True
    return pauses, None, False


def effects(
    action: Action,
    case: CaseFacts,
    timing: Timing,
    today: date,
    calendar: clock.WorkingDays,
    payload: Mapping[str, Any] | None = None,
) -> CaseChanges:
    """What ``action`` (already allowed by ``workflow.check``) changes, made ``today``.

    ``payload`` carries what the move needs: ``days`` (an extension request, whole working
    days up to the statutory limit), ``delivery_method`` (one of ``DELIVERY_METHODS``) and
    ``delivery_ref``. A bad value raises a ``DomainError`` that says what is wrong.
    """
    payload = payload or {}
    status = next_status(action, case)
    closing = status.is_closed and status is not case.status
    values, record = _payload_values(action, case, timing, payload, today)
    stamps = {_STAMPED_BY[action]} if action in _STAMPED_BY else set()
    if closing:
        stamps.add("completed_at")
    accepted = case.accepted or "accepted_at" in stamps
    start = _acceptance(action, timing, today) if "accepted_at" in stamps else timing.clock_start_on
    pauses, opened, closed = _pauses_after(action, timing.pauses, today, closing)
    after = replace(
        timing,
        clock_start_on=start,
        pauses=pauses,
        extension_days=values.get("extension_days", timing.extension_days),
        extension_requested_days=values.get(
            "extension_requested_days", timing.extension_requested_days
        ),
        extension_due_on=values.get("extension_due_on", timing.extension_due_on),
    )
    if action in _RECOUNTS_DUE:
        due_on, pending = due(start, after.promised_days, after.extension_days, pauses, calendar)
        after = replace(after, due_on=due_on, due_pending_year=pending)
    completion = completion_facts(after, today, calendar) if action in DECISIONS else None
    return CaseChanges(
        status=status,
        timing=after,
        stamps=frozenset(stamps),
        values={
            **values,
            "clock_start_on": after.clock_start_on,
            "due_on": after.due_on,
            "due_pending_year": after.due_pending_year,
        },
        act_by=act_by(
            status,
            accepted,
            after.received_on,
            latest_supplement_arrival(pauses),
            after.due_on,
            calendar,
        ),
        opens_pause=opened,
        closes_pause=closed,
        cancels_subtasks=closing,
        sends_contact_letters=(action in _SENDS_LETTERS and case.mode is HandlingMode.JOINT),
        record=record,
        metrics=event_metrics(action, status, completion),
    )


def facts_after(case: CaseFacts, action: Action, changes: CaseChanges) -> CaseFacts:
    """The rules' view of the case after the move (sub-tasks are the caller's: it knows the
    offices a contact letter goes to; cancelled ones are applied here)."""
    values = changes.values
    checks = case.checks | (
        {action} if action in (Action.FORMAL_CHECK, Action.IDENTITY_CHECK) else set()
    )
    subtasks = case.subtasks
    if changes.cancels_subtasks:
        subtasks = tuple(
            t if t.status in (T.DONE, T.CANCELLED) else replace(t, status=T.CANCELLED)
            for t in subtasks
        )
    return replace(
        case,
        status=changes.status,
        accepted=case.accepted or "accepted_at" in changes.stamps,
        custody_office_id=values.get("custody_office_id", case.custody_office_id),
        checks=frozenset(checks),
        subtasks=subtasks,
        extension_pending=changes.timing.extension_requested_days is not None,
        delivered=case.delivered or "delivered_at" in changes.stamps,
    )
