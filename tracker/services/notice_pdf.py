"""A notice as a PDF (A4), drawn with fpdf2 and Debian's Noto Serif CJK (embedded, subset).

fpdf2 is pure Python (no system libraries beyond the font), maintained, and embeds OpenType/CFF
fonts from a TrueType collection (``collection_font_number``); WeasyPrint would need pango and
friends, ReportLab cannot embed the CFF outlines the Noto CJK fonts use. The QR code (segno, pure
Python) points at ``/verify?code=…``. The signature is added afterwards (``notice_keys``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SC_INDEX = 2  # in the collection: JP, KR, SC, TC, HK


class FontMissing(RuntimeError):
    """fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk)."""


@dataclass(frozen=True)
class PdfFacts:
    """What the page shows beside the notice's own words."""

    number: str
    office_zh: str
    office_en: str
    issued_on_zh: str  # 2026年12月1日
    issued_on_en: str  # 1 December 2026
    clerk_name: str
    verification_code: str
    verify_url: str  # the full /verify?code=… address the QR code carries
    issued_at: datetime


def _fonts(pdf: FPDF) -> None:
    # One face only: loading and subsetting a CJK face is most of a notice's cost, so bold
    # is drawn as fill + a thin stroke of the regular face (``_font``).
    if not SERIF.exists():
        raise FontMissing(str(SERIF))
    pdf.add_font("serif", "", str(SERIF), collection_font_number=SC_INDEX)


def _font(pdf: FPDF, size: float, *, bold: bool = False) -> None:
    pdf.set_font("serif", size=size)
    if bold:
        color = pdf.text_color  # the stroke in the text's own colour
        rgb = [getattr(color, k, getattr(color, "g", 0)) for k in ("r", "g", "b")]
        pdf.set_draw_color(*(round(float(v) * 255) for v in rgb))
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.set_line_width(size * 0.012)
    else:
        pdf.text_mode = TextMode.FILL


def _qr_png(url: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return out


class _Page(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_text_color(110, 110, 110)
        _font(self, 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text}  {self.page_no()}/{{nb}}", align=Align.C)


def _paragraphs(
    pdf: FPDF, paragraphs: Sequence[str], *, size: float, indent: str, wrap: WrapMode
) -> None:
    _font(pdf, size)
    for para in paragraphs:
        for i, line in enumerate(para.split("\n")):
            lead = indent if i == 0 and not line.startswith(("（", "(", "-", "•", "1", "2")) else ""
            pdf.multi_cell(
                0,
                size * 0.62,
                lead + line,
                align=Align.J if wrap is WrapMode.CHAR else Align.L,
                wrapmode=wrap,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        pdf.ln(size * 0.3)


def render(text: Mapping[str, Any], facts: PdfFacts) -> bytes:
    """The unsigned PDF of a notice. ``text`` is the notice's stored words:
    ``{"zh": {"title", "addressee", "paragraphs"}, "en": {...}}``."""
    pdf = _Page(format="A4", unit="mm")
    pdf.set_margins(25, 22, 25)
    pdf.set_auto_page_break(True, margin=22)
    _fonts(pdf)
    pdf.set_creation_date(facts.issued_at)
    pdf.set_title(f"{text['zh']['title']} {facts.number}")
    pdf.set_author(facts.office_zh)
    pdf.set_creator("Tongban")
    pdf.footer_text = f"{facts.number} · 验证码 {facts.verification_code}"
    pdf.alias_nb_pages()
    pdf.add_page()
    zh = text["zh"]

    # Head: the office, the document's title, its number; a rule under them.
    pdf.set_text_color(180, 20, 20)
    _font(pdf, 20, bold=True)
    pdf.cell(0, 12, facts.office_zh, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    _font(pdf, 22, bold=True)
    pdf.cell(0, 13, zh["title"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _font(pdf, 12)
    pdf.cell(0, 8, facts.number, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(180, 20, 20)
    pdf.set_line_width(0.6)
    pdf.line(25, pdf.get_y() + 2, 185, pdf.get_y() + 2)
    pdf.ln(8)

    _font(pdf, 13, bold=True)
    pdf.cell(0, 8, zh["addressee"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _paragraphs(pdf, zh["paragraphs"], size=13, indent="　　", wrap=WrapMode.CHAR)

    # Signature block, right-aligned: office, date, clerk.
    pdf.ln(6)
    _font(pdf, 13)
    for line in (facts.office_zh, facts.issued_on_zh):
        pdf.cell(0, 8, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if facts.clerk_name:
        _font(pdf, 11)
        pdf.cell(
            0, 7, f"经办人：{facts.clerk_name}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    # Verification box: the QR code and how to check the document.
    _verification_box(pdf, facts)

    # English, for reference.
    en = text.get("en")
    if en:
        pdf.add_page()
        _font(pdf, 15, bold=True)
        pdf.multi_cell(0, 8, en["title"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _font(pdf, 10)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(
            0,
            6,
            f"{facts.number} · {facts.office_en} · {facts.issued_on_en}\n"
            "English translation for reference. The Chinese text on page 1 is the notice.",
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(5)
        _font(pdf, 11, bold=True)
        pdf.cell(0, 7, en["addressee"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _paragraphs(pdf, en["paragraphs"], size=11, indent="", wrap=WrapMode.WORD)
    return bytes(pdf.output())


def _verification_box(pdf: FPDF, facts: PdfFacts) -> None:
    size = 28
    if pdf.get_y() + size + 8 > pdf.h - 22:
        pdf.add_page()
    top = max(pdf.get_y() + 8, pdf.h - 22 - size - 4)
    pdf.set_auto_page_break(False)  # the box sits in the bottom margin's reach: no new page
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.rect(25, top, 160, size + 4)
    pdf.image(_qr_png(facts.verify_url), x=27, y=top + 2, w=size, h=size)
    pdf.set_xy(27 + size + 4, top + 3)
    _font(pdf, 11, bold=True)
    pdf.cell(
        0,
        6,
        f"验证码 Verification code：{facts.verification_code}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_x(27 + size + 4)
    _font(pdf, 9)
    pdf.multi_cell(
        160 - size - 8,
        4.6,
        "扫描二维码或访问下列网址，输入验证码，核验本文书的真伪。"
        "本文书已加盖电子签章，PDF阅读器可检查其是否被改动。\n"
        f"Scan the code or open {facts.verify_url} to check this document; "
        "it carries the office's digital signature.",
        wrapmode=WrapMode.CHAR,
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_auto_page_break(True, margin=22)
