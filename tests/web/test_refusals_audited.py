"""Issue #13, "Also": every refusal is audited, everywhere — not only inside the role pages.
The JSON API and Open311 audit a missing or bad key (401) and a refusal (403); with a valid key,
a case out of the key's scope (404) too, with the key's id. The admin console audits a
refusal like the other role pages."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import bearer, token_for
from tests.builders import citizen, clerk, login_as, submit
from tracker.extensions import db
from tracker.models import AuditEntry


def denials() -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "denied").order_by(AuditEntry.id)
        )
    )


def test_the_api_audits_a_missing_and_a_bad_token(client):
    assert client.get("/api/v1/services").status_code == 401
    assert client.get("/api/v1/services", headers=bearer("tb_wrong")).status_code == 401
    rows = denials()
    assert [(r.target, r.detail["status"]) for r in rows] == [
        ("/api/v1/services", 401),
        ("/api/v1/services", 401),
    ]
    assert all(r.user_id is None and not r.success for r in rows)


def test_the_api_audits_a_case_out_of_the_token_s_scope_with_the_token(client):
    owner, other = citizen(), citizen()
    case = submit("hf-retirement-withdrawal", owner, "500112-hf", "510100-hf")
    secret = token_for(user=other)
    path = f"/api/v1/cases/{case.tracking_number}"
    assert client.get(path, headers=bearer(secret)).status_code == 404
    (row,) = denials()
    assert row.target == path and row.detail["status"] == 404
    assert row.detail["token"] and row.user_id == other.id


def test_open311_audits_a_missing_key(client):
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 401
    (row,) = denials()
    assert row.target == "/open311/v2/requests.json" and row.detail["status"] == 401


def test_the_admin_console_audits_a_refused_clerk(app, client):
    login_as(client, clerk("500112-hf"))
    assert client.get("/admin/").status_code == 403
    (row,) = denials()
    assert row.target == "/admin/" and row.detail["status"] == 403
