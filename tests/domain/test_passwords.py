"""Password policy (SECURITY.md: 12+ characters, three classes, not common or breached, no
personal data). Each row names the rule it exercises; the messages are what people read."""

from __future__ import annotations

import pytest

from tracker.domain import passwords as pw
from tracker.domain.passwords import password_problems

PHONE = "13900000001"
RESIDENT_ID = "50011219900101001X"  # born 1990-01-01, last six 01001X
USERNAME = "clerk.cd.hf"
PERSONAL = (PHONE, RESIDENT_ID, USERNAME)

ACCEPTED = [
    "Tongban-Demo-2026",  # the published demo password (PRODUCT.md) must itself pass
    "Tongban-Test-2026!",
    "Zt7#kq9!Lp2x",  # exactly 12, four classes
    "correct horse 7 Battery",  # a passphrase: spaces count as symbols
    "lower-case-words-and-42",  # lower + digit + symbol: three classes are enough
    "UPPER_CASE_WORDS_99",
    "Cat" + "x" * 120 + "-7",  # 125 characters, a long one is fine
    "山城火锅Chongqing-88",  # Chinese characters count as symbols
]

REFUSED = [
    # (password, the message that must be among the problems)
    ("Ab1!", pw.TOO_SHORT),
    ("Tongban-2026", None),  # 12 exactly is allowed: control row, see below
    ("Abcdefgh12!", pw.TOO_SHORT),  # 11 characters
    ("Aa1!" * 33, pw.TOO_LONG),  # 132 characters
    ("alllowercaseletters", pw.TOO_FEW_CLASSES),
    ("ALLUPPERCASE-LETTERS", None),  # upper + symbol: two classes
    ("onlylowerand12345", pw.TOO_FEW_CLASSES),
    ("123456789012", pw.TOO_FEW_CLASSES),
    ("Aaaaaaaaaaa1!", pw.TOO_REPETITIVE),
    # the bundled list, whole and case-insensitive
    ("1qaz@WSX3edc", pw.COMMON),
    ("P@ssw0rd1234", pw.COMMON),
    ("Qwer1234!@#$", pw.COMMON),
    ("Aa123456789!", pw.COMMON),
    ("WOAINI1314520", None),
    ("Woaini1314520!", pw.COMMON),
    # a listed word with only digits and symbols added around it
    ("Password2026!", pw.COMMON),
    ("Aa123456!!!!", pw.COMMON),
    ("2026Qwertyuiop!", pw.COMMON),
    ("Chengdu@2026!!", pw.COMMON),
    ("Tongban@123456", pw.COMMON),
    # personal data (case-insensitive)
    ("Zz!" + PHONE, pw.PERSONAL),
    ("Born19900101-Zq", pw.PERSONAL),
    ("Zq-Secret-01001x", pw.PERSONAL),  # last six of the ID, lower-case x
    ("CLERK.CD.HF-Secret9", pw.PERSONAL),
    ("Secret9-" + RESIDENT_ID, pw.PERSONAL),
    # control characters
    ("Tongban-Demo\n2026", pw.CONTROL),
    ("Tongban-Demo\u200b2026", pw.CONTROL),  # zero-width space
]


@pytest.mark.parametrize("password", ACCEPTED)
def test_good_passwords_pass(password):
    assert password_problems(password, personal=PERSONAL) == []


@pytest.mark.parametrize(("password", "message"), [r for r in REFUSED if r[1] is not None])
def test_bad_passwords_are_refused_with_a_reason(password, message):
    assert message in password_problems(password, personal=PERSONAL)


def test_twelve_characters_is_the_minimum():
    assert pw.TOO_SHORT not in password_problems("Tongban-2026")
    assert pw.TOO_SHORT in password_problems("Tongban-202")


def test_two_classes_are_not_enough_even_when_long():
    assert password_problems("ALLUPPERCASE-LETTERS") == [pw.TOO_FEW_CLASSES]
    assert password_problems("WOAINI1314520") == [pw.TOO_FEW_CLASSES, pw.COMMON]


def test_128_is_allowed_129_is_not():
    base = "Zq7!" * 32
    assert pw.TOO_LONG not in password_problems(base)
    assert password_problems(base + "x") == [pw.TOO_LONG]


def test_personal_data_only_refused_for_that_person():
    password = "Zz!13900000001"
    assert pw.PERSONAL in password_problems(password, personal=[PHONE])
    assert pw.PERSONAL not in password_problems(password, personal=["13900000002"])
    assert pw.PERSONAL not in password_problems(password)


@pytest.mark.parametrize("phone", ["13900000001", "+8613900000001", "139 0000 0001"])
def test_the_phone_is_recognised_however_it_was_typed(phone):
    assert pw.PERSONAL in password_problems("Zz!13900000001", personal=[phone])


def test_the_list_is_a_few_thousand_real_entries():
    listed = pw.common_passwords()
    assert len(listed) >= 3000
    for known in (
        "123456",
        "password",
        "qwerty",
        "1qaz2wsx",
        "woaini1314",
        "aa123456",
        "5201314",
        "iloveyou",
        "p@ssw0rd",
        "admin123",
    ):
        assert known in listed, known
    assert all(entry == entry.casefold() and entry.strip() == entry for entry in listed)
    assert "tongban-demo-2026" not in listed


def test_an_uncommon_word_with_digits_is_not_mistaken_for_a_listed_one():
    # "dragon" is listed, "dragonfly" is not: only digits/symbols around a listed word count.
    assert pw.COMMON in password_problems("Dragon2026!!")
    assert pw.COMMON not in password_problems("Dragonfly-Kite-2026")


def test_rules_are_stated_for_the_page():
    assert any("12" in rule for rule in pw.RULES)
    assert len(pw.RULES) == 4
