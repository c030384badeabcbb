"""The API on PostgreSQL: a filing and a move, and the inputs PostgreSQL cannot take (NUL
characters in a path, a query or a body) answered 400, never 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import CD_MI, bearer, mi_body, token_for
from tests.builders import citizen, clerk
from tests.conftest import IsolatedClient

pytestmark = pytest.mark.usefixtures("pg_url")


@pytest.fixture
def pg_client(pg_app):  # type: ignore[no-untyped-def]
    pg_app.test_client_class = IsolatedClient
    return pg_app.test_client()


def test_file_and_accept_on_postgresql(pg_app, pg_client):
    person, worker = citizen(), clerk(CD_MI)
    filed = pg_client.post(
        "/api/v1/cases",
        json=mi_body(),
        headers=bearer(token_for(user=person), **{"Idempotency-Key": "pg-1"}),
    )
    assert filed.status_code == 201, filed.get_json()
    number = filed.get_json()["tracking_number"]
    moved = pg_client.post(
        f"/api/v1/cases/{number}/actions",
        json={"action": "accept", "version": 1},
        headers=bearer(token_for(office_code=CD_MI), **{"Tongban-Operator": worker.username}),
    )
    assert moved.status_code == 200 and moved.get_json()["status"]["code"] == 3


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/cases/51%00", None),
        ("GET", "/api/v1/services/mi%00", None),
        ("GET", f"/api/v1/offices/{CD_MI}%00/queue", None),
        ("GET", f"/api/v1/offices/{CD_MI}/queue?q=%00", None),
        ("GET", f"/api/v1/offices/{CD_MI}/queue?service=a%00", None),
        ("POST", "/api/v1/cases", {**mi_body(), "service": "mi\u0000"}),
        ("POST", "/api/v1/cases", {**mi_body(), "answers": {"phone": "1\u0000"}}),
    ],
)
def test_nul_characters_are_400_not_500(pg_app, pg_client, method, url, body):
    secret = token_for(office_code=CD_MI)
    answer = pg_client.open(
        url, method=method, json=body, headers=bearer(secret, **{"Idempotency-Key": "nul"})
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/problem+json"
