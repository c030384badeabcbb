"""Errors raised by the domain. Views show ``message``; APIs return ``code``."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused something. ``code`` is machine-readable, ``message`` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class ReasonRequired(DomainError):
    code = "reason_required"


class UnknownCalendarYear(DomainError):
    """The working-day calendar has no official table for this year: never guess a legal deadline."""

    code = "unknown_calendar_year"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year}年的法定节假日安排尚未载入，无法计算工作日（请管理员载入{year}年的官方安排）",
            code=self.code,
        )
        self.year = year


class InvalidIdentifier(DomainError):
    code = "invalid_identifier"


class InvalidYearTable(DomainError):
    """An official yearly holiday table (JSON) failed validation; nothing was loaded."""

    code = "invalid_year_table"


class InvalidPause(DomainError):
    """A clock pause interval is malformed (end before start, unknown kind)."""

    code = "invalid_pause"


class InvalidTimeLimit(DomainError):
    """A time limit (promised, extension, at-risk or 5-day limit) is negative."""

    code = "invalid_time_limit"


class InvalidTrackingNumber(InvalidIdentifier):
    """A tracking number (办件编号) is malformed.

    ``code``: length, characters, check (parsing); serial, province (making one).
    """

    code = "invalid_tracking_number"


class InvalidResidentId(InvalidIdentifier):
    """A resident ID (GB 11643-1999) is malformed.

    ``code``: length, characters, region, birth_date, future_birth, check_digit.
    """

    code = "invalid_resident_id"


class InvalidPhone(InvalidIdentifier):
    """Not a mainland-China mobile number."""

    code = "invalid_phone"
