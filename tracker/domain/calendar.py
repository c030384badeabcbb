"""China's official working-day calendar (法定节假日 and 调休), as a pure value object.

Two sources, in order of precedence for a given year:

1. a :class:`YearTable` loaded by an admin from the State Council notice (国务院办公厅关于
   ××年部分节假日安排的通知), e.g. next year's schedule before the package knows it;
2. the ``chinesecalendar`` package (import name ``chinese_calendar``).

A year neither source knows raises :class:`UnknownCalendarYear`: a legal deadline is never
guessed from plain weekends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Final

import chinese_calendar  # type: ignore[import-untyped]

from tracker.domain.errors import InvalidYearTable, UnknownCalendarYear

__all__ = [
    "DEFAULT_HOLIDAY_NAME",
    "WorkingCalendar",
    "YearTable",
    "parse_year_table",
    "year_table_to_dict",
]

#: Name used by :func:`year_table_to_dict` for holiday dates that carry no name.
DEFAULT_HOLIDAY_NAME: Final = "法定节假日"

_MIN_YEAR: Final = 1949
_MAX_YEAR: Final = 2200
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOP_KEYS: Final = frozenset({"year", "source", "holidays", "workdays"})
_HOLIDAY_KEYS: Final = frozenset({"name", "days"})
_ONE_DAY: Final = timedelta(days=1)


@dataclass(frozen=True)
class YearTable:
    """One year's official schedule.

    ``holidays`` are the days off, including the weekend days inside a holiday block;
    ``workdays`` are the adjusted working weekends (调休上班). Every other day follows the
    Monday-to-Friday rule. ``holiday_names`` optionally names holiday dates (e.g. 春节).
    Construction validates the table and raises :class:`InvalidYearTable`.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""
    holiday_names: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise InvalidYearTable("年份必须是整数，例如 2027")
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise InvalidYearTable(f"年份 {self.year} 不在允许范围（{_MIN_YEAR}–{_MAX_YEAR}）内")
        # Accept any iterable of dates, store immutable copies.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "holiday_names", MappingProxyType(dict(self.holiday_names)))
        self._check_days()
        self._check_names()

    def _check_days(self) -> None:
        for label, days in (("放假日期", self.holidays), ("调休上班日期", self.workdays)):
            for d in sorted(days):
                if type(d) is not date:
                    raise InvalidYearTable(f"{label}中含有非日期的值：{d!r}")
                if d.year != self.year:
                    raise InvalidYearTable(
                        f"{label} {d.isoformat()} 不在 {self.year} 年内，请核对年份"
                    )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise InvalidYearTable(
                f"{both[0].isoformat()} 同时被列为放假日和调休上班日，请核对官方通知"
            )
        for d in sorted(self.workdays):
            if d.weekday() < 5:
                raise InvalidYearTable(
                    f"调休上班日 {d.isoformat()} 不是周六或周日（工作日本来就上班，无需列出）"
                )

    def _check_names(self) -> None:
        for d, name in self.holiday_names.items():
            if d not in self.holidays:
                raise InvalidYearTable(f"节日名称对应的日期 {d!r} 不在放假日期中")
            if not isinstance(name, str) or not name.strip():
                raise InvalidYearTable(f"{d.isoformat()} 的节日名称不能为空")

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (which must lie in :attr:`year`) is a working day under this table."""
        if d.year != self.year:
            raise ValueError(f"{d} is outside the {self.year} table")
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


def _parse_iso_date(value: object, where: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise InvalidYearTable(
            f"{where}：日期 {value!r} 格式不对，应为 YYYY-MM-DD，例如 2027-01-01"
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidYearTable(f"{where}：{value} 不是真实存在的日期") from None


def _require_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidYearTable(f"{where} 必须是列表")
    return value


def _header(data: Mapping[str, Any]) -> tuple[int, str]:
    """The table's keys checked; its year and source."""
    if not isinstance(data, Mapping):
        raise InvalidYearTable("节假日安排文件的内容必须是一个 JSON 对象")
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        raise InvalidYearTable(
            f"无法识别的字段：{', '.join(unknown)}（允许：year, source, holidays, workdays）"
        )
    for key in ("year", "holidays", "workdays"):
        if key not in data:
            raise InvalidYearTable(f"缺少必填字段 {key}")
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidYearTable(f"year 必须是整数年份（例如 2027），而不是 {year!r}")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise InvalidYearTable("source 必须是文字（官方通知的标题）")
    return year, source


def _holiday_name(block: object, where: str) -> str:
    if not isinstance(block, Mapping):
        raise InvalidYearTable(f'{where} 必须是形如 {{"name": ..., "days": [...]}} 的对象')
    extra = sorted(str(k) for k in block if k not in _HOLIDAY_KEYS)
    if extra:
        raise InvalidYearTable(f"{where} 含有无法识别的字段：{', '.join(extra)}")
    name = block.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidYearTable(f"{where} 缺少节日名称 name")
    return name.strip()


def _holiday_blocks(value: object) -> tuple[set[date], dict[date, str]]:
    """The holiday blocks: every day off, each with its holiday's name."""
    holidays: set[date] = set()
    names: dict[date, str] = {}
    blocks = _require_list(value, "holidays")
    if not blocks:
        raise InvalidYearTable("holidays 不能为空：官方安排每年都有法定节假日")
    for i, block in enumerate(blocks, start=1):
        name = _holiday_name(block, f"holidays 第{i}项")
        where = f"holidays「{name}」"
        days = _require_list(block.get("days"), f"{where} 的 days")
        if not days:
            raise InvalidYearTable(f"{where} 的 days 不能为空")
        for raw in days:
            d = _parse_iso_date(raw, where)
            if d in holidays:
                raise InvalidYearTable(f"{where}：放假日期 {d.isoformat()} 重复列出")
            holidays.add(d)
            names[d] = name
    return holidays, names


