"""Download names (SECURITY.md #23, issue 13 item 2): a PDF uploaded as ``证明材料.bat`` or
``invoice<RLO>fdp.exe`` is saved as ``证明材料.pdf`` / ``invoicefdp.pdf``, never as a program,
and the pages that list it show its name without bidi controls."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from tests.builders import citizen, clerk, login_as, submit
from tracker.extensions import db
from tracker.models import Attachment
from tracker.services import uploads

PDF = b"%PDF-1.4\n" + b"x" * 200
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
CD_HF = "510100-hf"
AHDT = "hf-retirement-withdrawal"


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("证明材料.bat", "证明材料.pdf"),
        ("申请表.hta", "申请表.pdf"),
        ("回执.html", "回执.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
    ],
)
def test_clerk_and_applicant_download_under_a_harmless_name(app, tmp_path, name, saved):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    applicant = citizen()
    stored = uploads.store_upload(
        io.BytesIO(PDF), name, folder=tmp_path, limits=uploads.UploadLimits()
    )
    case = submit(AHDT, applicant, CD_HF, CD_HF, files=[("id_card", stored)])
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id)
    ).one()
    number = case.tracking_number
    staff, own = app.test_client(), app.test_client()
    login_as(staff, clerk(CD_HF))
    login_as(own, applicant)
    for client, url in (
        (staff, f"/clerk/cases/{number}/files/{attachment.id}"),
        (own, f"/cases/{number}/files/{attachment.id}"),
    ):
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        kind, options = parse_options_header(disposition)
        assert (kind, options["filename"]) == ("attachment", saved), disposition
        assert not any(quote(ch) in disposition or ch in disposition for ch in BIDI)
    for client, page in ((staff, f"/clerk/cases/{number}"), (own, f"/cases/{number}")):
        html = client.get(page).get_data(as_text=True)
        assert not set(html) & set(BIDI), page
        assert name.replace("\u202e", "") in html
