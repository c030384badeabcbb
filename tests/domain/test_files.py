"""Upload rules (SECURITY.md #12, #13): type by magic bytes only, bounded size, count and total,
and the person's file name kept as display-safe metadata."""

from __future__ import annotations

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.files import (
    EXTENSIONS,
    MIB,
    SNIFF_BYTES,
    UploadLimits,
    UploadRefused,
    check_counts,
    clean_original_name,
    download_name,
    sniff,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x18Exif", "image/jpeg"),
        (PNG, "image/png"),
    ],
)
def test_sniff_accepts_pdf_jpeg_png(head: bytes, expected: str):
    assert sniff(head) == expected
    assert expected in EXTENSIONS


@pytest.mark.parametrize(
    "head",
    [
        b"<!DOCTYPE html><script>alert(1)</script>",
        b"<html><body onload=alert(1)>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg onload="alert(1)"/>',
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",  # an EXE, whatever it is called
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x00\x00",  # ZIP, and so DOCX/XLSX
        b"",
        b"%PD",  # a cut-off PDF header
        b"hello, this is plain text",
        b" %PDF-1.7",  # the magic must come first
        b"\x89PNG\r\n",  # a cut-off PNG signature
    ],
    ids=[
        "html",
        "html-onload",
        "svg-script",
        "svg-onload",
        "exe",
        "gif",
        "zip",
        "empty",
        "short-pdf",
        "text",
        "space-pdf",
        "short-png",
    ],
)
def test_sniff_refuses_everything_else(head: bytes):
    assert sniff(head) is None


def test_sniff_needs_no_more_than_sniff_bytes():
    assert SNIFF_BYTES == 8
    assert sniff(PNG[:SNIFF_BYTES]) == "image/png"


def test_extensions_cover_exactly_the_sniffed_types():
    assert {sniff(h) for h in (PDF, JPEG, PNG)} == set(EXTENSIONS)
    assert EXTENSIONS == {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("身份证.jpg", "身份证.jpg"),
        ("../../x", "x"),
        ("../../x.pdf", "x.pdf"),
        ("/etc/passwd", "passwd"),
        ("C:\\fakepath\\身份证.jpg", "身份证.jpg"),
        ("..\\..\\windows\\户口本.pdf", "户口本.pdf"),
        ("证明\x00.pdf.exe", "证明.pdf.exe"),
        ("a\x07b\x1b[31mc.pdf", "ab[31mc.pdf"),
        ("\u202egpj.exe", "gpj.exe"),  # RIGHT-TO-LEFT OVERRIDE: would show as "exe.jpg"
        ("\u2067x\u2069\u202a\u202b\u202c\u202d.pdf", "x.pdf"),
        ("身\u200b份\u200c证\u200d\ufeff\u2060.jpg", "身份证.jpg"),
        ("  出生\t\n医学  证明\u3000 .pdf ", "出生 医学 证明 .pdf"),
        ("", "未命名文件"),
        ("   ", "未命名文件"),
        ("\x00\u202e", "未命名文件"),
        ("../..", "未命名文件"),
        ("uploads/", "未命名文件"),
        ("..", "未命名文件"),
    ],
)
def test_clean_original_name(raw: str, expected: str):
    assert clean_original_name(raw) == expected


def test_clean_original_name_trims_to_100_characters_keeping_the_extension():
    long = "营" * 300 + ".pdf"
    cleaned = clean_original_name(long)
    assert len(cleaned) == 100
    assert cleaned == "营" * 96 + ".pdf"
    no_ext = clean_original_name("x" * 300)
    assert no_ext == "x" * 100
    odd_ext = clean_original_name("a." + "b" * 300)  # an "extension" that is no extension
    assert len(odd_ext) == 100 and odd_ext.startswith("a.b")
    assert clean_original_name("营" * 100) == "营" * 100


