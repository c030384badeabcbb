"""The shape of what a clerk's pages accept: queue filters, bulk moves, the fields of each move,
assignment, revealing an ID number, sub-task moves and canned notes.

Each is a WTForms form whose fields read their values through ``tracker/web/inputs`` (see
``tracker/web/fields``). Nothing here decides whether a move is allowed (the workflow does,
through the services); the forms only turn request values into clean Python values and drop
anything unexpected, so that a hand-made query string or form can never reach a service as a
wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from wtforms import Field, ValidationError

from ...domain.lateness import LATENESS_NOTE_MAX, LATENESS_REASONS
from ...domain.notices import RejectGround
from ...domain.states import CaseStatus, DeliveryMethod
from ...domain.subtasks import SUBTASK_TRANSITIONS_BY_ACTION
from ...domain.throughput import DECISION_ACTIONS
from ...domain.workflow import CASE_ACTIONS, Action
from ...services import notices
from ...services.workqueue import DUE_FILTERS, QUEUE_PAGE, QueueFilters
from ..fields import (
    ChoiceField,
    DateField,
    Form,
    IntField,
    LineField,
    QueryForm,
    TextField,
    VersionField,
    errors_of,
)
from ..inputs import one_line

REASON_MAX = 1000
NOTE_MAX = 200
HINT_MAX = 200
APPEAL_MAX = 500
SEARCH_MAX = 64
PAGE_MAX = 100_000
REVEAL_REASON_MAX = 200
CANNED_TEXT_MAX = 600
STATUS_GROUPS = ("open", "closed", "all")
ASSIGNED = ("any", "me", "unassigned")
DELIVERY_METHODS = tuple(DeliveryMethod)
REJECT_GROUNDS = tuple(g.value for g in RejectGround)

# 告知申请人依法享有的救济权利: one text, kept with the notices (services/notices.py).
DEFAULT_APPEAL_RIGHTS = notices.DEFAULT_APPEAL_RIGHTS
TRACKING_NUMBER_MAX = 32


class ListField(Field):
    """Every value sent under the field's name, each through ``inputs.one_line`` (empty ones
    dropped, duplicates once, order kept)."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, limit: int, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.limit = limit

    def process_data(self, value: Any) -> None:
        self.data = []

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        values = (one_line(v, self.limit) for v in valuelist if isinstance(v, str))
        self.data = list(dict.fromkeys(v for v in values if v))


# ---- the queue (query string) ----------------------------------------------------------------


class QueueForm(QueryForm):
    status = ChoiceField(choices=(*STATUS_GROUPS, *(s.value for s in CaseStatus)))
    service = IntField()
    due = ChoiceField(choices=DUE_FILTERS)
    assigned = ChoiceField(choices=ASSIGNED)
    date_from = DateField(name="from")
    date_to = DateField(name="to")
    q = LineField(limit=SEARCH_MAX)
    page = IntField(lo=1, hi=PAGE_MAX)


@dataclass(frozen=True)
class QueueArgs:
    """The queue's filters as shown back in the filter form (strings, '' when unset)."""

    filters: QueueFilters
    raw: dict[str, str]


def queue_args(args: Mapping[str, str], service_ids: set[int]) -> QueueArgs:
    """Filters from the query string; every unknown or malformed value falls back to its
    default (a bookmarked or hand-edited URL never errors)."""
    form = QueueForm(args)
    status = form.status.data or "open"
    service_id = form.service.data if form.service.data in service_ids else None
    due, assigned = form.due.data, form.assigned.data or "any"
    date_from, date_to = form.date_from.data, form.date_to.data
    q = form.q.data or ""
    filters = QueueFilters(
        status=status,
        service_id=service_id,
        due=due,
        assigned=assigned,
        submitted_from=date_from,
        submitted_to=date_to,
        q=q,
        page=form.page.data or 1,
    )
    raw = {
        "status": status,
        "service": str(service_id or ""),
        "due": due or "",
        "assigned": assigned,
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
        "q": q,
    }
    return QueueArgs(filters=filters, raw=raw)


# ---- bulk accept / assign --------------------------------------------------------------------


