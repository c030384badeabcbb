"""Password policy (等保 2.0 level 3 and OWASP ASVS 4.0.3 level 2, SECURITY.md).

A password is refused when it is shorter than 12 or longer than 128 characters, uses fewer
than three of the four character classes (upper case, lower case, digits, symbols), is on the
bundled list of common and breached passwords — alone or with only digits and symbols added
before or after it (``Password2026!``) — or contains the person's own data: the phone number,
the birth date or the last six characters of the resident ID, the username. Comparisons
ignore case. Pure: no Flask, no database; the caller passes the personal values.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Final

from .text import N_

__all__ = [
    "MAX_LENGTH",
    "MIN_CLASSES",
    "MIN_LENGTH",
    "RULES",
    "character_classes",
    "common_passwords",
    "is_common",
    "password_problems",
]

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 128
MIN_CLASSES: Final = 3
#: Shortest list entry that still refuses a password made of it plus digits and symbols.
_MIN_CORE: Final = 6
#: Shortest personal value (username, other text) looked for inside a password.
_MIN_PERSONAL: Final = 4

TOO_SHORT: Final = N_("密码至少需要%(n)s个字符", n=MIN_LENGTH)
TOO_LONG: Final = N_("密码不能超过%(n)s个字符", n=MAX_LENGTH)
TOO_FEW_CLASSES: Final = N_("密码须包含大写字母、小写字母、数字、符号四类中的至少三类")
TOO_REPETITIVE: Final = N_("密码中重复的字符过多，请使用更多不同的字符")
COMMON: Final = N_("这是常见或已泄露的密码（或只在其前后加了数字、符号），很容易被猜中，请换一个")
PERSONAL: Final = N_("密码不能包含您的手机号、身份证号中的出生日期或后六位、用户名等个人信息")
CONTROL: Final = N_("密码不能包含换行、制表符等控制字符")

#: The rules in words, for the page that asks for a new password.
RULES: Final[tuple[str, ...]] = (
    N_("%(min)s至%(max)s个字符", min=MIN_LENGTH, max=MAX_LENGTH),
    N_("包含大写字母、小写字母、数字、符号中的至少三类"),
    N_("不能是常见或已泄露的密码（如 Aa123456!、woaini1314）"),
    N_("不能包含手机号、身份证号中的出生日期或后六位、用户名"),
)

_DATA: Final = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (lower case). Lines starting with ``#`` are comments."""
    with _DATA.open(encoding="utf-8") as f:
        return frozenset(
            line.strip().casefold() for line in f if line.strip() and not line.startswith("#")
        )


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols ``password`` uses.

    Letters without case (Chinese characters) and other non-ASCII characters count as
    symbols; only ASCII 0-9 count as digits.
    """
    upper = lower = digit = symbol = False
    for c in password:
        if c.isascii() and c.isdigit():
            digit = True
        elif c.isupper():
            upper = True
        elif c.islower():
            lower = True
        else:
            symbol = True
    return sum((upper, lower, digit, symbol))


def _cores(folded: str) -> Iterable[str]:
    """``folded`` with any run of non-letters removed from its start and/or end."""
    n = len(folded)
    lead = 0
    while lead < n and not folded[lead].isalpha():
        lead += 1
    trail = n
    while trail > lead and not folded[trail - 1].isalpha():
        trail -= 1
    if lead == n:  # no letters at all: only whole-string matches make sense
        yield folded
        return
    for start in range(0, lead + 1):
        for end in range(trail, n + 1):
            yield folded[start:end]


def is_common(password: str) -> bool:
    """On the list, alone or with only digits and symbols around it (case-insensitive)."""
    folded = password.casefold()
    listed = common_passwords()
    if folded in listed:
        return True
    return any(len(core) >= _MIN_CORE and core in listed for core in _cores(folded))


def _personal_fragments(personal: Sequence[str]) -> set[str]:
    fragments: set[str] = set()
    for raw in personal:
        if not raw:
            continue
        value = "".join(c for c in raw.strip() if not c.isspace() and c not in "-－").casefold()
        if len(value) == 18 and value[:17].isascii() and value[:17].isdigit():
            # Resident ID: the whole number, its 8-digit birth date, its last six.
            fragments |= {value, value[6:14], value[-6:]}
        elif value.startswith("+86") and value[3:].isdigit():
            fragments.add(value[3:])
        elif len(value) >= _MIN_PERSONAL:
            fragments.add(value)
    return fragments


def password_problems(password: str, *, personal: Sequence[str] = ()) -> list[str]:
    """What is wrong with ``password`` (Chinese, for people); empty when it is acceptable.

    ``personal``: the person's phone number, resident ID, username… — the password may
    contain none of them (for a resident ID: neither its birth date nor its last six).
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
        return problems  # do not spend time on the rest of an oversized input
    if any(unicodedata.category(c).startswith("C") for c in password):
        problems.append(CONTROL)
    if character_classes(password) < MIN_CLASSES:
        problems.append(TOO_FEW_CLASSES)
    if password and len(set(password.casefold())) < 5:
        problems.append(TOO_REPETITIVE)
    if password and is_common(password):
        problems.append(COMMON)
    folded = password.casefold()
    if any(fragment in folded for fragment in _personal_fragments(personal)):
        problems.append(PERSONAL)
    return problems