BIDI_CONTROLS = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u061c",  # ALM
]


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("证明材料.pdf", "application/pdf", "证明材料.pdf"),
        ("证明材料.bat", "application/pdf", "证明材料.pdf"),
        ("申请表.hta", "application/pdf", "申请表.pdf"),
        ("回执.html", "application/pdf", "回执.pdf"),
        ("invoice\u202efdp.exe", "application/pdf", "invoicefdp.pdf"),
        ("身份证.pdf", "image/jpeg", "身份证.jpg"),
        ("户口本.JPG.lnk", "image/png", "户口本.JPG.png"),
        ("scan", "image/png", "scan.png"),
        ("archive.tar.gz", "image/jpeg", "archive.tar.jpg"),
        ("C:\\fakepath\\身份证.jpg", "image/jpeg", "身份证.jpg"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("证明\x00\x07\x1b.scr", "application/pdf", "证明.pdf"),
        ("出生\t医学\n证明 .pdf", "application/pdf", "出生 医学 证明.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "application/pdf", "a_b_c_d_e_f_g_h.pdf"),
        (".bashrc", "application/pdf", "未命名文件.pdf"),  # all extension, no stem
        (".hidden.exe", "application/pdf", "hidden.pdf"),
        ("证明. . .exe", "application/pdf", "证明.pdf"),  # Windows drops trailing dots
        ("\u202e.exe", "application/pdf", "未命名文件.pdf"),
        ("\u202e\u200e\x00", "image/jpeg", "未命名文件.jpg"),
        ("", "image/png", "未命名文件.png"),
        (None, "application/pdf", "未命名文件.pdf"),
        ("...", "application/pdf", "未命名文件.pdf"),
        ("报告.pdf", "application/x-msdownload", "报告.bin"),  # never a type we did not sniff
        ("报告.pdf", None, "报告.bin"),
    ],
)
def test_download_name_takes_its_extension_from_the_sniffed_type(
    original: str | None, content_type: str | None, expected: str
):
    assert download_name(original, content_type) == expected


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_download_name_strips_every_bidi_control(control: str):
    name = download_name(f"发{control}票{control}.exe{control}", "application/pdf")
    assert name == "发票.pdf"
    assert download_name(control, "image/png") == "未命名文件.png"


def test_download_name_is_at_most_100_characters_and_keeps_the_type():
    name = download_name("营" * 300 + ".exe", "application/pdf")
    assert name == "营" * 96 + ".pdf"
    assert download_name("营" * 95 + " . .exe", "image/png") == "营" * 95 + ".png"


def test_limits_defaults():
    assert UploadLimits() == UploadLimits(
        max_bytes=10 * MIB, max_files=20, max_total_bytes=50 * MIB
    )


DEFAULTS = UploadLimits()


def refusal(sizes: list[int], limits: UploadLimits = DEFAULTS) -> UploadRefused:
    with pytest.raises(UploadRefused) as info:
        check_counts(sizes, limits)
    assert isinstance(info.value, DomainError)
    return info.value


def test_check_counts_accepts_up_to_each_limit():
    check_counts([], UploadLimits())
    check_counts([10 * MIB] * 5, UploadLimits())
    check_counts([1] * 20, UploadLimits())


def test_check_counts_refuses_each_limit_with_a_message_naming_it():
    too_large = refusal([10 * MIB + 1])
    assert too_large.code == "too_large" and too_large.message == "单个文件不能超过 10 MB"
    too_many = refusal([1] * 21)
    assert too_many.code == "too_many" and "20" in too_many.message
    over = refusal([10 * MIB] * 5 + [1])
    assert over.code == "over_quota" and "50 MB" in over.message
    empty = refusal([100, 0])
    assert empty.code == "empty" and empty.message


def test_check_counts_uses_the_limits_given():
    small = UploadLimits(max_bytes=MIB // 2, max_files=2, max_total_bytes=3 * MIB // 4)
    assert refusal([MIB], small).message == "单个文件不能超过 0.5 MB"
    assert refusal([1, 1, 1], small).message == "最多上传 2 个文件"
    assert refusal([MIB // 2, MIB // 2], small).message == "文件总大小不能超过 0.75 MB"