class BulkForm(Form):
    case = ListField(limit=TRACKING_NUMBER_MAX)
    op = ChoiceField(choices=("accept", "assign"))
    assignee = LineField(limit=16)

    def numbers(self) -> list[str]:
        """The ticked tracking numbers, upper-cased, each once."""
        return list(dict.fromkeys(n.upper() for n in self.case.data))

    def problem(self, assignee: object | None) -> str | None:
        """Why nothing can be done with this form, or None."""
        numbers = self.numbers()
        if not numbers:
            return _("请先勾选办件")
        if self.op.data is None:
            return _("请选择批量操作")
        if self.op.data == "assign" and assignee is None:
            return _("请选择分派给谁")
        if len(numbers) > QUEUE_PAGE:
            return _("一次最多处理 %(n)s 件", n=QUEUE_PAGE)
        return None


# ---- moves on one case -----------------------------------------------------------------------


class MoveForm(Form):
    """Which move, at which version of the case: read before the move's own fields."""

    action = ChoiceField(choices=tuple(a.value for a in CASE_ACTIONS))
    version = VersionField()

    def chosen(self) -> Action | None:
        return Action(self.action.data) if self.action.data else None


class ActionForm(MoveForm):
    """A move's form: the reason (typed, or a canned note of the office) and the move's own
    fields, added per move by :func:`action_form`."""

    reason = TextField(limit=REASON_MAX)
    canned = IntField()

    move: Action
    canned_notes: Mapping[int, str] = {}
    material_codes: Sequence[str] = ()
    cooperation_count = 0
    statutory_days = 0
    late = False  # a decision made after the due date: its lateness reason is asked

    def reason_text(self) -> str:
        """The typed reason, else the chosen canned note (the select works without JS)."""
        if self.reason.data:
            return str(self.reason.data)
        return self.canned_notes.get(self.canned.data or 0, "")

    def payload(self) -> dict[str, Any]:
        """The move's own values for the service (call after ``validate``)."""
        move, payload = self.move, {}
        if move is Action.REQUEST_SUPPLEMENT:
            chosen = set(self._fields["material"].data)
            payload["items"] = [
                {"material": code, "note": self._fields[f"note_{code}"].data}
                for code in self.material_codes
                if code in chosen
            ]
        elif move is Action.REQUEST_EXTENSION:
            payload["days"] = self._fields["days"].data
        elif "coop_0" in self._fields:
            # Only whole numbers reach the service; a missing choice makes the count short and
            # the service says which choice is missing.
            offices = (self._fields[f"coop_{i}"].data for i in range(self.cooperation_count))
            payload["cooperating_offices"] = [o for o in offices if o is not None]
        elif move is Action.DELIVER:
            payload["delivery_method"] = self._fields["delivery_method"].data
            if self._fields["delivery_ref"].data:
                payload["delivery_ref"] = self._fields["delivery_ref"].data
        if "lateness_code" in self._fields:
            payload["lateness_code"] = self._fields["lateness_code"].data
            payload["lateness_note"] = self._fields["lateness_note"].data or ""
        if move is Action.REJECT:
            if self._fields["ground"].data:
                payload["ground"] = self._fields["ground"].data
            if self._fields["competent_office_hint"].data:
                payload["competent_office_hint"] = self._fields["competent_office_hint"].data
            # The default as the form showed it (in the page's language) is kept as the default.
            payload["appeal_rights"] = notices.appeal_rights(self._fields["appeal_rights"].data)
        return payload

    def field_errors(self) -> dict[str, str]:
        """Shape problems by field name (whether the move is allowed stays with the services)."""
        self.validate()
        return errors_of(self)


def _days_in_range(form: ActionForm, field: IntField) -> None:
    if field.data is None or field.data > form.statutory_days:
        raise ValidationError(_("请填写延长的工作日数（1至%(n)s）", n=form.statutory_days))


def _delivery_method(form: ActionForm, field: ChoiceField) -> None:
    if field.data is None:
        raise ValidationError(_("请选择送达方式"))


def _ref_when_posted(form: ActionForm, field: LineField) -> None:
    if form._fields["delivery_method"].data == DeliveryMethod.POST and not field.data:
        raise ValidationError(_("邮寄送达请填写快递单号"))


