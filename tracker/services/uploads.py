"""Storing uploaded files and serving them back.

Order of events (SECURITY.md, "Nothing is lost or doubled"): store the files first, then commit
the ``Attachment`` rows that name them; if that commit fails, ``discard`` the files. A crash in
between leaves an unreferenced file, which ``sweep_orphans`` removes once it is older than any
transaction can last. Files live under random names (``secrets.token_hex(16)`` plus the
extension of the sniffed type) in a 0700 folder, each 0600, sealed with the data keys
(``tracker.crypto.SealedFileWriter``, SECURITY.md #21): what is on disk is never the person's
file in clear. The person's file name is kept as metadata only; the download name is its stem
plus the extension of the sniffed type. :func:`opened` reads a stored file back in clear; a
file stored before files were sealed is read as it is until ``rotate-keys`` seals it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import crypto
from ..database import write_transaction
from ..domain.files import (
    EXTENSIONS,
    SNIFF_BYTES,
    UploadLimits,
    check_counts,
    clean_original_name,
    download_name,
    refuse_daily_quota,
    refuse_empty,
    refuse_over_quota,
    refuse_too_large,
    refuse_too_many,
    refuse_type,
    sniff,
)
from ..extensions import db
from ..models import Attachment, UploadDay, WalletItem

CHUNK = 64 * 1024
TEMP_PREFIX = ".upload-"
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:pdf|jpg|png)")
_QUERY_BATCH = 500


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def store_upload(
    stream: BinaryIO, original_name: str, *, folder: Path, limits: UploadLimits
) -> StoredFile:
    """Copy ``stream`` into ``folder`` under a random name, or raise ``UploadRefused`` and leave
    nothing behind. Reads at most ``limits.max_bytes + 1`` bytes."""
    name = clean_original_name(original_name)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)  # created 0600
    try:
        digest, size, head = hashlib.sha256(), 0, b""
        with os.fdopen(fd, "wb") as out:
            sealed = crypto.SealedFileWriter(out)
            while chunk := stream.read(min(CHUNK, limits.max_bytes + 1 - size)):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise refuse_too_large(limits, name)
                if len(head) < SNIFF_BYTES:  # refuse a wrong type as soon as we can tell
                    head += chunk[: SNIFF_BYTES - len(head)]
                    if len(head) == SNIFF_BYTES and sniff(head) is None:
                        raise refuse_type(name)
                digest.update(chunk)
                sealed.write(chunk)
            sealed.close()
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise refuse_empty(name)
        content_type = sniff(head)
        if content_type is None:
            raise refuse_type(name)
        stored_name = secrets.token_hex(16) + EXTENSIONS[content_type]
        os.replace(temp, folder / stored_name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return StoredFile(
        stored_name=stored_name,
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


@dataclass(frozen=True)
class DailyQuota:
    """What one person may store per Beijing day (SECURITY #13: a per-applicant bound)."""

    user_id: int
    day: date
    limit_bytes: int


def _charge(quota: DailyQuota, size: int, files: int) -> None:
    """Add to the person's ledger for the day, or raise ``UploadRefused`` (daily_quota) and
    add nothing. One statement, so concurrent uploads cannot both slip under the limit."""
    if size == 0 and files == 0:
        return
    with write_transaction() as session:
        dialect = session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        upsert = (
            insert(UploadDay)
            .values(user_id=quota.user_id, day=quota.day, bytes=size, files=files)
            .on_conflict_do_update(
                index_elements=[UploadDay.user_id, UploadDay.day],
                set_={"bytes": UploadDay.bytes + size, "files": UploadDay.files + files},
            )
        )
        total = session.execute(upsert.returning(UploadDay.bytes)).scalar_one()
        if total > quota.limit_bytes:
            raise refuse_daily_quota(quota.limit_bytes)  # rolls the addition back


def store_many(
    files: Sequence[tuple[BinaryIO, str]],
    *,
    folder: Path,
    limits: UploadLimits,
    existing_sizes: Sequence[int] = (),
    daily: DailyQuota | None = None,
) -> list[StoredFile]:
    """Store all of ``files`` or none. Counts, and the sizes of seekable streams, are checked
    before anything is written; ``existing_sizes`` (files the case already has) count against
    ``max_files`` and ``max_total_bytes``. With ``daily``, the sizes are charged to the
    person's day before anything is written (unseekable streams: as each is stored), and
    given back if the files are then refused."""
    if len(existing_sizes) + len(files) > limits.max_files:
        raise refuse_too_many(limits)
    known_sizes = [_remaining(stream) for stream, _ in files]
    check_counts([*existing_sizes, *(s for s in known_sizes if s is not None)], limits)
    charged = sum(s for s in known_sizes if s is not None)
    if daily is not None:
        _charge(daily, charged, len(files))
    stored: list[StoredFile] = []
    total = sum(existing_sizes)
    try:
        for (stream, original_name), known in zip(files, known_sizes, strict=True):
            stored.append(store_upload(stream, original_name, folder=folder, limits=limits))
            total += stored[-1].size
            if total > limits.max_total_bytes:  # only reachable with unseekable streams
                raise refuse_over_quota(limits)
            if daily is not None and known is None:
                _charge(daily, stored[-1].size, 0)
                charged += stored[-1].size
    except BaseException:
        discard(stored, folder)
        if daily is not None:
            _give_back(daily, charged, len(files))
        raise
    return stored


def _give_back(quota: DailyQuota, size: int, files: int) -> None:
    with write_transaction() as session:
        session.execute(
            sa.update(UploadDay)
            .where(UploadDay.user_id == quota.user_id, UploadDay.day == quota.day)
            .values(bytes=UploadDay.bytes - size, files=UploadDay.files - files)
        )


def discard(stored: Sequence[StoredFile], folder: Path) -> None:
    """Remove files stored for a transaction that then failed."""
    for item in stored:
        (folder / item.stored_name).unlink(missing_ok=True)


def referenced_names(names: set[str]) -> set[str]:
    """Those of ``names`` that an ``Attachment`` row or a wallet item (``services/wallet``)
    refers to (needs an app context)."""
    found: set[str] = set()
    ordered = sorted(names)
    for i in range(0, len(ordered), _QUERY_BATCH):
        batch = ordered[i : i + _QUERY_BATCH]
        for column in (Attachment.stored_name, WalletItem.stored_name):
            found.update(
                n for n in db.session.scalars(sa.select(column).where(column.in_(batch))) if n
            )
    return found


def sweep_orphans(
    folder: Path,
    known: Callable[[set[str]], set[str]] | None = None,
    *,
    older_than: timedelta,
    now: datetime,
) -> list[str]:
    """Delete stored files no ``Attachment`` or wallet item refers to, and stale temp files, last modified
    before ``now - older_than`` (younger ones may belong to a transaction still in flight, so
    ``older_than`` must exceed the longest upload plus commit). Only names this module makes
    are touched. Returns the removed names, sorted."""
    if not folder.is_dir():
        return []
    cutoff = (now - older_than).timestamp()
    old = sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.is_file(follow_symlinks=False)
        and (STORED_NAME.fullmatch(entry.name) or entry.name.startswith(TEMP_PREFIX))
        and entry.stat(follow_symlinks=False).st_mtime < cutoff
    )
    stored = {name for name in old if not name.startswith(TEMP_PREFIX)}
    keep = (known or referenced_names)(stored) if stored else set()
    removed = [name for name in old if name not in keep]
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    return removed


