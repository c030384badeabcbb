"""CSV exports open safely in a spreadsheet (SECURITY.md #19): BOM for Chinese, formula-like
text neutralised by a leading quote, numbers kept as numbers, safe download names."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from tracker.domain.csvsafe import BOM, content_disposition, neutralise, to_csv

CASES = [
    # (cell, written as)
    ("=1+2", "'=1+2"),
    ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
    ("+86 139", "'+86 139"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("\n=1+2", "'\n=1+2"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("成都住房公积金管理中心", "成都住房公积金管理中心"),
    ("a=1", "a=1"),  # only the first character matters
    ("", ""),
    (None, ""),
    (3, 3),  # numbers stay numbers, negative ones too: they cannot be formulas
    (-3, -3),
    (2.5, 2.5),
    (Decimal("1.50"), Decimal("1.50")),
    (True, "是"),
    (date(2026, 11, 2), "2026-11-02"),
]


@pytest.mark.parametrize(("cell", "expected"), CASES, ids=[repr(c) for c, _ in CASES])
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_file_has_bom_header_and_neutralised_cells():
    body = to_csv(["部门", "=总数"], [["成都", 3], ["=1+1", -2], ["@x", None]])
    assert body.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))
    assert rows == [["部门", "'=总数"], ["成都", "3"], ["'=1+1", "-2"], ["'@x", ""]]
    # No cell of the file, as a spreadsheet reads it, starts with a formula character.
    assert not any(cell and cell[0] in "=+@\t\r" for row in rows for cell in row)


def test_content_disposition_keeps_chinese_and_gives_an_ascii_fallback():
    header = content_disposition(
        "通办-逾期办件-2026-11-01至2026-11-30.csv", "tongban-overdue-2026-11-01-2026-11-30.csv"
    )
    assert header.startswith("attachment; ")
    assert 'filename="tongban-overdue-2026-11-01-2026-11-30.csv"' in header
    assert "filename*=UTF-8''%E9%80%9A%E5%8A%9E-" in header
    assert header.isascii()


@pytest.mark.parametrize(
    "name", ['a"b.csv', "a\r\nSet-Cookie: x=1.csv", "../../etc/passwd", "a\\b.csv", ""]
)
def test_content_disposition_lets_no_header_injection_or_path_through(name):
    header = content_disposition(name)
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback and "/" not in fallback and "\\" not in fallback and '"' not in fallback
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert "/" not in encoded and '"' not in encoded and ";" not in encoded
