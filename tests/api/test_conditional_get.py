"""Conditional GET on the machine interfaces: an ETag on every 200 answer to a GET of
/api/v1 and /open311/v2, 304 with no body when the client's copy is still the answer, a new
ETag as soon as anything in the answer changes (docs/performance.md, "Conditional GET")."""

from __future__ import annotations

from tests.api.conftest import CD_MI, MI, bearer, token_for
from tests.builders import citizen, clerk, submit


def _get(client, url, secret, etag=None, **headers):
    if etag is not None:
        headers["If-None-Match"] = etag
    return client.get(url, headers=bearer(secret, **headers))


def test_a_case_answers_304_until_it_moves(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    worker, secret = clerk(CD_MI), token_for(office_code=CD_MI)
    url = f"/api/v1/cases/{case.tracking_number}"
    first = _get(client, url, secret)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10

    again = _get(client, url, secret, etag)
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert "no-store" in again.headers["Cache-Control"]  # still personal data: never stored

    moved = client.post(
        f"{url}/actions",
        json={"action": "accept", "version": 1},
        headers=bearer(secret, **{"Tongban-Operator": worker.username}),
    )
    assert moved.status_code == 200
    assert "ETag" not in moved.headers  # a move's answer is not a representation to revalidate

    after = _get(client, url, secret, etag)
    assert after.status_code == 200
    assert after.get_json()["version"] == 2
    assert after.headers["ETag"] != etag


def test_another_token_or_language_never_matches_a_copy_it_was_not_given(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    office_secret = token_for(office_code=CD_MI)
    url = f"/api/v1/cases/{case.tracking_number}"
    etag = _get(client, url, office_secret).headers["ETag"]
    stranger = token_for(user=citizen())
    assert _get(client, url, stranger, etag).status_code == 404
    english = _get(client, url, office_secret, etag, **{"Accept-Language": "en"})
    assert english.status_code in (200, 304)
    if english.status_code == 304:  # the same bytes in both languages: nothing to resend
        assert english.headers["ETag"] == etag


def test_a_list_and_an_error_are_handled_like_any_answer(app, client):
    secret = token_for(office_code=CD_MI)
    listed = _get(client, "/api/v1/services", secret)
    assert listed.status_code == 200
    assert _get(client, "/api/v1/services", secret, listed.headers["ETag"]).status_code == 304
    assert _get(client, "/api/v1/services", secret, '"stale"').status_code == 200
    missing = _get(client, "/api/v1/cases/nope", secret)
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_open311_public_answers_revalidate_and_vary_by_language(app):
    for path in ("/open311/v2/services.json", "/open311/v2/services.xml"):
        client = app.test_client()  # a new one each time: ?lang= below sets the lang cookie
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "no-cache"
        assert {"Accept-Language", "Cookie"} <= set(first.vary)
        etag = first.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        english = client.get(path + "?lang=en", headers={"If-None-Match": etag})
        assert english.status_code == 200 and english.headers["ETag"] != etag
