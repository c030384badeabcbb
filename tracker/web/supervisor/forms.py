"""The shape of what the supervisor's pages accept: the period/scope/grouping filter every page
shares (a GET form over the query string), and the two POST forms (an extension decision, a
rectification note).

Values are read through ``tracker.web.inputs`` (one date parser, one set of bounds). Anything
odd in the query string falls back to its default (the last 30 days ending today, by region,
no department, no service): a bookmarked or hand-edited URL never errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField, TextAreaField

from ...services import dashboard as dash
from ..inputs import one_line, parse_date, parse_int

GROUPS = {"region": _l("按地区"), "office": _l("按部门"), "service": _l("按事项")}
DEFAULT_DAYS, MAX_DAYS = 30, 366
SHOW = {"open": _l("未办结"), "overdue": _l("已逾期"), "all": _l("区间内全部")}
REASON_MAX = 500


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    today: date
    group: str = "region"
    dept: str | None = None
    service: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def args(self, **changes: Any) -> dict[str, str]:
        """Query arguments for a link that keeps these filters (``None`` drops one)."""
        out: dict[str, Any] = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "group": None if self.group == "region" else self.group,
            "dept": self.dept,
            "service": self.service,
        }
        out.update(changes)
        return {k: str(v) for k, v in out.items() if v is not None}

    def service_ids(self, scope: dash.Scope) -> list[int] | None:
        return scope.service_ids(service_id=self.service)


class FilterForm(Form):
    """The query string's filter fields, as typed (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    start = StringField("from")
    end = StringField("to")
    group = StringField("group")
    dept = StringField("dept")
    service = StringField("service")
    show = StringField("show")

    def __init__(self, args: MultiDict[str, str]) -> None:
        # The query string names the range "from"/"to" (a Python keyword, and kept for links).
        renamed = MultiDict(
            {
                "start": args.get("from", ""),
                "end": args.get("to", ""),
                **{k: args.get(k, "") for k in ("group", "dept", "service", "show")},
            }
        )
        super().__init__(formdata=renamed)

    def filters(self, scope: dash.Scope, today: date) -> Filters:
        """The filters, each odd value replaced by its default."""
        end = min(parse_date(self._raw("end")) or today, today)
        start = parse_date(self._raw("start")) or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end or (end - start).days + 1 > MAX_DAYS:
            start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
        group = self.group.data or "region"
        dept = self.dept.data or None
        service = parse_int(self.service.data)
        return Filters(
            start=start,
            end=end,
            today=today,
            group=group if group in GROUPS else "region",
            dept=dept if dept in scope.departments else None,
            service=service if service in scope.services else None,
        )

    def _raw(self, name: str) -> str:
        value: str = self[name].data or ""
        return value

    def show_value(self) -> str:
        """Which rectification items to list ("open" unless told otherwise)."""
        show = self.show.data or "open"
        return show if show in SHOW else "open"


def read_filters(args: MultiDict[str, str], scope: dash.Scope, today: date) -> Filters:
    return FilterForm(args).filters(scope, today)


def presets(f: Filters) -> list[tuple[str, date, date]]:
    """The quick ranges offered above every page: (label, first day, last day)."""
    t = f.today
    monday = t - timedelta(days=t.weekday())
    first = t.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return [
        (str(_l("近7天")), t - timedelta(days=6), t),
        (str(_l("近30天")), t - timedelta(days=29), t),
        (str(_l("上周")), monday - timedelta(days=7), monday - timedelta(days=1)),
        (str(_l("本月")), first, t),
        (str(_l("上月")), last_month_end.replace(day=1), last_month_end),
        (str(_l("近一年")), t - timedelta(days=365), t),
    ]


class ExtensionDecisionForm(Form):
    """Approve or refuse an extension request, with the reason the applicant is told.
    (The CSRF token is checked for every POST by the app's CSRFProtect.)"""

    class Meta:
        csrf = False

    decision = StringField("decision")
    reason = TextAreaField("reason")
    version = StringField("version")

    def approve(self) -> bool | None:
        """True (approve), False (refuse), None (neither chosen)."""
        return {"approve": True, "refuse": False}.get(self.decision.data or "")

    def reason_text(self) -> str:
        return " ".join(one_line(self.reason.data, REASON_MAX * 2).split())[:REASON_MAX]

    def expected_version(self) -> int | None:
        return parse_int(self.version.data, 0)


class RectificationNoteForm(Form):
    """What was done at the item's current stage, and the stage the page showed."""

    class Meta:
        csrf = False

    note = TextAreaField("note")
    stage = StringField("stage")

    def note_text(self, limit: int) -> str:
        return (self.note.data or "")[:limit]

    def expected_stage(self) -> str | None:
        return self.stage.data or None
