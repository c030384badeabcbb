"""Every error under /api is a problem document with the right status; tokens stay in their
scope (queues, figures); revoked and expired tokens are 401; nothing sets a cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import CD_HF, CD_MI, CQ_HF, MI, bearer, mi_body, token_for
from tests.builders import NOW, citizen, clerk, submit, supervisor
from tracker.services import api_tokens

PROBLEM = "application/problem+json"


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert "Set-Cookie" not in response.headers
    return body


# ---- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer tb_nope", "Basic dXNlcjpwYXNz", "tb_x", "Bearer " + "x" * 5000],
)
def test_no_valid_bearer_token_is_401(app, client, header):
    headers = {} if header is None else {"Authorization": header}
    answer = client.get("/api/v1/services", headers=headers)
    _is_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_are_401(app, client, monkeypatch):
    from tracker.models import ApiToken
    from tracker.web import wallclock

    person = citizen()
    revoked = token_for(user=person)
    token_id = api_tokens.authenticate(revoked, NOW).id
    api_tokens.revoke(token_id, NOW, by="tests")
    _is_problem(client.get("/api/v1/services", headers=bearer(revoked)), 401)
    short = token_for(user=person, days=1)
    assert client.get("/api/v1/services", headers=bearer(short)).status_code == 200
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(days=1, seconds=1))
    _is_problem(client.get("/api/v1/services", headers=bearer(short)), 401)
    assert ApiToken  # the table the tokens live in


def test_a_browser_session_is_no_api_credential(app, client):
    from tests.builders import login_as

    person = citizen()
    login_as(client, person)
    _is_problem(client.get("/api/v1/services"), 401)


# ---- malformed requests --------------------------------------------------------------------


def _post(client, secret, data, content_type="application/json", **headers):
    return client.post(
        "/api/v1/cases",
        data=data,
        content_type=content_type,
        headers=bearer(secret, **{"Idempotency-Key": "k"}, **headers),
    )


def test_bad_json_wrong_type_and_huge_bodies(app, client):
    secret = token_for(user=citizen())
    _is_problem(_post(client, secret, b"{not json"), 400)
    _is_problem(_post(client, secret, b"\xff\xfe"), 400)
    _is_problem(_post(client, secret, b""), 400)
    _is_problem(_post(client, secret, b"service=x", "application/x-www-form-urlencoded"), 415)
    _is_problem(_post(client, secret, b"{}", "text/plain"), 415)
    _is_problem(_post(client, secret, b'{"a": "' + b"x" * 300_000 + b'"}'), 413)
    move = client.post(
        "/api/v1/cases/X/actions",
        data=b"a",
        content_type="multipart/form-data",
        headers=bearer(secret),
    )
    _is_problem(move, 415)


def test_unknown_fields_and_wrong_types_are_422_with_fields(app, client, post_case):
    secret = token_for(user=citizen())
    extra = _is_problem(post_case(secret, {**mi_body(), "status": "approved"}), 422)
    assert "status" in extra["fields"]
    wrong = _is_problem(post_case(secret, {**mi_body(), "answers": [1, 2]}, key="b"), 422)
    assert "answers" in wrong["fields"]
    _is_problem(post_case(secret, [1, 2, 3], key="c"), 422)
    case = submit(MI, citizen(), CD_MI, CD_MI)
    url = f"/api/v1/cases/{case.tracking_number}/actions"
    for body in (
        {"action": "accept", "version": "one"},
        {"action": "accept", "version": 10**30},
        {"action": "accept", "version": -1},
        {"action": "fly", "version": 1},
        {"action": "accept", "version": 1, "office_id": 3},
    ):
        _is_problem(client.post(url, json=body, headers=bearer(secret)), 422)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "limit=99999999999999999999",
        "status=nope",
        "from=2026-13-01",
        "sort=id%20desc;--",
        "cursor=%25%25%25",
        "cursor=bm90LWEtY3Vyc29y",
        "from=9999-12-31",
        "to=0001-01-01",
    ],
)
def test_bad_queue_parameters_are_400(app, client, query):
    secret = token_for(office_code=CD_MI)
    _is_problem(client.get(f"/api/v1/offices/{CD_MI}/queue?{query}", headers=bearer(secret)), 400)


def test_unknown_paths_and_methods(app, client):
    secret = token_for(user=citizen())
    _is_problem(client.get("/api/v1/nothing-here", headers=bearer(secret)), 404)
    _is_problem(client.get("/api/v2/services"), 404)
    gone = _is_problem(client.delete("/api/v1/services", headers=bearer(secret)), 405)
    assert gone["detail"]
    _is_problem(client.get("/api/v1/services/no-such-service", headers=bearer(secret)), 404)
    _is_problem(client.get("/api/v1/cases/" + "9" * 40, headers=bearer(secret)), 404)


def test_the_api_sets_no_cookie_even_when_asked_for_a_language(app, client):
    secret = token_for(user=citizen())
    answer = client.get("/api/v1/services?lang=en", headers=bearer(secret))
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


# ---- the queue -----------------------------------------------------------------------------


def test_an_office_token_reads_only_its_own_queue(app, client):
    person = citizen()
    cases = [submit(MI, person, CD_MI, CD_MI) for _ in range(5)]
    secret = token_for(office_code=CD_MI)
    seen, cursor = [], None
    while True:
        url = f"/api/v1/offices/{CD_MI}/queue?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=bearer(secret))
        assert page.status_code == 200, page.get_json()
        seen += [c["tracking_number"] for c in page.get_json()["cases"]]
        cursor = page.get_json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(c.tracking_number for c in cases) and len(seen) == 5
    _is_problem(client.get(f"/api/v1/offices/{CD_HF}/queue", headers=bearer(secret)), 404)
    _is_problem(client.get("/api/v1/offices/nope/queue", headers=bearer(secret)), 404)
    _is_problem(
        client.get(f"/api/v1/offices/{CD_MI}/queue", headers=bearer(token_for(user=person))), 403
    )


def test_the_queue_filters_as_the_workbench_does(app, client):
    person = citizen()
    first, second = submit(MI, person, CD_MI, CD_MI), submit(MI, person, CD_MI, CD_MI)
    worker = clerk(CD_MI)
    secret = token_for(office_code=CD_MI)
    client.post(
        f"/api/v1/cases/{first.tracking_number}/actions",
        json={"action": "accept", "version": 1},
        headers=bearer(secret, **{"Tongban-Operator": worker.username}),
    )
    url = f"/api/v1/offices/{CD_MI}/queue"
    accepted = client.get(f"{url}?status=accepted", headers=bearer(secret)).get_json()
    assert [c["tracking_number"] for c in accepted["cases"]] == [first.tracking_number]
    found = client.get(f"{url}?q={second.tracking_number}", headers=bearer(secret)).get_json()
    assert [c["tracking_number"] for c in found["cases"]] == [second.tracking_number]
    mine = client.get(
        f"{url}?assigned=me", headers=bearer(secret, **{"Tongban-Operator": worker.username})
    )
    assert mine.status_code == 200 and mine.get_json()["cases"] == []


def test_a_supervisor_reads_queues_inside_its_region_only(app, client):
    submit(MI, citizen(), CD_MI, CD_MI)
    sichuan = token_for(user=supervisor("510000"))
    assert client.get(f"/api/v1/offices/{CD_MI}/queue", headers=bearer(sichuan)).status_code == 200
    _is_problem(client.get(f"/api/v1/offices/{CQ_HF}/queue", headers=bearer(sichuan)), 404)


# ---- daily figures -------------------------------------------------------------------------


def test_daily_figures_for_supervisors_and_offices_not_citizens(app, client):
    person = citizen()
    submit(MI, person, CD_MI, CD_MI)
    submit(MI, person, CD_MI, CD_MI)
    query = "/api/v1/stats/daily?from=2026-11-01&to=2026-11-03"
    boss = client.get(query, headers=bearer(token_for(user=supervisor("510000")))).get_json()
    assert [d["received"] for d in boss["days"]] == [0, 2, 0]
    office = client.get(query, headers=bearer(token_for(office_code=CD_MI))).get_json()
    assert sum(d["received"] for d in office["days"]) == 2
    other = client.get(query, headers=bearer(token_for(office_code=CD_HF))).get_json()
    assert sum(d["received"] for d in other["days"]) == 0
    chongqing = client.get(query, headers=bearer(token_for(user=supervisor("500000"))))
    assert sum(d["received"] for d in chongqing.get_json()["days"]) == 0
    _is_problem(client.get(query, headers=bearer(token_for(user=person))), 403)
    outside = client.get(
        query + "&region=500000", headers=bearer(token_for(user=supervisor("510000")))
    )
    _is_problem(outside, 404)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-11-05&to=2026-11-01",
        "from=2025-01-01&to=2026-11-01",
        "from=2026-11-01",
        "from=x&to=y",
        "from=2026-11-01&to=2026-11-02&service=nope",
        "from=2026-11-01&to=2026-11-02&region=51",
        "from=9999-12-30&to=9999-12-31",
        "from=0001-01-01&to=0001-01-02",
    ],
)
def test_bad_figure_queries_are_400(app, client, query):
    secret = token_for(user=supervisor(None))
    _is_problem(client.get(f"/api/v1/stats/daily?{query}", headers=bearer(secret)), 400)
