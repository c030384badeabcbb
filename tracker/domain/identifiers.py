"""Identifiers: tracking numbers (办件编号), resident IDs (GB 11643-1999), mobile numbers.

Both check characters use ISO 7064 MOD 11-2 (weights 2^k mod 11, check value 0-9 or X), which
catches every single-character substitution and every adjacent transposition.

Only ASCII digits are digits here: full-width digits (０-９), other Unicode digits and invisible
characters such as the zero-width space are refused, never silently normalised.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from tracker.domain.errors import (
    InvalidPhone,
    InvalidResidentId,
    InvalidTrackingNumber,
)
from tracker.domain.text import N_

__all__ = [
    "PROVINCE_CODES",
    "birth_date_of",
    "iso7064_mod11_2",
    "make_tracking_number",
    "mask_phone",
    "mask_resident_id",
    "normalize_mobile",
    "normalize_tracking_number",
    "parse_tracking_number",
    "phone_last4",
    "tracking_check_char",
    "validate_resident_id",
]

ASCII_DIGITS: Final = frozenset("0123456789")
_CHECK_CHARS: Final = "0123456789X"

#: Province-level codes of GB/T 2260 (first two digits of a region code / resident ID).
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
    + ["71", "81", "82"]
)

_EARLIEST_BIRTH: Final = date(1900, 1, 1)


def iso7064_mod11_2(body: str) -> str:
    """ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for a string of ASCII digits.

    Weight of the digit at position ``i`` (0-based, from the left) is ``2**(n - i) mod 11``;
    for an 18-character resident ID that is 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
    """
    if not body or any(c not in ASCII_DIGITS for c in body):
        raise ValueError("body must be a non-empty string of ASCII digits")
    n = len(body)
    total = sum(int(c) * pow(2, n - i, 11) for i, c in enumerate(body))
    return _CHECK_CHARS[(12 - total % 11) % 11]


def _drop_separators(text: str) -> str:
    """Strip, then remove inner whitespace and hyphens (ASCII '-' and full-width '－')."""
    return "".join(c for c in text.strip() if not c.isspace() and c not in "-－")


# --- tracking numbers -------------------------------------------------------------------------

TRACKING_BODY_LENGTH: Final = 14
TRACKING_LENGTH: Final = TRACKING_BODY_LENGTH + 1
MAX_TRACKING_SERIAL: Final = 999_999


def tracking_check_char(body: str) -> str:
    """Check character over a 14-digit tracking-number body."""
    if any(c not in ASCII_DIGITS for c in body):
        raise InvalidTrackingNumber("办件编号主体只能包含半角数字", code="characters")
    if len(body) != TRACKING_BODY_LENGTH:
        raise InvalidTrackingNumber(
            f"办件编号主体应为{TRACKING_BODY_LENGTH}位半角数字", code="length"
        )
    return iso7064_mod11_2(body)


def make_tracking_number(province2: str, day: date, serial: int) -> str:
    """``province2`` (2 digits) + ``yymmdd`` + 6-digit ``serial`` + check character."""
    if province2 not in PROVINCE_CODES:
        raise InvalidTrackingNumber(
            f"省级行政区代码 {province2!r} 不正确（应为两位数字，如 51 四川、50 重庆）",
            code="province",
        )
    if (
        isinstance(serial, bool)
        or not isinstance(serial, int)
        or not (1 <= serial <= MAX_TRACKING_SERIAL)
    ):
        raise InvalidTrackingNumber(
            f"办件流水号必须在 1 到 {MAX_TRACKING_SERIAL} 之间，而不是 {serial!r}", code="serial"
        )
    body = f"{province2}{day:%y%m%d}{serial:06d}"
    return body + iso7064_mod11_2(body)


def normalize_tracking_number(text: str) -> str:
    """Strip whitespace, drop inner spaces and hyphens, upper-case ``x``. Does not validate."""
    return _drop_separators(text).replace("x", "X")


def parse_tracking_number(text: str) -> str:
    """The normalised tracking number, or :class:`InvalidTrackingNumber` with ``code``
    ``characters``, ``length`` or ``check``."""
    value = normalize_tracking_number(text)
    if any(c not in ASCII_DIGITS and c != "X" for c in value):
        raise InvalidTrackingNumber(
            N_("办件编号只能包含半角数字和末位的 X，请使用半角数字"), code="characters"
        )
    if len(value) != TRACKING_LENGTH:
        raise InvalidTrackingNumber(
            N_(
                "办件编号应为%(length)s位（目前为%(n)s位），请核对",
                length=TRACKING_LENGTH,
                n=len(value),
            ),
            code="length",
        )
    body, check = value[:-1], value[-1]
    if "X" in body:
        raise InvalidTrackingNumber(N_("办件编号中只有最后一位可以是 X"), code="characters")
    if iso7064_mod11_2(body) != check:
        raise InvalidTrackingNumber(
            N_("办件编号校验位不符，请核对是否有输错或颠倒的数字"), code="check"
        )
    return value


# --- resident ID ------------------------------------------------------------------------------

RESIDENT_ID_LENGTH: Final = 18


def validate_resident_id(text: str, today: date) -> str:
    """The normalised 18-character resident ID, or :class:`InvalidResidentId`.

    Normalisation is limited to stripping surrounding whitespace and upper-casing a final
    ``x``. Faults, checked in this order (``code``): ``characters``, ``length``, ``region``,
    ``birth_date`` (not a real date, or before 1900-01-01), ``future_birth`` (after
    ``today``), ``check_digit``.
    """
    value = text.strip()
    if value[-1:] == "x":
        value = value[:-1] + "X"
    if any(c not in ASCII_DIGITS and c != "X" for c in value):
        raise InvalidResidentId(
            N_("身份证号码只能包含数字和末位的 X，请使用半角数字，不要夹带空格或其他符号"),
            code="characters",
        )
    if len(value) != RESIDENT_ID_LENGTH:
        raise InvalidResidentId(
            N_(
                "身份证号码应为18位（目前为%(n)s位）；仅受理18位的第二代居民身份证号码",
                n=len(value),
            ),
            code="length",
        )
    if "X" in value[:-1]:
        raise InvalidResidentId(
            N_("身份证号码只有最后一位（校验码）可以是 X，请使用半角数字"), code="characters"
        )
    if value[:2] not in PROVINCE_CODES:
        raise InvalidResidentId(
            N_("身份证号码前两位 %(code)s 不是有效的省级行政区代码，请核对", code=value[:2]),
            code="region",
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born < _EARLIEST_BIRTH:
        raise InvalidResidentId(
            N_("身份证号码中的出生日期 %(date)s 不是有效日期，请核对第7至14位", date=value[6:14]),
            code="birth_date",
        )
    if born > today:
        raise InvalidResidentId(
            N_("身份证号码中的出生日期 %(date)s 晚于今天，请核对第7至14位", date=born.isoformat()),
            code="future_birth",
        )
    if iso7064_mod11_2(value[:-1]) != value[-1]:
        raise InvalidResidentId(
            N_("身份证号码校验码不符，请核对是否有输错或颠倒的数字"), code="check_digit"
        )
    return value


def birth_date_of(resident_id: str) -> date:
    """Birth date encoded in a (validated) 18-character resident ID."""
    if len(resident_id) != RESIDENT_ID_LENGTH:
        raise ValueError("expected an 18-character resident ID")
    v = resident_id
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def _mask(value: str, keep_head: int, keep_tail: int) -> str:
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    hidden = len(value) - keep_head - keep_tail
    return value[:keep_head] + "*" * hidden + value[len(value) - keep_tail :]


def mask_resident_id(resident_id: str) -> str:
    """First 4 + ``*`` + last 4: ``510104199001011234`` → ``5101**********1234``.

    Anything of 8 characters or fewer is masked completely.
    """
    return _mask(resident_id.strip(), 4, 4)


# --- mobile phones ----------------------------------------------------------------------------

_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}", re.ASCII)


def normalize_mobile(text: str) -> str:
    """An 11-digit mainland mobile number, or :class:`InvalidPhone`.

    Spaces and hyphens are dropped, then one ``+86`` / ``0086`` / ``86`` country prefix.
    """
    value = _drop_separators(text)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not _MOBILE.fullmatch(value):
        raise InvalidPhone(N_("请输入正确的11位中国大陆手机号码（半角数字，如 13900000001）"))
    return value


def mask_phone(phone: str) -> str:
    """``13900000001`` → ``139****0001``; other lengths keep only the last 4 characters."""
    value = phone.strip()
    if len(value) == 11:
        return _mask(value, 3, 4)
    return _mask(value, 0, 4)


def phone_last4(phone: str) -> str:
    """Last four digits of a mobile number (after :func:`normalize_mobile`)."""
    return normalize_mobile(phone)[-4:]
