"""The calendar section of the admin console: which years the working-day calendar knows and
from where, a year's official schedule checked line by line and previewed month by month, and
loading it — the table stored, the due dates that waited for it filled in, their applicants
told and the change recorded, all in one transaction (docs/holidays.md)."""

from __future__ import annotations

import calendar as monthly
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..domain.calendar import YearTable, parse_year_table, year_table_to_dict
from ..domain.errors import InvalidYearTable, UnknownCalendarYear
from ..domain.messages import DUE_DATE_FIXED, due_date_fixed_notice
from ..domain.states import Role
from ..domain.text import N_, Text
from ..extensions import db
from ..models import Case, HolidayTable, Notification, OutboxMessage, User
from . import admin_changes
from .calendar import calendar_with, get_calendar, store_year_table, table_summary
from .deadlines import fill_pending, refresh_act_by_in

MAX_FILE_BYTES = 64 * 1024  # a year's schedule is a few kilobytes
BANNER_FROM_MONTH = 11  # from 1 November staff are told when next year is not loaded
STAFF = frozenset({Role.CLERK, Role.SUPERVISOR, Role.ADMIN})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOP_KEYS = ("year", "source", "holidays", "workdays")


# ---- the years known ------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownYear:
    year: int
    source: str  # "table", "package" or "missing"
    notice: str = ""  # the official notice a loaded table names
    loaded_at: datetime | None = None
    loaded_by: str = ""
    waiting: int = 0  # cases whose due date waits for this year


def known_years(today: date) -> list[KnownYear]:
    """Last year, this year, next year and every loaded table, newest first; a year no source
    knows is listed as missing with how many due dates wait for it."""
    cal = get_calendar()
    rows = {r.year: r for r in db.session.scalars(sa.select(HolidayTable))}
    counted: list[tuple[int | None, int]] = [
        (row[0], row[1])
        for row in db.session.execute(
            sa.select(Case.due_pending_year, sa.func.count(Case.id))
            .where(Case.due_pending_year.is_not(None))
            .group_by(Case.due_pending_year)
        )
    ]
    waiting = {year: n for year, n in counted if year is not None}
    years = {today.year - 1, today.year, today.year + 1} | set(rows) | set(waiting)
    found: list[KnownYear] = []
    for year in sorted(years, reverse=True):
        row = rows.get(year)
        if row is not None:
            found.append(
                KnownYear(
                    year, "table", row.source, row.loaded_at, row.loaded_by, waiting.get(year, 0)
                )
            )
        elif cal.covers(year):
            found.append(KnownYear(year, "package", waiting=waiting.get(year, 0)))
        else:
            found.append(KnownYear(year, "missing", waiting=waiting.get(year, 0)))
    return found


def package_last_year() -> int | None:
    """The last year the installed ``chinesecalendar`` package knows."""
    cal = get_calendar()
    known = [y for y in cal.known_years() if cal.source_of(y) == "package"]
    return max(known) if known else None


def missing_next_year(today: date) -> int | None:
    """Next year, when it is 1 November or later and no source knows next year; else None.
    Before November it asks nothing; after, one cached look at the loaded tables."""
    if today.month < BANNER_FROM_MONTH:
        return None
    year = today.year + 1
    try:
        known = get_calendar().covers(year)
    except sa.exc.SQLAlchemyError:
        return None  # every page shows the banner: a broken database must not break them
    return None if known else year


# ---- checking a file, line by line ----------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int | None  # 1-based line of the file, None when it is about the file as a whole
    message: Text


@dataclass
class Checked:
    """A file checked: the table when it is good, else every error found (by line)."""

    text: str
    table: YearTable | None = None
    errors: list[LineError] = field(default_factory=list)