def _competent_office_named(form: ActionForm, field: LineField) -> None:
    if form._fields["ground"].data == RejectGround.NOT_COMPETENT and not field.data:
        raise ValidationError(_("不属于本机关职权范围的，须告知申请人向哪个有权机关申请"))


def _lateness_code(form: ActionForm, field: ChoiceField) -> None:
    if field.data is None:
        raise ValidationError(_("已超过承诺办结日期，请选择逾期原因"))


def _lateness_note(form: ActionForm, field: TextField) -> None:
    if form._fields["lateness_code"].data == "other" and not field.data:
        raise ValidationError(_("逾期原因为“其他”时，请写明具体原因"))


def _lateness_fields() -> dict[str, Field]:
    return {
        "lateness_code": ChoiceField(choices=tuple(LATENESS_REASONS), validators=[_lateness_code]),
        "lateness_note": TextField(limit=LATENESS_NOTE_MAX, validators=[_lateness_note]),
    }


def _move_fields(
    move: Action, material_codes: Sequence[str], cooperation_count: int
) -> dict[str, Field]:
    if move is Action.REQUEST_SUPPLEMENT:
        return {
            "material": ListField(limit=64),
            **{f"note_{code}": TextField(limit=NOTE_MAX) for code in material_codes},
        }
    if move is Action.REQUEST_EXTENSION:
        return {"days": IntField(lo=1, hi=1000, validators=[_days_in_range])}
    if move in (Action.START_PROCESSING, Action.SEND_CONTACT_LETTERS) and cooperation_count:
        return {f"coop_{i}": IntField() for i in range(cooperation_count)}
    if move is Action.DELIVER:
        return {
            "delivery_method": ChoiceField(choices=DELIVERY_METHODS, validators=[_delivery_method]),
            "delivery_ref": LineField(limit=64, validators=[_ref_when_posted]),
        }
    if move is Action.REJECT:
        return {
            "ground": ChoiceField(choices=REJECT_GROUNDS),
            "competent_office_hint": LineField(
                limit=HINT_MAX, validators=[_competent_office_named]
            ),
            "appeal_rights": TextField(limit=APPEAL_MAX),
        }
    return {}


def action_form(
    move: Action,
    *,
    material_codes: Sequence[str],
    canned: Mapping[int, str],
    cooperation_count: int,
    statutory_days: int,
    late: bool = False,
) -> ActionForm:
    """The posted form of ``move`` on a case: its fields depend on the case's service (the
    materials one may ask for, the cooperating roles) and on the office's canned notes."""
    attrs: dict[str, Any] = {
        "move": move,
        "canned_notes": dict(canned),
        "material_codes": tuple(material_codes),
        "cooperation_count": cooperation_count,
        "statutory_days": statutory_days,
        "late": late,
        **_move_fields(move, material_codes, cooperation_count),
        **(_lateness_fields() if late and move in DECISION_ACTIONS else {}),
    }
    form_class = type(f"{move.name.title().replace('_', '')}Form", (ActionForm,), attrs)
    return form_class()  # type: ignore[no-any-return]


class AssignForm(Form):
    version = VersionField()
    op = ChoiceField(choices=("claim", "release", "assign"))
    assignee = LineField(limit=16)


class DeliveryUpdateForm(Form):
    """A posted result signed for, or a counter result collected (with the pickup code)."""

    version = VersionField()
    code = LineField(limit=16)


class RevealForm(Form):
    reason = TextField(limit=REVEAL_REASON_MAX)


class SubtaskForm(Form):
    action = ChoiceField(choices=tuple(a.value for a in SUBTASK_TRANSITIONS_BY_ACTION))
    version = VersionField()
    reason = TextField(limit=REASON_MAX)

    def chosen(self) -> Action | None:
        return Action(self.action.data) if self.action.data else None


class NoteForm(Form):
    """A canned note: which kind (the service refuses unknown kinds) and its text."""

    kind = LineField(limit=32, default="supplement")
    text = TextField(limit=CANNED_TEXT_MAX)


class WebhookForm(Form):
    """A webhook endpoint: its URL and the event types (none chosen: every event)."""

    url = LineField(limit=600)
    events = ListField(limit=48)