@dataclass(frozen=True)
class Download:
    """What to send for an attachment: the file, its type and the name to save it under. The
    web layer turns it into a response (``tracker/web/downloads.py``)."""

    path: Path
    mimetype: str
    download_name: str
    size: int

    def chunks(self) -> Iterator[bytes]:
        return opened(self.path)


def opened(path: Path) -> Iterator[bytes]:
    """A stored file's content in clear, chunk by chunk (``crypto.KeyError_`` if a sealed file
    was altered or its key is gone); a file stored before files were sealed, as it is."""
    with path.open("rb") as source:
        if crypto.file_key_id(source) is not None:
            source.seek(0)
            yield from crypto.open_file(source)
            return
        source.seek(0)
        while chunk := source.read(CHUNK):
            yield chunk


def download_of(attachment: Attachment | WalletItem, folder: Path) -> Download | None:
    """The stored file of ``attachment`` (or of a wallet item), or None when the attachment has no file, names
    something this module did not make, or the file is gone. It is saved under the person's
    name with the extension of its sniffed type (``domain.files.download_name``): a PDF
    uploaded as ``证明材料.bat`` downloads as ``证明材料.pdf``."""
    stored_name = attachment.stored_name
    if not stored_name or not STORED_NAME.fullmatch(stored_name):
        return None
    path = folder / stored_name
    if not path.is_file():
        return None
    return Download(
        path=path,
        mimetype=attachment.content_type or "application/octet-stream",
        download_name=download_name(attachment.original_name, attachment.content_type),
        size=attachment.size if attachment.size is not None else -1,
    )


def _remaining(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream, without reading them; None if it cannot seek."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable before the caller commits rows naming the file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
