"""API clients: a token issued for a citizen (by phone), an office or a supervisor, its secret
shown once with Cache-Control no-store, listed with last use and expiry (a citizen by masked
phone only), revoked; webhook endpoints registered for an office under the office page's rules,
deliveries listed, a failed one sent again. Every change is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.builders import NOW, admin, citizen, clerk, login_as, office, submit, supervisor
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import ApiToken, User, WebhookDelivery, WebhookEndpoint
from tracker.services import admin_changes, api_tokens, audit
from tracker.services import cases as ops
from tracker.web import wallclock


@pytest.fixture
def boss(app, client, monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    user = admin()
    login_as(client, user)
    return user


def tokens() -> list[ApiToken]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def test_a_citizen_token_by_phone_shows_its_secret_once_and_lists_a_masked_phone(app, client, boss):
    person = citizen()
    phone, name = person.phone, person.real_name
    response = client.post(
        "/admin/clients/tokens",
        data={"name": "市民 App", "scope": "citizen", "phone": phone, "days": "30"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r"tb_[A-Za-z0-9_-]{20,}", html)
    assert secret is not None
    (token,) = tokens()
    assert token.user_id == person.id and token.scope == "citizen"
    assert api_tokens.authenticate(secret.group(0), NOW) is not None
    listing = client.get("/admin/clients")
    text = listing.get_data(as_text=True)
    assert listing.headers["Cache-Control"] == "no-store"
    assert secret.group(0) not in text
    assert f"{phone[:3]}****{phone[-4:]}" in text and phone not in text and name not in text
    assert token.prefix in text
    (change,) = admin_changes.history("api_token", token.id)
    assert change.actor == boss.username and change.after["secret"] == "(shown once)"
    assert secret.group(0) not in str(change.after)


def test_office_and_supervisor_tokens(app, client, boss):
    sup = supervisor(None)
    for data in (
        {"name": "柜台系统", "scope": "office", "office": "510100-hf", "days": "90"},
        {"name": "督办报表", "scope": "supervisor", "supervisor": sup.username, "days": "90"},
    ):
        assert client.post("/admin/clients/tokens", data=data).status_code == 201
    office_token, supervisor_token = tokens()
    assert office_token.office_id == office("510100-hf").id and office_token.user_id is None
    assert supervisor_token.user_id == sup.id


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "x", "scope": "citizen", "phone": "13900000000", "days": "30"},
            "phone",
            "没有用这个手机号码注册的申请人",
        ),
        ({"name": "x", "scope": "citizen", "phone": "123", "days": "30"}, "phone", "11位手机号码"),
        ({"name": "x", "scope": "office", "office": "", "days": "30"}, "office", "请选择一个部门"),
        (
            {"name": "x", "scope": "supervisor", "supervisor": "nobody", "days": "30"},
            "supervisor",
            "没有这个用户名的督办人员",
        ),
        ({"name": "", "scope": "office", "office": "510100-hf", "days": "30"}, "name", "1–80"),
        (
            {"name": "x", "scope": "office", "office": "510100-hf", "days": "9999"},
            "days",
            "有效期须为",
        ),
        (
            {"name": "x", "scope": "office", "office": "510100-hf", "days": "abc"},
            "days",
            "有效期的天数",
        ),
        ({"name": "x", "scope": "root", "days": "30"}, "scope", "请选择令牌代表谁"),
    ],
)
def test_a_refused_token_names_the_field_and_keeps_what_was_typed(
    app, client, boss, data, field, message
):
    response = client.post("/admin/clients/tokens", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error"><li>.*?{re.escape(message)}', html, re.S), html[-3000:]
    if data.get("phone"):
        assert f'value="{data["phone"]}"' in html
    assert tokens() == []


def test_revoking_a_token_refuses_it_from_then_on(app, client, boss):
    issued = api_tokens.create_token(
        name="t",
        scope=api_tokens.TokenScope.OFFICE,
        now=NOW,
        created_by="x",
        office=office("510100-hf"),
    )
    response = client.post("/admin/clients/tokens/revoke", data={"token_id": issued.token.id})
    assert response.status_code == 302
    assert api_tokens.authenticate(issued.secret, NOW + timedelta(minutes=1)) is None
    (change,) = admin_changes.history("api_token", issued.token.id)
    assert change.change == "revoked"
    assert "已撤销" in client.get("/admin/clients").get_data(as_text=True)
    assert client.post("/admin/clients/tokens/revoke", data={"token_id": "999"}).status_code == 404


def test_a_webhook_endpoint_is_registered_for_an_office_under_the_same_rules(app, client, boss):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    refused = client.post(
        "/admin/clients/webhooks",
        data={"office": "510100-hf", "url": "http://10.0.0.7/hook", "events": ["case.accept"]},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "不能推送到内网" in html
    assert 'value="http://10.0.0.7/hook"' in html and 'value="case.accept" checked' in html
    no_office = client.post(
        "/admin/clients/webhooks", data={"office": "", "url": "https://a.example.org/h"}
    )
    assert no_office.status_code == 422 and "请选择一个部门" in no_office.get_data(as_text=True)
    added = client.post(
        "/admin/clients/webhooks",
        data={"office": "510100-hf", "url": "https://hf.example.org/hooks"},
    )
    assert added.status_code == 201 and added.headers["Cache-Control"] == "no-store"
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", added.get_data(as_text=True))
    db.session.rollback()
    (endpoint,) = db.session.scalars(sa.select(WebhookEndpoint)).all()
    assert secret is not None and endpoint.secret == secret.group(0)
    assert endpoint.office_id == office("510100-hf").id and endpoint.created_by_id == boss.id
    (change,) = admin_changes.history("webhook_endpoint", endpoint.id)
    assert change.after["url"] == "https://hf.example.org/hooks"
    assert secret.group(0) not in client.get("/admin/clients").get_data(as_text=True)


def test_a_failed_delivery_is_sent_again_with_its_message_id(app, client, boss):
    from tracker.services import webhooks

    endpoint, _secret = webhooks.register_endpoint(
        office("510100-hf").id,
        "https://hf.example.org/hooks",
        [],
        created_by=None,
        created_by_name="t",
        now=NOW,
        policy=webhooks.Policy(allow_private=True),
    )
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    ops.act(case.id, Action.ACCEPT, clerk("510100-hf"), NOW)
    db.session.rollback()
    first, *_ = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    first.status, first.attempts, first.last_status_code = "failed", 9, 500
    message_id = first.message_id
    db.session.commit()
    page = client.get("/admin/clients?status=failed").get_data(as_text=True)
    assert message_id in page and "HTTP 500" in page and '"attempt-count">9<' in page
    applicant = db.session.get(User, case.applicant_id)
    assert applicant.phone not in page and applicant.real_name not in page
    response = client.post("/admin/clients/deliveries/retry", data={"delivery_id": first.id})
    assert response.status_code == 302
    db.session.rollback()
    again = db.session.get(WebhookDelivery, first.id)
    assert again.status == "pending" and again.message_id == message_id and again.attempts == 9
    assert again.next_attempt_at == NOW
    (change,) = admin_changes.history("webhook_delivery", message_id)
    assert change.change == "retried"
    # Only a failed delivery can be sent again.
    client.post("/admin/clients/deliveries/retry", data={"delivery_id": first.id})
    assert "只有已放弃的推送可以重发" in client.get("/admin/clients").get_data(as_text=True)
    assert (
        client.post("/admin/clients/deliveries/retry", data={"delivery_id": "x"}).status_code == 404
    )
    assert endpoint.id and audit.verify().ok
