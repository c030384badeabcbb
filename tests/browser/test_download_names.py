"""In Chromium, a PDF uploaded under a program's name is saved as a PDF (SECURITY.md #23,
issue 13 item 2): the clerk who downloads ``证明材料.bat`` or ``invoice<RLO>fdp.exe`` gets
``证明材料.pdf`` / ``invoicefdp.pdf``, with no bidi control in the name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.browser.test_clerk_journeys import log_in
from tests.builders import citizen, clerk, submit
from tracker.extensions import db
from tracker.models import Attachment
from tracker.services import uploads

PDF = b"%PDF-1.4\n%%EOF\n"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
CD_HF = "510100-hf"


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("证明材料.bat", "证明材料.pdf"),
        ("申请表.hta", "申请表.pdf"),
        ("回执.html", "回执.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
    ],
)
def test_the_clerk_saves_a_program_named_pdf_as_a_pdf(
    page, app: Flask, tmp_path: Path, name: str, saved: str
):
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    stored = uploads.store_upload(
        io.BytesIO(PDF), name, folder=folder, limits=uploads.UploadLimits()
    )
    case = submit("hf-retirement-withdrawal", citizen(), CD_HF, CD_HF, files=[("id_card", stored)])
    attachment_id = db.session.scalars(
        sa.select(Attachment.id).where(Attachment.case_id == case.id)
    ).one()
    log_in(page, clerk(CD_HF))
    page.goto(f"{page.base}/clerk/cases/{case.tracking_number}")
    link = page.locator(f'a[href$="/files/{attachment_id}"]').first
    with page.expect_download() as info:
        link.click()
    download = info.value
    suggested = download.suggested_filename
    assert suggested == saved, suggested
    assert suggested.endswith(".pdf") and not set(suggested) & set(BIDI)
    target = tmp_path / "saved" / suggested
    download.save_as(target)
    assert target.read_bytes() == PDF
    assert page.problems == []
