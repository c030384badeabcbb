"""SECURITY #13 item 3: the bytes an applicant may store per Beijing day are bounded, and the
answer comes before anything is written to the upload folder."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.builders import NOW, citizen, login_as
from tracker.web import wallclock

PDF = b"%PDF-1.4\n" + b"0" * (150 * 1024) + b"\n%%EOF\n"  # about 150 KiB


def _post(client, name: str):
    data = {
        "token": f"t-{name}",
        "file_medical_invoices": (io.BytesIO(PDF), f"{name}.pdf"),
        "file_expense_details": (io.BytesIO(PDF), f"{name}-2.pdf"),
    }
    # a service without a guided pre-check: the form is posted straight away
    return client.post(
        "/services/mi-manual-reimbursement/apply", data=data, content_type="multipart/form-data"
    )


def test_a_day_s_upload_quota_is_answered_before_storage(client, app, tmp_path, monkeypatch):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "up")
    tmp_path = tmp_path / "up"
    app.config["UPLOAD_DAILY_BYTES"] = 512 * 1024  # 0.5 MiB a day: one form of ~300 KiB fits
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    applicant = citizen()
    login_as(client, applicant)

    first = _post(client, "a")  # refused for other reasons (no answers), files kept
    assert first.status_code == 422
    assert tmp_path.is_dir()
    stored = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert len(stored) == 2

    second = _post(client, "b")
    html = second.get_data(as_text=True)
    assert second.status_code == 429
    assert "今天" in html and "0.5 MB" in html
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == stored

    # the next Beijing day the applicant may upload again
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(days=1))
    login_as(client, applicant)  # a day later the session has expired
    assert _post(client, "c").status_code == 422
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 4


def test_another_applicant_has_their_own_quota(client, app, tmp_path, monkeypatch):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "up")
    tmp_path = tmp_path / "up"
    app.config["UPLOAD_DAILY_BYTES"] = 512 * 1024
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    login_as(client, citizen())
    assert _post(client, "a").status_code == 422
    assert _post(client, "b").status_code == 429
    client.post("/logout")
    login_as(client, citizen())
    assert _post(client, "c").status_code == 422
