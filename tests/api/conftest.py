"""Fixtures for the JSON API: the clock at ``NOW``, and tokens for each scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import NOW, office
from tracker.models import User
from tracker.services import api_tokens
from tracker.services.api_tokens import TokenScope

AHDT, CD_HF, CD_MI, CQ_HF = "hf-retirement-withdrawal", "510100-hf", "510100-mi", "500112-hf"
MI = "mi-offsite-registration"
MI_ANSWERS = {
    "insured_region": "510100",
    "treatment_region": "500112",
    "filing_type": "long_term_residence",
    "start_date": "2026-11-10",
    "phone": "13800000000",
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.web import wallclock

    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def token_for(*, user: User | None = None, office_code: str | None = None, days: int = 90) -> str:
    if office_code is not None:
        scope, holder = TokenScope.OFFICE, {"office": office(office_code)}
    else:
        assert user is not None
        scope = TokenScope.CITIZEN if user.role.value == "citizen" else TokenScope.SUPERVISOR
        holder = {"user": user}
    return api_tokens.create_token(
        name="test", scope=scope, now=NOW, created_by="tests", days=days, **holder
    ).secret


def bearer(secret: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **extra}


def mi_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service": MI,
        "competent_office": CD_MI,
        "answers": dict(MI_ANSWERS),
        "licences": {"id_card": "EL-123456"},
    }
    body.update(changes)
    return body


@pytest.fixture
def post_case(client: Any) -> Callable[..., Any]:
    def post(secret: str, body: dict[str, Any], key: str = "k-1", **headers: str) -> Any:
        return client.post(
            "/api/v1/cases",
            json=body,
            headers=bearer(secret, **{"Idempotency-Key": key}, **headers),
        )

    return post
