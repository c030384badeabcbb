"""Attachments as downloads: the one place a stored file becomes an HTTP response."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..models import Attachment, WalletItem
from ..services.uploads import download_of


def send_attachment(attachment: Attachment | WalletItem, folder: Path) -> Response:
    """The stored file as a download (never rendered inline), under the name ``download_of``
    gives it: the person's stem with the extension of the sniffed type, bidi and control
    characters stripped.

    Raises ``NotFound`` if the attachment has no file or the file is gone. Needs a request
    context."""
    found = download_of(attachment, folder)
    if found is None:
        raise NotFound()
    # Stored files are sealed (tracker.crypto): they are opened chunk by chunk as they are
    # sent, never read whole into memory.
    response = Response(found.chunks(), mimetype=found.mimetype)
    response.headers.set("Content-Disposition", "attachment", **_filename(found.download_name))
    if found.size >= 0:
        response.headers["Content-Length"] = str(found.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _filename(name: str) -> dict[str, str]:
    """The ``filename`` parameters Flask's ``send_file`` gives a download name: the name as it
    is when ASCII, else an ASCII fallback plus the real name as RFC 5987 ``filename*``."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        return {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}
    return {"filename": name}