class _Lines:
    """Where each quoted string first (then next) appears in the file, to name its line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._seen: Counter[str] = Counter()

    def of_key(self, key: str) -> int | None:
        found = re.search(r'"' + re.escape(key) + r'"\s*:', self.text)
        return self.text.count("\n", 0, found.start()) + 1 if found else None

    def of_value(self, value: object) -> int | None:
        needle = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else None
        if needle is None:
            return None
        n = self._seen[needle]
        self._seen[needle] += 1
        start = -1
        for _ in range(n + 1):
            start = self.text.find(needle, start + 1)
            if start < 0:
                return None
        return self.text.count("\n", 0, start) + 1


def _date_of(raw: object, year: int | None) -> tuple[date | None, Text | None]:
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        return None, N_(
            "日期 %(value)s 格式不对，应为 YYYY-MM-DD，例如 2027-01-01", value=repr(raw)
        )
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        return None, N_("%(value)s 不是真实存在的日期", value=raw)
    if year is not None and d.year != year:
        return None, N_("%(value)s 不在 %(year)s 年内，请核对年份", value=raw, year=year)
    return d, None


def check_file(text: str) -> Checked:
    """Check a schedule file (docs/holidays.md) and report every error with its line;
    the table when there is none."""
    checked = Checked(text=text)
    errors = checked.errors
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.append(LineError(exc.lineno, N_("不是有效的 JSON：%(problem)s", problem=exc.msg)))
        return checked
    if not isinstance(data, dict):
        errors.append(LineError(1, N_("文件内容必须是一个 JSON 对象（以 { 开头）")))
        return checked
    lines = _Lines(text)
    year = _check_header(data, lines, errors)
    holidays: set[date] = set()
    blocks = data.get("holidays")
    if "holidays" in data and (not isinstance(blocks, list) or not blocks):
        errors.append(
            LineError(lines.of_key("holidays"), N_("holidays 必须是列出各个节日的非空列表"))
        )
    for block in blocks if isinstance(blocks, list) else []:
        _check_block(block, year, lines, holidays, errors)
    raw_workdays = data.get("workdays")
    if "workdays" in data and not isinstance(raw_workdays, list):
        errors.append(LineError(lines.of_key("workdays"), N_("workdays 必须是日期列表")))
    seen: set[date] = set()
    for raw in raw_workdays if isinstance(raw_workdays, list) else []:
        line = lines.of_value(raw)
        problem = _workday_problem(raw, year, holidays, seen)
        if problem is not None:
            errors.append(LineError(line, problem))
    if errors:
        return checked
    try:
        checked.table = parse_year_table(data)
    except InvalidYearTable as exc:  # a rule the line checks above do not know (yet)
        errors.append(LineError(None, N_("%(problem)s", problem=exc.message)))
    return checked


def _check_header(data: dict[str, object], lines: _Lines, errors: list[LineError]) -> int | None:
    """The top-level keys checked; the year when it is one."""
    for key in sorted(str(k) for k in data if k not in _TOP_KEYS):
        errors.append(
            LineError(
                lines.of_key(key),
                N_("无法识别的字段 %(key)s（允许：year, source, holidays, workdays）", key=key),
            )
        )
    for key in ("year", "holidays", "workdays"):
        if key not in data:
            errors.append(LineError(None, N_("缺少必填字段 %(key)s", key=key)))
    if not isinstance(data.get("source", ""), str):
        errors.append(LineError(lines.of_key("source"), N_("source 必须是文字（官方通知的标题）")))
    year = data.get("year")
    if isinstance(year, int) and not isinstance(year, bool) and 1949 <= year <= 2200:
        return year
    if "year" in data:
        errors.append(LineError(lines.of_key("year"), N_("year 必须是年份数字，例如 2027")))
    return None


def _workday_problem(
    raw: object, year: int | None, holidays: set[date], seen: set[date]
) -> Text | None:
    d, problem = _date_of(raw, year)
    if problem is not None or d is None:
        return problem or N_("日期无效")
    if d in seen:
        return N_("调休上班日 %(day)s 重复列出", day=raw)
    seen.add(d)
    if d in holidays:
        return N_("%(day)s 同时被列为放假日和调休上班日，请核对官方通知", day=raw)
    if d.weekday() < 5:
        return N_("调休上班日 %(day)s 不是周六或周日（工作日本来就上班，无需列出）", day=raw)
    return None


def _check_block(
    block: object,
    year: int | None,
    lines: _Lines,
    holidays: set[date],
    errors: list[LineError],
) -> None:
    if (
        not isinstance(block, dict)
        or not isinstance(block.get("name"), str)
        or not block["name"].strip()
    ):
        errors.append(
            LineError(
                lines.of_key("holidays"),
                N_('holidays 的每一项须形如 {"name": "春节", "days": [...]}'),
            )
        )
        return
    name = block["name"]
    name_line = lines.of_value(name)
    extra = sorted(str(k) for k in block if k not in ("name", "days"))
    if extra:
        errors.append(
            LineError(
                name_line,
                N_("「%(name)s」含有无法识别的字段：%(keys)s", name=name, keys=", ".join(extra)),
            )
        )
    days = block.get("days")
    if not isinstance(days, list) or not days:
        errors.append(LineError(name_line, N_("「%(name)s」的 days 须为非空的日期列表", name=name)))
        return
    for raw in days:
        line = lines.of_value(raw)
        d, problem = _date_of(raw, year)
        if problem is not None or d is None:
            errors.append(LineError(line, problem or N_("日期无效")))
        elif d in holidays:
            errors.append(LineError(line, N_("放假日期 %(day)s 重复列出", day=raw)))
        else:
            holidays.add(d)


def read_upload(data: bytes) -> Checked:
    """An uploaded file's text (UTF-8, a byte-order mark allowed), checked."""
    if len(data) > MAX_FILE_BYTES:
        return Checked(text="", errors=[LineError(None, N_("文件过大（最多 64 KB）"))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Checked(text="", errors=[LineError(None, N_("文件须为 UTF-8 编码的 JSON 文本"))])
    return check_file(text)


def file_text(table: YearTable) -> str:
    """The table as the file format, for the preview's confirm form."""
    return json.dumps(year_table_to_dict(table), ensure_ascii=False, indent=2)


# ---- the month-by-month preview -------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    kind: str  # "holiday", "workday" (调休上班), "weekend", "weekday"
    name: str = ""  # the holiday's name


@dataclass(frozen=True)
class Month:
    month: int
    weeks: list[list[Day | None]]  # Monday first; None pads the first and last week
    holidays: int
    workdays: int


def preview(table: YearTable) -> list[Month]:
    months: list[Month] = []
    grid = monthly.Calendar(firstweekday=0)
    for m in range(1, 13):
        weeks: list[list[Day | None]] = []
        for week in grid.monthdatescalendar(table.year, m):
            weeks.append([_day(table, d) if d.month == m else None for d in week])
        in_month = [d for d in table.holidays if d.month == m]
        months.append(
            Month(m, weeks, len(in_month), len([d for d in table.workdays if d.month == m]))
        )
    return months


def _day(table: YearTable, d: date) -> Day:
    if d in table.holidays:
        return Day(d, "holiday", table.holiday_names.get(d, ""))
    if d in table.workdays:
        return Day(d, "workday")
    return Day(d, "weekend" if d.weekday() >= 5 else "weekday")


# ---- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    year: int
    replaced: bool
    filled: int  # due dates now fixed (their applicants told)
    act_by: int  # office deadlines now fixed


def load_year(table: YearTable, *, actor: User, now: datetime, ip: str | None) -> LoadReport:
    """Store the table, fill in the due dates and office deadlines that waited for it, tell
    those applicants, and record the change — one transaction: all of it or none."""
    with write_transaction() as session:
        before = store_year_table(
            session, table, loaded_by=actor.username or str(actor.id), now=now
        )
        cal = calendar_with(session, table)
        filled = fill_pending(session, cal)
        fixed = refresh_act_by_in(session, cal)
        for case in filled:
            _tell_applicant(session, case, table.year, now)
        admin_changes.record_change(
            session,
            actor=actor,
            at=now,
            kind="calendar",
            key=table.year,
            change="loaded",
            before=before,
            after=table_summary(table),
            ip=ip,
            note=f"due dates filled: {len(filled)}",
        )
    return LoadReport(table.year, before is not None, len(filled), fixed)


def _tell_applicant(session: Session, case: Case, year: int, now: datetime) -> None:
    if case.due_on is None:
        return
    title, lines = due_date_fixed_notice(
        service_name=case.service.name_zh,
        tracking_number=case.tracking_number,
        year=year,
        due_on=case.due_on,
    )
    body = "\n".join(lines)
    note = Notification(
        user_id=case.applicant_id,
        case_id=case.id,
        created_at=now,
        title=str(title),
        body=body,
        params={
            "notice": DUE_DATE_FIXED,
            "service_zh": case.service.name_zh,
            "service_en": case.service.name_en,
            "tracking_number": case.tracking_number,
            "year": year,
            "due_on": case.due_on.isoformat(),
        },
    )
    session.add(note)
    session.flush()
    applicant = case.applicant
    for channel, recipient, subject in (
        ("sms", applicant.phone, str(title)),
        ("email", applicant.email, f"【通办】{title}"),
    ):
        if recipient:
            session.add(
                OutboxMessage(
                    notification_id=note.id,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    created_at=now,
                )
            )
            session.info.setdefault("wake", set()).add("outbox")


def history(year: int) -> list[admin_changes.Change]:
    return admin_changes.history("calendar", year)


def is_known(year: int) -> bool:
    try:
        get_calendar().source_of(year)
    except UnknownCalendarYear:
        return False
    return True
