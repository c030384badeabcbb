"""Notices as downloads and the settings the notice services need from the app."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, request, send_file
from werkzeug.wrappers import Response

from ..models import Notice
from ..services import notice_keys, notice_pdf, notices


def key_settings() -> notices.KeySettings:
    return notices.KeySettings(
        folder=str(current_app.config["NOTICE_KEYS_DIR"]),
        autocreate=bool(current_app.config["NOTICE_KEYS_AUTOCREATE"]),
    )


def verify_base() -> str:
    """Where /verify is, for the QR code: PUBLIC_BASE_URL if set, else this request's host."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url)


def send_notice(notice: Notice, now: datetime) -> Response:
    """The notice's signed PDF as a download, named by its kind and number."""
    import io

    try:
        data = notices.document(notice.id, key_settings(), verify_base(), now)
    except (notice_keys.NoKey, notice_pdf.FontMissing):
        # No signing key (production creates them with `tracker notice-keys create`) or no
        # CJK font: the document cannot be made now; never an unsigned one.
        abort(503)
    name = f"{notice.number}.pdf".replace("〔", "(").replace("〕", ")")
    response = send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
