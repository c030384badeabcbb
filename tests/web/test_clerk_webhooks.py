"""The clerk's webhook page: register (errors beside the field, nothing typed lost, the secret
shown once), disable, rotate, and the recent deliveries with their attempts — for the clerk's
own office only. CSRF is checked with protection on."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.builders import PASSWORD, citizen, clerk, login_as, office, submit
from tests.conftest import config_for
from tests.webhook_receiver import receiver
from tracker import create_app
from tracker.extensions import db
from tracker.models import WebhookEndpoint
from tracker.services import webhooks
from tracker.services.webhooks import Policy


def endpoints_of(office_code: str) -> list[WebhookEndpoint]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint).where(WebhookEndpoint.office_id == office(office_code).id)
        )
    )


def test_a_clerk_registers_an_endpoint_and_sees_the_secret_once(app, client):
    login_as(client, clerk("500112-hf"))
    page = client.get("/clerk/webhooks")
    assert page.status_code == 200 and "登记接收地址" in page.get_data(as_text=True)
    response = client.post(
        "/clerk/webhooks",
        data={"url": "https://hf.example.org/hooks", "events": ["case.accept", "case.forward"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", html)
    assert secret is not None
    (endpoint,) = endpoints_of("500112-hf")
    assert endpoint.secret == secret.group(0)
    assert endpoint.events == ["case.accept", "case.forward"] and endpoint.active
    assert endpoint.created_by_name.startswith("clerk")
    assert response.headers["Cache-Control"] == "no-store"
    again = client.get("/clerk/webhooks").get_data(as_text=True)
    assert "https://hf.example.org/hooks" in again and secret.group(0) not in again


def test_a_refused_url_is_shown_beside_the_field_with_everything_typed_kept(app, client):
    login_as(client, clerk("500112-hf"))
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    response = client.post(
        "/clerk/webhooks", data={"url": "http://10.0.0.7/hook", "events": ["case.accept"]}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="url-error"' in html and "内网" in html
    assert 'value="http://10.0.0.7/hook"' in html
    assert re.search(r'value="case.accept" checked', html)
    assert 'aria-invalid="true"' in html
    response = client.post("/clerk/webhooks", data={"url": "ftp://x.example.org/"})
    assert response.status_code == 422 and "http://" in response.get_data(as_text=True)
    response = client.post("/clerk/webhooks", data={"url": "", "events": ["case.nonsense"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="url-error"' in html and 'id="events-error"' in html
    assert endpoints_of("500112-hf") == []


def test_disable_and_rotate_only_the_clerks_own_endpoints(app, client):
    theirs, _ = webhooks.register_endpoint(
        office("510100-hf").id,
        "https://cd.example.org/h",
        [],
        created_by=None,
        created_by_name="cli",
        now=datetime.now(UTC),
        policy=Policy(),
    )
    mine, first_secret = webhooks.register_endpoint(
        office("500112-hf").id,
        "https://cq.example.org/h",
        [],
        created_by=None,
        created_by_name="cli",
        now=datetime.now(UTC),
        policy=Policy(),
    )
    theirs_id, mine_id = theirs.id, mine.id
    login_as(client, clerk("500112-hf"))
    html = client.get("/clerk/webhooks").get_data(as_text=True)
    assert "cq.example.org" in html and "cd.example.org" not in html
    assert client.post(f"/clerk/webhooks/{theirs_id}/disable").status_code == 404
    assert client.post(f"/clerk/webhooks/{theirs_id}/rotate").status_code == 404
    rotated = client.post(f"/clerk/webhooks/{mine_id}/rotate")
    new_secret = re.search(r"whsec_[A-Za-z0-9+/=]+", rotated.get_data(as_text=True))
    assert rotated.status_code == 200 and new_secret and new_secret.group(0) != first_secret
    response = client.post(f"/clerk/webhooks/{mine_id}/disable")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(WebhookEndpoint, mine_id).active is False
    assert db.session.get(WebhookEndpoint, theirs_id).active is True
    assert client.post(f"/clerk/webhooks/{mine_id}/rotate").status_code == 409


def test_recent_deliveries_show_status_and_each_attempt(app, client):
    with receiver([500]) as rx:
        webhooks.register_endpoint(
            office("500112-hf").id,
            rx.url,
            ["submit"],
            created_by=None,
            created_by_name="cli",
            now=datetime.now(UTC),
            policy=Policy(allow_private=True),
        )
        case = submit("hf-retirement-withdrawal", citizen(), "500112-hf", "510100-hf")
        webhooks.deliver_due(Policy(allow_private=True, timeout=2))
    login_as(client, clerk("500112-hf"))
    html = client.get("/clerk/webhooks").get_data(as_text=True)
    assert case.tracking_number in html and "HTTP 500" in html and "待发送" in html
    assert case.applicant.real_name not in html
    login_as(other := client.application.test_client(), clerk("510100-mi"))
    assert case.tracking_number not in other.get("/clerk/webhooks").get_data(as_text=True)


def test_registering_without_a_csrf_token_is_refused_and_writes_nothing(template_db, tmp_path):
    path = tmp_path / "csrf.sqlite"
    shutil.copy(template_db, path)
    app = create_app(
        type("WithCsrf", (config_for(f"sqlite:///{path}"),), {"WTF_CSRF_ENABLED": True})
    )
    with app.app_context():
        username = clerk("500112-hf").username
        db.session.remove()
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', login_page
    )
    assert token
    signed_in = client.post(
        "/login", data={"login": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert signed_in.status_code == 302
    response = client.post("/clerk/webhooks", data={"url": "https://x.example.org/h"})
    assert response.status_code == 400
    page = client.get("/clerk/webhooks").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0
        db.engine.dispose()
