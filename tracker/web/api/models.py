"""The API's request and response models, declared once: spectree validates every request
and response against them and writes the OpenAPI 3.1 document from them.

Requests refuse unknown members (``extra="forbid"``): a field the API does not know is an
error to see, never silently dropped (SECURITY.md #2, mass assignment).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...domain.states import CaseStatus, HandlingMode
from ...domain.workflow import CASE_ACTIONS
from ...services.workqueue import DUE_FILTERS

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Dates an outside system may ask about: the service's lifetime, with room (a year 9999 would
# overflow the day arithmetic).
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
Line = Annotated[str, StringConstraints(max_length=1000)]
TrackingCursor = Annotated[str, StringConstraints(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- errors --------------------------------------------------------------------------------


class Problem(Out):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    fields: dict[str, str] | None = None


# ---- the catalogue -------------------------------------------------------------------------


class Choice(Out):
    value: str
    label_zh: str
    label_en: str


class FormField(Out):
    name: str
    label_zh: str
    label_en: str
    type: str
    required: bool
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: list[Choice] = []
    # ``office`` fields: the answer is the code of an active office of this department (the
    # Open311 service definition lists them), in the region the ``region_field`` answer names
    department: str | None = None
    region_field: str | None = None


class Material(Out):
    code: str
    name_zh: str
    name_en: str
    required: bool
    e_licence: bool


class ServiceSummary(Out):
    code: str
    name_zh: str
    name_en: str
    department: str
    competent_department: str
    mode: HandlingMode
    statutory_days: int
    promised_days: int


class ServiceDetail(ServiceSummary):
    summary_zh: str
    summary_en: str
    fields: list[FormField]
    materials: list[Material]


class ServicesQuery(BaseModel):
    """``q``: search the catalogue the way people ask (公积金转移, 医保备案, gjj, English);
    the answer then lists only the services that match, best first. Other parameters (such
    as ``lang``) are ignored, as before."""

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, StringConstraints(max_length=50)] = ""


class SearchMatch(Out):
    """Why a service is in a search answer: its place (1 = best), the catalogue words that
    matched, and its names with them marked (HTML: escaped, matched words in <mark>)."""

    rank: int
    words: list[str]
    name_zh_marked: str
    name_en_marked: str


class ServiceListItem(ServiceSummary):
    match: SearchMatch | None = None


class ServiceList(Out):
    services: list[ServiceListItem]


# ---- filing a case -------------------------------------------------------------------------


class NewCase(Strict):
    """A case to file. ``applicant_phone``: with an office token, the registered applicant
    the case is filed for (a citizen token always files for its own holder). ``wallet``: with
    a citizen token, files saved in the holder's 我的材料 to file (each is copied for the
    case), by material code, in place of an upload."""

    service: Code
    competent_office: Code
    receiving_office: Code | None = None
    answers: dict[Code, Annotated[str, StringConstraints(max_length=2000)]] = {}
    licences: dict[Code, Annotated[str, StringConstraints(min_length=1, max_length=64)]] = {}
    # The guided pre-check (情形引导) answers {question code: choice value}, checked like the
    # portal's; omitted: every material and field of the service applies.
    precheck: dict[Code, Annotated[str, StringConstraints(max_length=64)]] | None = None
    applicant_phone: Annotated[str, StringConstraints(pattern=r"^1\d{10}$")] | None = None
    # 我的材料: saved files (wallet item ids) filed by material code, citizen tokens only
    wallet: dict[Code, Annotated[int, Field(ge=1, le=2_147_483_647)]] = {}


class IdempotencyHeaders(BaseModel):
    """Headers of ``POST /cases`` (other headers are allowed)."""

    model_config = ConfigDict(extra="allow")

    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        alias="Idempotency-Key"
    )


# ---- a case --------------------------------------------------------------------------------


class Status(Out):
    value: CaseStatus
    code: int = Field(ge=1, le=15)
    label_zh: str
    label_en: str


class Clock(Out):
    state: str
    due_on: date | None
    days_left: int | None
    paused: bool
    pending_year: int | None = None
    act_by: date | None = None


class Event(Out):
    cursor: str
    at: datetime
    action: str
    label_zh: str
    label_en: str
    actor_role: str
    office: str | None
    from_status: CaseStatus | None
    to_status: CaseStatus
    reason: str | None


class Applicant(Out):
    name: str | None = None
    phone: str | None = None  # masked
    resident_id: str | None = None  # masked: never in full


class Answer(Out):
    name: str
    value: str  # resident IDs and phones masked


class CaseOut(Out):
    tracking_number: str
    version: int
    service: str
    mode: HandlingMode
    status: Status
    receiving_office: str
    competent_office: str
    custody_office: str
    submitted_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None
    clock: Clock
    actions: list[str]
    applicant: Applicant | None = None
    answers: list[Answer] | None = None
    precheck: dict[str, str] | None = None  # the pre-check answers, if any
    situation_code: str | None = None  # 情形编码 (SXQXBM) of those answers
    timeline: list[Event]


class EventPage(Out):
    events: list[Event]
    next_cursor: str


class EventsQuery(Strict):
    since: TrackingCursor | None = None
    limit: int = Field(default=100, ge=1, le=500)


# ---- moves ---------------------------------------------------------------------------------

ActionName = Literal[tuple(sorted(a.value for a in CASE_ACTIONS))]  # type: ignore[valid-type]


class SupplementItem(Strict):
    material: Code
    note: Annotated[str, StringConstraints(max_length=200)] = ""


class Move(Strict):
    """A move on a case, at the version the caller read (stale → 409). The move's own
    members: ``items`` (request_supplement), ``days`` (request_extension),
    ``cooperating_offices`` (joint handling: office codes, one per cooperating role),
    ``delivery_method``/``delivery_ref`` (deliver), ``competent_office_hint`` and
    ``appeal_rights`` (reject)."""

    action: ActionName
    version: int = Field(ge=1, le=2_147_483_647)
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None
    items: list[SupplementItem] | None = Field(default=None, max_length=50)
    days: int | None = Field(default=None, ge=1, le=1000)
    cooperating_offices: list[Code] | None = Field(default=None, max_length=20)
    delivery_method: Annotated[str, StringConstraints(max_length=16)] | None = None
    delivery_ref: Annotated[str, StringConstraints(max_length=64)] | None = None
    competent_office_hint: Annotated[str, StringConstraints(max_length=200)] | None = None
    appeal_rights: Annotated[str, StringConstraints(max_length=500)] | None = None


# ---- the queue -----------------------------------------------------------------------------

QueueStatus = Literal[("open", "closed", "all", *(s.value for s in CaseStatus))]  # type: ignore[valid-type]
DueFilter = Literal[DUE_FILTERS]  # type: ignore[valid-type]


class QueueQuery(Strict):
    status: QueueStatus = "open"
    service: Code | None = None
    due: DueFilter | None = None
    assigned: Literal["any", "me", "unassigned"] = "any"
    submitted_from: Day | None = Field(default=None, alias="from")
    submitted_to: Day | None = Field(default=None, alias="to")
    q: Annotated[str, StringConstraints(max_length=64)] = ""
    cursor: TrackingCursor | None = None
    limit: int = Field(default=50, ge=1, le=200)


class QueueRow(Out):
    tracking_number: str
    version: int
    service: str
    status: Status
    act_by: date | None
    clock: Clock
    assignee: str | None
    submitted_at: datetime


class QueuePage(Out):
    cases: list[QueueRow]
    next_cursor: str | None


# ---- figures -------------------------------------------------------------------------------


class StatsQuery(Strict):
    start: Day = Field(alias="from")
    end: Day = Field(alias="to")
    region: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None
    department: Annotated[str, StringConstraints(max_length=16)] | None = None
    service: Code | None = None


class DayFigures(Out):
    day: date
    received: int
    accepted: int
    not_accepted: int
    approved: int
    approved_tolerated: int
    refused: int
    withdrawn: int
    cancelled: int
    late: int


class DailyStats(Out):
    start: date
    end: date
    days: list[DayFigures]
