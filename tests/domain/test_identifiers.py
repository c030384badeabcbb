"""Identifiers: tracking numbers, resident IDs (SECURITY.md test #1), mobile numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.errors import (
    DomainError,
    InvalidIdentifier,
    InvalidPhone,
    InvalidResidentId,
    InvalidTrackingNumber,
)
from tracker.domain.identifiers import (
    PROVINCE_CODES,
    birth_date_of,
    make_tracking_number,
    mask_phone,
    mask_resident_id,
    normalize_mobile,
    normalize_tracking_number,
    parse_tracking_number,
    phone_last4,
    tracking_check_char,
    validate_resident_id,
)

TODAY = date(2026, 6, 1)
ALPHABET = "0123456789X"

# Reference ISO 7064 MOD 11-2, written out from GB 11643-1999 independently of the module.
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK_MAP = "10X98765432"
# The same scheme over a 14-digit body: weights 2^14 … 2^1 mod 11.
TRACKING_WEIGHTS = [5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_with_check(body17: str) -> str:
    assert len(body17) == 17
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return body17 + ID_CHECK_MAP[total % 11]


def tracking_with_check(body14: str) -> str:
    total = sum(int(c) * w for c, w in zip(body14, TRACKING_WEIGHTS, strict=True))
    return body14 + ID_CHECK_MAP[total % 11]


def wrong_last(value: str) -> str:
    """Same value with a different (wrong) final check character."""
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def single_substitutions(value: str) -> list[str]:
    return [
        value[:i] + c + value[i + 1 :] for i in range(len(value)) for c in ALPHABET if c != value[i]
    ]


def adjacent_swaps(value: str) -> list[str]:
    return [
        value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        for i in range(len(value) - 1)
        if value[i] != value[i + 1]
    ]


# --- resident ID: valid -----------------------------------------------------------------------

VALID_IDS = [
    ("11010519491231002X", "11010519491231002X", "GB 11643 示例 末位 X"),
    ("11010519491231002x", "11010519491231002X", "小写 x 接受并转大写"),
    ("  11010519491231002x\t", "11010519491231002X", "首尾空白去掉"),
    ("\u300011010519491231002X\u3000", "11010519491231002X", "首尾全角空格去掉"),
    (id_with_check("51010419900101123"), id_with_check("51010419900101123"), "四川 1990"),
    (id_with_check("50010120000229001"), id_with_check("50010120000229001"), "重庆 闰日"),
    (id_with_check("81000019000101001"), id_with_check("81000019000101001"), "香港 1900-01-01"),
    (id_with_check("51010420260601001"), id_with_check("51010420260601001"), "今天出生"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [row[:2] for row in VALID_IDS], ids=[row[2] for row in VALID_IDS]
)
def test_valid_resident_ids(text: str, expected: str) -> None:
    assert validate_resident_id(text, TODAY) == expected


# --- resident ID: every fault of SECURITY.md test #1 -----------------------------------------

GOOD = "11010519491231002X"

BAD_IDS = [
    ("110105194912310021", "check_digit", "校验码", "校验码错误"),
    (wrong_last(id_with_check("51010419900101123")), "check_digit", "校验码", "校验码错误_2"),
    ("110105491231002", "length", "18位", "15位旧号码"),
    ("11010519491231002", "length", "18位", "17位"),
    (id_with_check("11010519491231002") + "0", "length", "18位", "19位"),
    ("", "length", "18位", "空"),
    (id_with_check("51010419900230123"), "birth_date", "出生日期", "19900230"),
    (id_with_check("51010419901301123"), "birth_date", "出生日期", "13月"),
    (id_with_check("51010419900100123"), "birth_date", "出生日期", "0日"),
    (id_with_check("51010420230229123"), "birth_date", "出生日期", "非闰年2月29"),
    (id_with_check("51010418991231123"), "birth_date", "出生日期", "1900年前"),
    (id_with_check("51010420260602123"), "future_birth", "晚于今天", "明天出生"),
    (id_with_check("51010420300101123"), "future_birth", "晚于今天", "未来出生日期"),
    (id_with_check("99010419900101123"), "region", "省级", "省份99"),
    (id_with_check("00010419900101123"), "region", "省级", "省份00"),
    (id_with_check("16010419900101123"), "region", "省级", "省份16"),
    (id_with_check("24010419900101123"), "region", "省级", "省份24"),
    (id_with_check("72010419900101123"), "region", "省级", "省份72"),
    ("１１０１０５１９４９１２３１００２Ｘ", "characters", "半角数字", "全角数字"),
    ("11010519491231００2X", "characters", "半角数字", "夹杂全角数字"),
    ("110105\u200b19491231002X", "characters", "半角数字", "零宽空格"),
    ("11010519491231002X\u200b", "characters", "半角数字", "末尾零宽空格"),
    ("\ufeff11010519491231002X", "characters", "半角数字", "BOM"),
    ("110105 19491231002X", "characters", "半角数字", "中间空格"),
    ("110105-19491231002X", "characters", "半角数字", "连字符"),
    ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "characters", "半角数字", "阿拉伯-印度数字"),
    ("1101051949123100X2", "characters", "X", "X不在末位"),
    ("11010519491231002Y", "characters", "半角数字", "末位字母Y"),
]


@pytest.mark.parametrize(
    ("text", "code", "fragment"), [row[:3] for row in BAD_IDS], ids=[row[3] for row in BAD_IDS]
)
def test_invalid_resident_ids(text: str, code: str, fragment: str) -> None:
    with pytest.raises(InvalidResidentId) as err:
        validate_resident_id(text, TODAY)
    assert err.value.code == code
    assert fragment in err.value.message
    assert isinstance(err.value, InvalidIdentifier)
    assert isinstance(err.value, DomainError)


def test_future_birth_depends_on_today_argument() -> None:
    born_2026_06_02 = id_with_check("51010420260602123")
    with pytest.raises(InvalidResidentId):
        validate_resident_id(born_2026_06_02, date(2026, 6, 1))
    assert validate_resident_id(born_2026_06_02, date(2026, 6, 2)) == born_2026_06_02


def test_all_province_codes_accepted() -> None:
    assert len(PROVINCE_CODES) == 34
    for region in sorted(PROVINCE_CODES):
        rid = id_with_check(f"{region}010419900101123")
        assert validate_resident_id(rid, TODAY) == rid


_resident_ids = st.builds(
    lambda region, county, born, seq: id_with_check(f"{region}{county:04d}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(min_value=0, max_value=9999),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)


@given(_resident_ids)
def test_generated_ids_are_valid(rid: str) -> None:
    assert validate_resident_id(rid, TODAY) == rid
    assert validate_resident_id(rid.lower(), TODAY) == rid


@given(_resident_ids)
def test_no_single_substitution_of_an_id_passes(rid: str) -> None:
    for variant in single_substitutions(rid):
        with pytest.raises(InvalidResidentId):
            validate_resident_id(variant, TODAY)


@given(_resident_ids)
def test_no_adjacent_swap_of_an_id_passes(rid: str) -> None:
    for variant in adjacent_swaps(rid):
        with pytest.raises(InvalidResidentId):
            validate_resident_id(variant, TODAY)


def test_birth_date_and_masks() -> None:
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert mask_resident_id("51010419900101123X") == "5101**********123X"
    assert mask_resident_id("11010519491231002X") == "1101**********002X"
    assert len(mask_resident_id("11010519491231002X")) == 18
    assert mask_resident_id("1234567") == "*******"  # too short to show anything


# --- tracking numbers -------------------------------------------------------------------------


def test_make_tracking_number_layout() -> None:
    number = make_tracking_number("51", date(2026, 3, 5), 42)
    assert number[:14] == "51260305000042"
    assert number == tracking_with_check("51260305000042")
    assert len(number) == 15
    assert parse_tracking_number(number) == number


@pytest.mark.parametrize(
    "body",
    ["51260305000042", "50991231999999", "11000101000001", "00000000000000"],
)
def test_tracking_check_char_matches_reference(body: str) -> None:
    assert tracking_check_char(body) == tracking_with_check(body)[-1]


@pytest.mark.parametrize(
    ("province", "serial", "code"),
    [
        ("51", 0, "serial"),
        ("51", 1_000_000, "serial"),
        ("51", -3, "serial"),
        ("99", 1, "province"),
        ("5", 1, "province"),
        ("５１", 1, "province"),
    ],
    ids=[
        "serial_0",
        "serial_too_big",
        "serial_negative",
        "province_99",
        "province_1_digit",
        "province_fullwidth",
    ],
)
def test_make_tracking_number_rejects(province: str, serial: int, code: str) -> None:
    with pytest.raises(InvalidTrackingNumber) as err:
        make_tracking_number(province, date(2026, 3, 5), serial)
    assert err.value.code == code


def test_serial_bounds_accepted() -> None:
    assert make_tracking_number("50", date(2026, 3, 5), 1)[8:14] == "000001"
    assert make_tracking_number("50", date(2026, 3, 5), 999_999)[8:14] == "999999"


VALID = make_tracking_number("51", date(2026, 3, 5), 42)  # 512603050000427

NORMALISE = [
    (f"  {VALID}  ", VALID, "首尾空格"),
    ("5126-0305-0000-427", VALID, "连字符"),
    ("512 603 050 000 427", VALID, "内部空格"),
    ("51260305000003x", "51260305000003X", "小写 x"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [row[:2] for row in NORMALISE], ids=[row[2] for row in NORMALISE]
)
def test_normalize_tracking_number(text: str, expected: str) -> None:
    assert normalize_tracking_number(text) == expected


def test_parse_accepts_lowercase_x() -> None:
    number = tracking_with_check("51260305000003")
    assert number.endswith("X")  # this body happens to need the X check character
    assert parse_tracking_number(number.lower()) == number


BAD_TRACKING = [
    (VALID[:-1], "length", "15位", "少一位"),
    (VALID + "1", "length", "15位", "多一位"),
    ("", "length", "15位", "空"),
    (wrong_last(VALID), "check", "校验位不符", "校验位错误"),
    (VALID[:3] + VALID[4] + VALID[3] + VALID[5:], "check", "颠倒", "相邻颠倒"),
    ("５１２６０３０５００００４２７", "characters", "半角数字", "全角数字"),
    (VALID[:5] + "\u200b" + VALID[5:], "characters", "半角数字", "零宽空格"),
    ("51260305000X427", "characters", "X", "X不在末位"),
    ("ABCDEFGHIJKLMNO", "characters", "半角数字", "字母"),
]


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [row[:3] for row in BAD_TRACKING],
    ids=[row[3] for row in BAD_TRACKING],
)
def test_parse_tracking_number_rejects(text: str, code: str, fragment: str) -> None:
    with pytest.raises(InvalidTrackingNumber) as err:
        parse_tracking_number(text)
    assert err.value.code == code
    assert fragment in err.value.message


_tracking_numbers = st.builds(
    make_tracking_number,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=1, max_value=999_999),
)


@given(_tracking_numbers)
def test_generated_tracking_numbers_parse(number: str) -> None:
    assert parse_tracking_number(number) == number
    assert number == tracking_with_check(number[:14])


@given(_tracking_numbers)
def test_no_single_substitution_of_a_tracking_number_passes(number: str) -> None:
    for variant in single_substitutions(number):
        with pytest.raises(InvalidTrackingNumber):
            parse_tracking_number(variant)


@given(_tracking_numbers)
def test_no_adjacent_swap_of_a_tracking_number_passes(number: str) -> None:
    # Includes swapping the last body digit with the check character.
    variants = adjacent_swaps(number)
    assert len(variants) >= 1
    for variant in variants:
        with pytest.raises(InvalidTrackingNumber):
            parse_tracking_number(variant)


# --- mobile phones ----------------------------------------------------------------------------

GOOD_PHONES = [
    ("13900000001", "普通"),
    ("139 0000 0001", "空格分组"),
    ("139-0000-0001", "连字符"),
    ("+86 139 0000 0001", "+86"),
    ("+8613900000001", "+86 连写"),
    ("008613900000001", "0086"),
    ("8613900000001", "86"),
    (" 13900000001 ", "首尾空格"),
]


@pytest.mark.parametrize("text", [row[0] for row in GOOD_PHONES], ids=[r[1] for r in GOOD_PHONES])
def test_normalize_mobile_accepts(text: str) -> None:
    assert normalize_mobile(text) == "13900000001"


BAD_PHONES = [
    ("1390000000", "10位"),
    ("139000000012", "12位"),
    ("12900000001", "第二位是2"),
    ("23900000001", "不以1开头"),
    ("１３９０００００００１", "全角数字"),
    ("139\u200b00000001", "零宽空格"),
    ("028-12345678", "座机"),
    ("+1 415 555 0100", "外国号码"),
    ("86139000000", "86 加 9 位"),
    ("", "空"),
    ("1390000000a", "字母"),
]


@pytest.mark.parametrize("text", [row[0] for row in BAD_PHONES], ids=[r[1] for r in BAD_PHONES])
def test_normalize_mobile_rejects(text: str) -> None:
    with pytest.raises(InvalidPhone) as err:
        normalize_mobile(text)
    assert err.value.code == "invalid_phone"
    assert "手机号码" in err.value.message


def test_phone_mask_and_last4() -> None:
    assert mask_phone("13900000001") == "139****0001"
    assert mask_phone("18612345678") == "186****5678"
    assert mask_phone("12345") == "*2345"
    assert mask_phone("123") == "***"
    assert phone_last4("+86 139-0000-0001") == "0001"
    with pytest.raises(InvalidPhone):
        phone_last4("12345")