def parse_year_table(data: Mapping[str, Any]) -> YearTable:
    """Validate and parse one year's official schedule in the ``holidays load`` JSON format::

        {"year": 2027,
         "source": "国务院办公厅关于2027年部分节假日安排的通知",
         "holidays": [{"name": "元旦", "days": ["2027-01-01", "2027-01-02"]}],
         "workdays": ["2027-02-07"]}

    ``source`` is optional. Unknown keys, duplicate dates, dates outside ``year``, a date that
    is both a holiday and a workday, and workdays that are not Saturday/Sunday are refused with
    :class:`InvalidYearTable` (Chinese ``message``).
    """
    year, source = _header(data)
    holidays, names = _holiday_blocks(data["holidays"])
    workdays: set[date] = set()
    for raw in _require_list(data["workdays"], "workdays"):
        d = _parse_iso_date(raw, "workdays")
        if d in workdays:
            raise InvalidYearTable(f"workdays：调休上班日期 {d.isoformat()} 重复列出")
        workdays.add(d)

    return YearTable(
        year=year,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        source=source.strip(),
        holiday_names=names,
    )


def year_table_to_dict(table: YearTable) -> dict[str, Any]:
    """The JSON form read by :func:`parse_year_table` (round trip for named tables).

    Holiday dates are grouped by name, groups ordered by their first date; dates without a
    name are grouped under :data:`DEFAULT_HOLIDAY_NAME`.
    """
    groups: dict[str, list[date]] = {}
    for d in sorted(table.holidays):
        groups.setdefault(table.holiday_names.get(d, DEFAULT_HOLIDAY_NAME), []).append(d)
    return {
        "year": table.year,
        "source": table.source,
        "holidays": [
            {"name": name, "days": [d.isoformat() for d in days]} for name, days in groups.items()
        ],
        "workdays": [d.isoformat() for d in sorted(table.workdays)],
    }


def _package_years() -> frozenset[int]:
    """Years the installed ``chinesecalendar`` can answer for (it raises outside its range)."""
    years: set[int] = set()
    holidays: Iterable[date] = chinese_calendar.holidays.keys()
    candidates = {d.year for d in holidays}
    if not candidates:
        return frozenset()
    for year in range(min(candidates), max(candidates) + 1):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


BETWEEN_CACHE_SIZE = 20_000


class WorkingCalendar:
    """Working days in mainland China.

    ``extra_tables`` (year → :class:`YearTable`) override the package for their years. With
    ``use_package=False`` only the tables count. Any question about a year that no source
    covers raises :class:`UnknownCalendarYear`. Answers are cached per instance; build a new
    calendar after loading a new table.
    """

    def __init__(
        self, extra_tables: Mapping[int, YearTable] | None = None, *, use_package: bool = True
    ) -> None:
        tables = dict(extra_tables or {})
        for key, table in tables.items():
            if key != table.year:
                raise InvalidYearTable(f"节假日安排的键 {key} 与其中的年份 {table.year} 不一致")
        self._tables: Mapping[int, YearTable] = MappingProxyType(tables)
        self._use_package = use_package
        self._cache: dict[date, bool] = {}
        self._between: dict[tuple[date, date], int] = {}
        self._package_years: frozenset[int] | None = None

    @property
    def tables(self) -> Mapping[int, YearTable]:
        """The admin-loaded tables, by year (read-only)."""
        return self._tables

    def _package_known(self) -> frozenset[int]:
        if not self._use_package:
            return frozenset()
        if self._package_years is None:
            self._package_years = _package_years()
        return self._package_years

    def covers(self, year: int) -> bool:
        """Whether working days of ``year`` can be answered (table or package)."""
        return year in self._tables or year in self._package_known()

    def known_years(self) -> frozenset[int]:
        """Every year this calendar can answer for."""
        return frozenset(self._tables) | self._package_known()

    def source_of(self, year: int) -> str:
        """Where ``year`` comes from: ``"table"``, ``"package"``; raises if unknown."""
        if year in self._tables:
            return "table"
        if year in self._package_known():
            return "package"
        raise UnknownCalendarYear(year)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is an official working day. Raises :class:`UnknownCalendarYear`."""
        cached = self._cache.get(d)
        if cached is not None:
            return cached
        if type(d) is not date:
            raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
        table = self._tables.get(d.year)
        if table is not None:
            result = table.is_working_day(d)
        elif self._use_package:
            try:
                result = bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                raise UnknownCalendarYear(d.year) from None
        else:
            raise UnknownCalendarYear(d.year)
        self._cache[d] = result
        return result

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day strictly after ``start`` (``n == 0`` returns ``start``)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days ``d`` satisfy ``start < d <= end`` (0 when ``end <= start``).

        Cached per pair: a queue asks it for every row (up to a year of days each), and most
        rows of a day share their due dates. An unknown year raises and caches nothing."""
        key = (start, end)
        cached = self._between.get(key)
        if cached is not None:
            return cached
        count = 0
        d = start + _ONE_DAY
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += _ONE_DAY
        if len(self._between) >= BETWEEN_CACHE_SIZE:
            self._between.clear()  # bounded: a long-lived process sees every day pass
        self._between[key] = count
        return count
