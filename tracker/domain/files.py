"""Uploaded files: which types we accept (by magic bytes, never by name), how big, how many,
and how a person's file name is kept as display-safe metadata.

The original name is never used to store or serve a file: ``secure_filename("身份证.jpg")`` is
``"jpg"``, so files live under random names and the cleaned original name is metadata only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tracker.domain.errors import DomainError
from tracker.domain.text import N_

__all__ = [
    "EXTENSIONS",
    "MIB",
    "SNIFF_BYTES",
    "UNKNOWN_EXTENSION",
    "UNNAMED",
    "UploadLimits",
    "UploadRefused",
    "check_counts",
    "clean_original_name",
    "download_name",
    "refuse_empty",
    "refuse_daily_quota",
    "refuse_over_quota",
    "refuse_too_large",
    "refuse_too_many",
    "refuse_type",
    "sniff",
]

MIB: Final = 1024 * 1024
UNNAMED: Final = "未命名文件"
MAX_NAME_CHARS: Final = 100

#: The only types we accept, by their leading bytes.
_MAGIC: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
SNIFF_BYTES: Final = max(len(magic) for magic, _ in _MAGIC)
EXTENSIONS: Final = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class UploadRefused(DomainError):
    """An upload broke a limit. ``code``: too_large, too_many, over_quota, daily_quota, type,
    empty."""

    code = "upload_refused"

    def __init__(self, message: str, *, code: str, name: str | None = None) -> None:
        super().__init__(message, code=code)
        self.name = name  # the cleaned original name of the file at fault, if one is


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * MIB  # one file
    max_files: int = 20
    max_total_bytes: int = 50 * MIB


def sniff(head: bytes) -> str | None:
    """The content type of a file starting with ``head``, or None if it is not one we accept."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _mb(n: int) -> str:
    return f"{n / MIB:g}"


def refuse_too_large(limits: UploadLimits, name: str | None = None) -> UploadRefused:
    return UploadRefused(
        N_("单个文件不能超过 %(mb)s MB", mb=_mb(limits.max_bytes)), code="too_large", name=name
    )


def refuse_too_many(limits: UploadLimits) -> UploadRefused:
    return UploadRefused(N_("最多上传 %(n)s 个文件", n=limits.max_files), code="too_many")


def refuse_over_quota(limits: UploadLimits) -> UploadRefused:
    return UploadRefused(
        N_("文件总大小不能超过 %(mb)s MB", mb=_mb(limits.max_total_bytes)), code="over_quota"
    )


def refuse_daily_quota(limit_bytes: int) -> UploadRefused:
    return UploadRefused(
        N_("今天上传的文件已达每日 %(mb)s MB 的上限，请明天再上传", mb=_mb(limit_bytes)),
        code="daily_quota",
    )


def refuse_type(name: str | None = None) -> UploadRefused:
    return UploadRefused(N_("只接受 PDF、JPG、PNG 格式的文件"), code="type", name=name)


def refuse_empty(name: str | None = None) -> UploadRefused:
    return UploadRefused(N_("文件是空的，请重新选择"), code="empty", name=name)


def check_counts(sizes: Sequence[int], limits: UploadLimits) -> None:
    """Refuse before anything is stored: too many files, an empty or too large one, or a total
    over the quota. Pass the sizes already stored for the case too, to count them against it."""
    if len(sizes) > limits.max_files:
        raise refuse_too_many(limits)
    if any(size <= 0 for size in sizes):
        raise refuse_empty()
    if any(size > limits.max_bytes for size in sizes):
        raise refuse_too_large(limits)
    if sum(sizes) > limits.max_total_bytes:
        raise refuse_over_quota(limits)


def _strip_controls(name: str) -> str:
    """The last path component, without control, bidi or zero-width characters, whitespace
    collapsed (may be empty)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    # Whitespace (tab, newline, ideographic space …) becomes a space; every other character of
    # category C (controls incl. NUL, formats such as U+202E and U+200B, surrogates, private
    # use, unassigned) is dropped.
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    return " ".join(name.split())


def clean_original_name(name: str) -> str:
    """The last path component, without control, bidi or zero-width characters, whitespace
    collapsed, at most 100 characters (keeping the extension); never empty."""
    name = _strip_controls(name)
    if not name.strip("."):
        return UNNAMED
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        suffix = dot + ext if stem and 0 < len(ext) <= 10 else ""
        name = name[: MAX_NAME_CHARS - len(suffix)].rstrip() + suffix
    return name


#: Characters Windows refuses in a file name; a browser would replace them with its own choice.
_RESERVED: Final = str.maketrans(dict.fromkeys('<>:"/\\|?*', "_"))
#: Saved with no extension we know, a file gets one no system runs.
UNKNOWN_EXTENSION: Final = ".bin"


def download_name(original_name: str | None, content_type: str | None) -> str:
    """The name a download is saved under: the person's name cleaned as above, its extension
    (whatever it claimed: ``.bat``, ``.hta``, ``.exe`` …) replaced by the one of the sniffed
    ``content_type`` (``.pdf``, ``.jpg``, ``.png``; ``.bin`` for anything else), so a browser
    never saves a program. Bidi and control characters are gone (``invoice`` U+202E
    ``fdp.exe`` is ``invoicefdp.pdf``); a stem left empty becomes ``未命名文件``. At most 100 characters."""
    extension = EXTENSIONS.get(content_type or "", UNKNOWN_EXTENSION)
    name = _strip_controls(original_name or "").translate(_RESERVED)
    stem, dot, _claimed = name.rpartition(".")
    if not dot:
        stem = name
    # No leading dot (a hidden file) and no trailing dot or space (Windows drops them, which
    # would bring a claimed extension back).
    stem = stem.strip(" .")
    stem = stem[: MAX_NAME_CHARS - len(extension)].rstrip(" .") or UNNAMED
    return stem + extension
