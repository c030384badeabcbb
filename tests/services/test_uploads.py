"""Upload storage (SECURITY.md #12, #13 and "Nothing is lost or doubled"): random stored names,
magic-byte allow-list, bounded reads, all-or-nothing batches, orphan sweeping, safe downloads."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_options_header

from tests.builders import citizen, submit
from tracker.database import write_transaction
from tracker.domain.files import UploadLimits, UploadRefused
from tracker.models import Attachment
from tracker.services.uploads import (
    STORED_NAME,
    TEMP_PREFIX,
    StoredFile,
    discard,
    download_of,
    opened,
    store_many,
    store_upload,
    sweep_orphans,
)
from tracker.web.downloads import send_attachment

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
PDF = b"%PDF-1.7\n" + b"0123456789" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500
HTML = b"<!DOCTYPE html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
LIMITS = UploadLimits(max_bytes=64 * 1024, max_files=4, max_total_bytes=100 * 1024)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def data_keys():  # type: ignore[no-untyped-def]
    """Files are sealed with the data keys (tracker.crypto); tests without an app set them."""
    from tracker import crypto

    before = crypto._ring
    if before is None:
        crypto.configure({"SECRET_KEY": "test uploads"})
    yield
    crypto._ring = before


class Stream(io.RawIOBase):
    """A stream that counts what was read from it; ``endless`` never ends, ``seekable`` says
    whether it lets store_many learn its size up front."""

    def __init__(self, data: bytes = b"", *, endless: bool = False, seekable: bool = False):
        self.data, self.endless, self._seekable, self.read_bytes = data, endless, seekable, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        return self.read_bytes

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return len(self.data) if whence == io.SEEK_END else offset

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if self.endless:
            n = len(buffer)
            buffer[:n] = (JPEG * (n // len(JPEG) + 1))[:n]
        else:
            chunk = self.data[self.read_bytes : self.read_bytes + len(buffer)]
            n = len(chunk)
            buffer[:n] = chunk
        self.read_bytes += n
        return n


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def refused(code: str, call, *args, **kwargs) -> UploadRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(UploadRefused) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.code
    return info.value


# --- store_upload ---------------------------------------------------------------------------


def test_store_upload_keeps_the_bytes_under_a_random_name(tmp_path: Path):
    folder = tmp_path / "uploads"
    stored = store_upload(io.BytesIO(JPEG), "身份证.jpg", folder=folder, limits=LIMITS)
    assert STORED_NAME.fullmatch(stored.stored_name) and stored.stored_name.endswith(".jpg")
    assert "身份证" not in stored.stored_name
    assert stored == StoredFile(
        stored_name=stored.stored_name,
        original_name="身份证.jpg",
        content_type="image/jpeg",
        size=len(JPEG),
        sha256=hashlib.sha256(JPEG).hexdigest(),
    )
    assert b"".join(opened(folder / stored.stored_name)) == JPEG
    assert (folder / stored.stored_name).read_bytes()[:4] == b"TBS1"  # sealed on disk
    assert files_in(folder) == [stored.stored_name]  # and no temp file
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / stored.stored_name).stat().st_mode) == 0o600
    again = store_upload(io.BytesIO(JPEG), "身份证.jpg", folder=folder, limits=LIMITS)
    assert again.stored_name != stored.stored_name


@pytest.mark.parametrize(
    ("data", "name", "content_type", "extension"),
    [
        (PDF, "../../x.pdf", "application/pdf", ".pdf"),
        (PNG, "C:\\fakepath\\户口本.png", "image/png", ".png"),
        (PDF, "scan.jpg", "application/pdf", ".pdf"),  # the name's extension means nothing
        (JPEG, "证明\x00.html", "image/jpeg", ".jpg"),
    ],
)
def test_the_type_comes_from_the_bytes_and_the_name_is_only_metadata(
    tmp_path: Path, data: bytes, name: str, content_type: str, extension: str
):
    folder = tmp_path / "uploads"
    stored = store_upload(io.BytesIO(data), name, folder=folder, limits=LIMITS)
    assert stored.content_type == content_type and stored.stored_name.endswith(extension)
    assert "/" not in stored.original_name and "\\" not in stored.original_name
    assert "\x00" not in stored.original_name
    assert files_in(folder) == [stored.stored_name]
    assert files_in(tmp_path) == ["uploads"]  # nothing escaped the folder


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXE, "申请表.pdf"),
        (HTML, "x.html"),
        (SVG, "logo.svg"),
        (b"GIF89a" + b"\x00" * 50, "a.gif"),
        (b"PK\x03\x04" + b"\x00" * 50, "材料.zip"),
        (b"MZ", "tiny.pdf"),
    ],
    ids=["exe-as-pdf", "html", "svg", "gif", "zip", "tiny"],
)
def test_other_types_are_refused_and_leave_nothing(tmp_path: Path, data: bytes, name: str):
    refused("type", store_upload, io.BytesIO(data), name, folder=tmp_path, limits=LIMITS)
    assert files_in(tmp_path) == []


def test_a_wrong_type_is_refused_after_its_first_bytes(tmp_path: Path):
    stream = Stream(EXE * 1000)
    refused("type", store_upload, stream, "a.pdf", folder=tmp_path, limits=LIMITS)
    assert stream.read_bytes <= 64 * 1024
    assert files_in(tmp_path) == []


def test_an_empty_file_is_refused(tmp_path: Path):
    refused("empty", store_upload, io.BytesIO(b""), "空.pdf", folder=tmp_path, limits=LIMITS)
    assert files_in(tmp_path) == []


def test_exactly_max_bytes_is_accepted(tmp_path: Path):
    data = JPEG[:1024] * 64
    assert len(data) == LIMITS.max_bytes
    assert store_upload(io.BytesIO(data), "a.jpg", folder=tmp_path, limits=LIMITS).size == len(data)


def test_an_oversized_stream_is_refused_without_reading_it_all(tmp_path: Path):
    stream = Stream(endless=True)
    error = refused("too_large", store_upload, stream, "大.jpg", folder=tmp_path, limits=LIMITS)
    assert "0.0625 MB" in error.message and error.name == "大.jpg"
    assert stream.read_bytes == LIMITS.max_bytes + 1  # one byte over is enough to know
    assert files_in(tmp_path) == []  # no partial file, no temp file


def test_one_byte_over_is_refused(tmp_path: Path):
    data = JPEG[:1024] * 64 + b"x"
    refused("too_large", store_upload, io.BytesIO(data), "a.jpg", folder=tmp_path, limits=LIMITS)
    assert files_in(tmp_path) == []


# --- store_many -----------------------------------------------------------------------------


def test_store_many_stores_them_all(tmp_path: Path):
    stored = store_many(
        [(io.BytesIO(JPEG), "a.jpg"), (io.BytesIO(PDF), "b.pdf")], folder=tmp_path, limits=LIMITS
    )
    assert [s.original_name for s in stored] == ["a.jpg", "b.pdf"]
    assert files_in(tmp_path) == sorted(s.stored_name for s in stored)


@pytest.mark.parametrize("seekable", [False, True])
def test_store_many_is_all_or_nothing(tmp_path: Path, seekable: bool):
    files = [
        (Stream(JPEG, seekable=seekable), "1.jpg"),
        (Stream(PDF, seekable=seekable), "2.pdf"),
        (Stream(EXE, seekable=seekable), "3.pdf"),
        (Stream(PNG, seekable=seekable), "4.png"),
    ]
    refused("type", store_many, files, folder=tmp_path, limits=LIMITS)
    assert files[0][0].read_bytes and files[1][0].read_bytes  # the first two were written …
    assert files_in(tmp_path) == []  # … and removed again
    assert files[3][0].read_bytes == 0


def test_store_many_oversized_unseekable_third_file_leaves_nothing(tmp_path: Path):
    files = [(Stream(JPEG), "1.jpg"), (Stream(PDF), "2.pdf"), (Stream(endless=True), "3.jpg")]
    refused("too_large", store_many, files, folder=tmp_path, limits=LIMITS)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    ("files", "code", "existing"),
    [
        ([(JPEG, "a.jpg")] * 5, "too_many", ()),
        ([(JPEG, "a.jpg")] * 2, "too_many", (1, 1, 1)),
        ([(JPEG, "a.jpg"), (JPEG[:1024] * 65, "big.jpg")], "too_large", ()),
        ([(JPEG[:1024] * 60, "a.jpg"), (JPEG[:1024] * 60, "b.jpg")], "over_quota", ()),
        ([(JPEG[:1024] * 60, "a.jpg")], "over_quota", (50 * 1024,)),
        ([(JPEG, "a.jpg"), (b"", "empty.pdf")], "empty", ()),
    ],
    ids=[
        "too-many",
        "too-many-with-existing",
        "too-large",
        "over-quota",
        "over-quota-with-existing",
        "empty",
    ],
)
def test_store_many_refuses_before_reading_anything(
    tmp_path: Path, files: list[tuple[bytes, str]], code: str, existing: tuple[int, ...]
):
    streams = [(Stream(data, seekable=True), name) for data, name in files]
    refused(code, store_many, streams, folder=tmp_path, limits=LIMITS, existing_sizes=existing)
    assert all(stream.read_bytes == 0 for stream, _ in streams)
    assert files_in(tmp_path) == []


def test_store_many_counts_unseekable_streams_before_reading_them(tmp_path: Path):
    streams = [(Stream(JPEG), f"{i}.jpg") for i in range(5)]
    refused("too_many", store_many, streams, folder=tmp_path, limits=LIMITS)
    assert all(stream.read_bytes == 0 for stream, _ in streams)
    assert files_in(tmp_path) == []


def test_store_many_over_quota_with_unseekable_streams_leaves_nothing(tmp_path: Path):
    data = JPEG[:1024] * 60
    files = [(Stream(data), "a.jpg"), (Stream(data), "b.jpg")]
    refused("over_quota", store_many, files, folder=tmp_path, limits=LIMITS)
    assert files_in(tmp_path) == []


def test_discard_removes_what_a_failed_transaction_stored(tmp_path: Path):
    stored = store_many(
        [(io.BytesIO(JPEG), "a.jpg"), (io.BytesIO(PNG), "b.png")], folder=tmp_path, limits=LIMITS
    )
    discard(stored, tmp_path)
    assert files_in(tmp_path) == []
    discard(stored, tmp_path)  # twice is harmless


# --- sweep_orphans ---------------------------------------------------------------------------


def aged(folder: Path, name: str, age: timedelta, data: bytes = JPEG) -> str:
    path = folder / name
    path.write_bytes(data)
    when = (NOW - age).timestamp()
    os.utime(path, (when, when))
    return name


def test_sweep_removes_old_unreferenced_files_and_stale_temp_files(tmp_path: Path):
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    referenced = aged(tmp_path, "a" * 32 + ".jpg", 3 * hour)
    orphan = aged(tmp_path, "b" * 32 + ".pdf", 3 * hour)
    fresh_orphan = aged(tmp_path, "c" * 32 + ".png", minute)  # its commit may be in flight
    stale_temp = aged(tmp_path, TEMP_PREFIX + "x1y2", 3 * hour)
    fresh_temp = aged(tmp_path, TEMP_PREFIX + "z3", minute)
    foreign = aged(tmp_path, "README.txt", 3 * hour)  # not a name we make: not ours to delete
    asked: list[set[str]] = []

    def known(names: set[str]) -> set[str]:
        asked.append(set(names))
        return names & {referenced}

    removed = sweep_orphans(tmp_path, known, older_than=hour, now=NOW)
    assert removed == sorted([stale_temp, orphan])
    assert files_in(tmp_path) == sorted([referenced, fresh_orphan, fresh_temp, foreign])
    assert asked == [{referenced, orphan}]


def test_sweep_of_a_missing_or_clean_folder_does_nothing(tmp_path: Path):
    def known(names: set[str]) -> set[str]:
        raise AssertionError("nothing to ask about")

    assert sweep_orphans(tmp_path / "none", known, older_than=timedelta(hours=1), now=NOW) == []
    assert sweep_orphans(tmp_path, known, older_than=timedelta(hours=1), now=NOW) == []


def test_sweep_asks_the_database_by_default(app, tmp_path: Path):
    folder = tmp_path / "uploads"
    applicant = citizen()
    case = submit("mi-offsite-registration", applicant, "510100-mi", "510100-mi")
    kept = store_upload(io.BytesIO(JPEG), "身份证.jpg", folder=folder, limits=LIMITS)
    lost = store_upload(io.BytesIO(PDF), "证明.pdf", folder=folder, limits=LIMITS)
    with write_transaction() as session:
        session.add(
            Attachment(
                case_id=case.id,
                material_code="id-card",
                original_name=kept.original_name,
                stored_name=kept.stored_name,
                content_type=kept.content_type,
                size=kept.size,
                sha256=kept.sha256,
                uploaded_by_id=applicant.id,
            )
        )
    fresh = store_upload(io.BytesIO(PNG), "新.png", folder=folder, limits=LIMITS)
    now = datetime.now(UTC)  # store_upload stamped the files with the real clock
    old = (now - timedelta(days=1)).timestamp()
    for name in (kept.stored_name, lost.stored_name):
        os.utime(folder / name, (old, old))
    removed = sweep_orphans(folder, older_than=timedelta(hours=1), now=now)
    assert removed == [lost.stored_name]
    assert files_in(folder) == sorted([kept.stored_name, fresh.stored_name])


# --- send_attachment -------------------------------------------------------------------------


def attachment_for(stored: StoredFile) -> Attachment:
    return Attachment(
        material_code="id-card",
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )


def test_send_attachment_downloads_under_the_chinese_name_and_never_renders(app, tmp_path: Path):
    stored = store_upload(
        io.BytesIO(JPEG), "C:\\fakepath\\身份证.jpg", folder=tmp_path, limits=LIMITS
    )
    with app.test_request_context():
        response = send_attachment(attachment_for(stored), tmp_path)
        try:
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;")
            assert "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.jpg" in disposition
            assert response.mimetype == "image/jpeg"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
            response.direct_passthrough = False
            assert response.get_data() == JPEG
        finally:
            response.close()


def test_send_attachment_of_a_missing_file_is_not_found(app, tmp_path: Path):
    stored = store_upload(io.BytesIO(PDF), "a.pdf", folder=tmp_path, limits=LIMITS)
    (tmp_path / stored.stored_name).unlink()
    (tmp_path / "secret.pdf").write_bytes(PDF)
    with app.test_request_context():
        for attachment in (
            attachment_for(stored),
            Attachment(stored_name=None, e_licence_number="E1"),
            Attachment(stored_name="../secret.pdf", content_type="application/pdf"),
            Attachment(stored_name="secret.pdf", content_type="application/pdf"),
        ):
            with pytest.raises(NotFound):
                send_attachment(attachment, tmp_path)


# --- download names (SECURITY.md #23) ----------------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PDF, "证明材料.bat", "证明材料.pdf"),
        (PDF, "申请表.hta", "申请表.pdf"),
        (PDF, "回执.html", "回执.pdf"),
        (PDF, "invoice\u202efdp.exe", "invoicefdp.pdf"),
        (PDF, "\u2067证明\u2069\u200f材料\u061c.pdf.exe", "证明材料.pdf.pdf"),
        (JPEG, "身份证.pdf.scr", "身份证.pdf.jpg"),
        (PNG, "户口本\x07\x1b.lnk", "户口本.png"),
        (PNG, "C:\\fakepath\\户口本.png", "户口本.png"),
        (PDF, "\u202e.exe", "未命名文件.pdf"),
        (JPEG, "\u202e\u200e\x00", "未命名文件.jpg"),
        (PDF, "...", "未命名文件.pdf"),
    ],
)
def test_the_download_name_takes_its_extension_from_the_sniffed_type(
    app, tmp_path: Path, data: bytes, name: str, expected: str
):
    stored = store_upload(io.BytesIO(data), name, folder=tmp_path, limits=LIMITS)
    found = download_of(attachment_for(stored), tmp_path)
    assert found is not None and found.download_name == expected
    assert not set(found.download_name) & set(BIDI)
    with app.test_request_context():
        response = send_attachment(attachment_for(stored), tmp_path)
        try:
            disposition = response.headers["Content-Disposition"]
        finally:
            response.close()
    assert parse_options_header(disposition) == ("attachment", {"filename": expected})
    # The plain ``filename=`` an older browser falls back on ends with the same extension.
    plain = re.search(r'filename="?([^";]*)', disposition)
    assert plain is not None and plain.group(1).endswith(expected[-4:])
    assert not any(quote(ch) in disposition or ch in disposition for ch in BIDI)


def test_an_older_row_whose_name_was_never_cleaned_still_downloads_safely(tmp_path: Path):
    stored = store_upload(io.BytesIO(PDF), "x.pdf", folder=tmp_path, limits=LIMITS)
    row = attachment_for(stored)
    row.original_name = "invoice\u202efdp\u200b.exe"
    found = download_of(row, tmp_path)
    assert found is not None and found.download_name == "invoicefdp.pdf"
    row.original_name = None
    found = download_of(row, tmp_path)
    assert found is not None and found.download_name == "未命名文件.pdf"


def _daily_quota_holds(tmp_path):
    import io
    from datetime import date

    import pytest

    from tests.builders import citizen
    from tracker.domain.files import UploadLimits, UploadRefused
    from tracker.services.uploads import DailyQuota, store_many

    pdf = b"%PDF-1.4\n" + b"0" * 1000
    day = DailyQuota(citizen().id, date(2026, 11, 2), limit_bytes=2500)
    folder = tmp_path / "up"
    store_many(
        [(io.BytesIO(pdf), "a.pdf"), (io.BytesIO(pdf), "b.pdf")],
        folder=folder,
        limits=UploadLimits(),
        daily=day,
    )
    with pytest.raises(UploadRefused) as refused:
        store_many([(io.BytesIO(pdf), "c.pdf")], folder=folder, limits=UploadLimits(), daily=day)
    assert refused.value.code == "daily_quota"
    assert len(list(folder.iterdir())) == 2
    # a refused type gives its bytes back: the day still has room for a small file
    with pytest.raises(UploadRefused):
        store_many(
            [(io.BytesIO(b"MZ" + b"0" * 200), "x.exe")],
            folder=folder,
            limits=UploadLimits(),
            daily=day,
        )
    store_many(
        [(io.BytesIO(b"%PDF-1.4\n"), "d.pdf")], folder=folder, limits=UploadLimits(), daily=day
    )


def test_daily_quota_on_sqlite(app, tmp_path):
    _daily_quota_holds(tmp_path)


def test_daily_quota_on_postgresql(pg_app, tmp_path):
    _daily_quota_holds(tmp_path)
