"""Attachments as downloads: the one place a stored file becomes an HTTP response."""

from __future__ import annotations

from pathlib import Path

from flask import send_file
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..models import Attachment
from ..services.uploads import download_of


def send_attachment(attachment: Attachment, folder: Path) -> Response:
    """The stored file as a download (never rendered inline), under the name ``download_of``
    gives it: the person's stem with the extension of the sniffed type, bidi and control
    characters stripped.

    Raises ``NotFound`` if the attachment has no file or the file is gone. Needs a request
    context."""
    found = download_of(attachment, folder)
    if found is None:
        raise NotFound()
    response = send_file(
        found.path, mimetype=found.mimetype, as_attachment=True, download_name=found.download_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
