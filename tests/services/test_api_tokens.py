"""API tokens: hashed, shown once, scoped, expiring, revocable; office calls name a clerk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, office, supervisor
from tracker.extensions import db
from tracker.models import ApiToken, AuditEntry
from tracker.services import api_tokens
from tracker.services.api_tokens import OperatorRefused, TokenRefused, TokenScope


def test_the_secret_is_shown_once_and_only_its_digest_is_stored(app):
    user = citizen()
    issued = api_tokens.create_token(
        name="我的手机应用", scope=TokenScope.CITIZEN, now=NOW, created_by="test", user=user
    )
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert issued.secret.startswith("tb_") and len(issued.secret) > 40
    assert issued.secret not in (stored.digest, stored.prefix)
    assert stored.digest == api_tokens.digest(issued.secret)
    assert stored.expires_at == NOW + timedelta(days=90)
    assert api_tokens.authenticate(issued.secret, NOW + timedelta(minutes=5)).id == stored.id
    assert db.session.get(ApiToken, stored.id).last_used_at == NOW + timedelta(minutes=5)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert "api_token.create" in actions


@pytest.mark.parametrize("secret", ["", "tb_", "tb_wrong", "x" * 500, "Bearer tb_x"])
def test_unknown_secrets_are_refused(app, secret):
    api_tokens.create_token(
        name="n", scope=TokenScope.OFFICE, now=NOW, created_by="t", office=office("510100-hf")
    )
    assert api_tokens.authenticate(secret, NOW) is None


def test_expired_and_revoked_tokens_are_refused(app):
    issued = api_tokens.create_token(
        name="n",
        scope=TokenScope.OFFICE,
        now=NOW,
        created_by="t",
        office=office("510100-hf"),
        days=1,
    )
    assert api_tokens.authenticate(issued.secret, NOW + timedelta(hours=23)) is not None
    assert api_tokens.authenticate(issued.secret, NOW + timedelta(days=1)) is None
    other = api_tokens.create_token(
        name="m", scope=TokenScope.OFFICE, now=NOW, created_by="t", office=office("510100-hf")
    )
    api_tokens.revoke(other.token.id, NOW, by="t")
    assert api_tokens.authenticate(other.secret, NOW) is None


def test_a_token_belongs_to_the_right_kind_of_holder(app):
    with pytest.raises(TokenRefused):
        api_tokens.create_token(
            name="n", scope=TokenScope.CITIZEN, now=NOW, created_by="t", user=supervisor(None)
        )
    with pytest.raises(TokenRefused):
        api_tokens.create_token(name="n", scope=TokenScope.OFFICE, now=NOW, created_by="t")
    with pytest.raises(TokenRefused):
        api_tokens.create_token(
            name=" ", scope=TokenScope.SUPERVISOR, now=NOW, created_by="t", user=supervisor(None)
        )
    with pytest.raises(TokenRefused):
        api_tokens.create_token(
            name="n",
            scope=TokenScope.SUPERVISOR,
            now=NOW,
            created_by="t",
            user=supervisor(None),
            days=10_000,
        )


def test_an_office_token_acts_as_a_named_clerk_of_its_own_office(app):
    mine, theirs = clerk("510100-hf"), clerk("500112-hf")
    issued = api_tokens.create_token(
        name="后台", scope=TokenScope.OFFICE, now=NOW, created_by="t", office=office("510100-hf")
    )
    assert api_tokens.operator_for(issued.token, mine.username).id == mine.id
    for name in (None, "", theirs.username, "nobody"):
        with pytest.raises(OperatorRefused):
            api_tokens.operator_for(issued.token, name)
