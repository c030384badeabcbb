"""SECURITY.md #21, uploaded files: sealed on disk with the data keys (streamed, in chunks, with
PyNaCl's secretstream), served back in clear, refused when altered, cut short or under an
unknown key, and re-sealed by ``rotate-keys`` — a plain file left from before is sealed too."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import citizen, login_as, submit
from tracker import crypto
from tracker.domain.files import UploadLimits
from tracker.extensions import db
from tracker.models import Attachment
from tracker.services.keys import rotate_files
from tracker.services.uploads import opened, store_upload

PDF = b"%PDF-1.7\n" + os.urandom(200_000) + b"\n%%EOF\n"
LIMITS = UploadLimits(max_bytes=5 * 1024 * 1024, max_files=5, max_total_bytes=20 * 1024 * 1024)


def test_an_upload_is_sealed_on_disk_and_opens_to_what_was_sent(app, tmp_path: Path):
    stored = store_upload(io.BytesIO(PDF), "证明.pdf", folder=tmp_path, limits=LIMITS)
    raw = (tmp_path / stored.stored_name).read_bytes()
    assert not raw.startswith(b"%PDF") and b"%PDF" not in raw
    assert PDF[9:41] not in raw  # no run of the content in clear
    assert stored.size == len(PDF) and stored.content_type == "application/pdf"
    assert b"".join(opened(tmp_path / stored.stored_name)) == PDF


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536])
def test_chunk_boundaries(app, size: int):
    data = os.urandom(size)
    out = io.BytesIO()
    with crypto.SealedFileWriter(out) as sealed:
        sealed.write(data)
    assert b"".join(crypto.open_file(io.BytesIO(out.getvalue()))) == data


def test_an_altered_or_truncated_file_does_not_open(app):
    out = io.BytesIO()
    with crypto.SealedFileWriter(out) as sealed:
        sealed.write(os.urandom(150_000))
    blob = out.getvalue()
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 1
    for bad in (bytes(flipped), blob[: len(blob) - 100], blob[:70_000]):
        with pytest.raises(crypto.KeyError_):
            b"".join(crypto.open_file(io.BytesIO(bad)))


def test_a_file_under_an_unknown_key_is_an_error(app):
    out = io.BytesIO()
    with crypto.SealedFileWriter(out) as sealed:
        sealed.write(b"x" * 10)
    old = crypto.ring()
    try:
        crypto.configure({"DATA_KEYS": f"k9:{crypto.new_key()}", "SECRET_KEY": "s"})
        with pytest.raises(crypto.KeyError_):
            b"".join(crypto.open_file(io.BytesIO(out.getvalue())))
    finally:
        crypto._ring = old


def test_rotation_reseals_old_and_plain_files_and_resumes(app, tmp_path: Path):
    sealed_old = store_upload(io.BytesIO(PDF), "a.pdf", folder=tmp_path, limits=LIMITS)
    plain = tmp_path / ("0" * 32 + ".pdf")
    plain.write_bytes(PDF)  # stored before files were sealed
    old = crypto.ring()
    new = crypto.new_key()
    old_key = __import__("base64").b64encode(old.keys[old.current]).decode()
    try:
        crypto.configure({"DATA_KEYS": f"k2:{new},{old.current}:{old_key}", "SECRET_KEY": "unused"})
        assert rotate_files(tmp_path) == 2
        assert rotate_files(tmp_path) == 0  # nothing left: a second run resumes to nothing
        for path in (tmp_path / sealed_old.stored_name, plain):
            with path.open("rb") as source:
                assert crypto.file_key_id(source) == "k2"
            assert b"".join(opened(path)) == PDF
    finally:
        crypto._ring = old


def test_the_download_is_the_clear_file(app, client):
    folder = Path(app.config["UPLOAD_FOLDER"])
    stored = store_upload(io.BytesIO(PDF), "证明材料.pdf", folder=folder, limits=LIMITS)
    person = citizen()
    case = submit(
        "hf-retirement-withdrawal", person, "500112-hf", "510100-hf", files=[("id_card", stored)]
    )
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id)
    ).one()
    login_as(client, person)
    response = client.get(f"/cases/{case.tracking_number}/files/{attachment.id}")
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.headers["Content-Length"] == str(len(PDF))
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert b"%PDF" not in (folder / stored.stored_name).read_bytes()
