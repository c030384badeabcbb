"""Every number a URL or a form carries is bounded before it reaches the database
(SECURITY.md catalogue row 22; issue 13 item 1): an out-of-range, negative or non-numeric value
answers 400/404 (or the benign page), never 500 — for every route, as every role.

The routes are walked from ``app.url_map`` (a new route is covered without editing this file);
each path parameter in turn gets the odd value while the others keep a real sample, so the odd
value is what the view meets.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.access_matrix import ANONYMOUS, CITIZEN, CLERK, ROLES, SUPERVISOR
from tests.test_architecture import SAMPLE_OVERRIDES, _matrix_world

TOO_BIG = "99999999999999999999"  # beyond a 64-bit integer: SQLite and psycopg both choke
JUST_OVER = str(2**31)  # beyond a 32-bit integer column (PostgreSQL ``integer``)
ODD_VALUES = (TOO_BIG, JUST_OVER, "-1", "abc")
METHODS = ("GET", "POST")


def _url(rule: Any, values: dict[str, str]) -> str:
    def put(match: re.Match[str]) -> str:
        return quote(str(values[match.group(1)]), safe="")

    return re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", put, rule.rule)


@pytest.fixture
def world(app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.builders import NOW
    from tracker.web import wallclock

    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    return _matrix_world(app, tmp_path)


def _client(app: Any, users: dict[str, Any], role: str) -> Any:
    from tests.builders import login_as

    client = app.test_client()
    if role != ANONYMOUS:
        login_as(client, users[role])
    return client


def _path_failures(app: Any, users: dict[str, Any], samples: dict[str, Any]) -> list[str]:
    rules = [r for r in app.url_map.iter_rules() if r.arguments and r.endpoint != "auth.logout"]
    assert any("attachment_id" in r.arguments for r in rules)  # the walk sees the id routes
    failures: list[str] = []
    for role in ROLES:
        client = _client(app, users, role)
        for rule in rules:
            base = {**samples, **SAMPLE_OVERRIDES.get(rule.endpoint, {})}
            methods = [m for m in METHODS if m in (rule.methods or ())]
            for name in sorted(rule.arguments):
                for odd in ODD_VALUES:
                    url = _url(rule, {**base, name: odd})
                    for method in methods:
                        response = client.open(url, method=method)
                        if response.status_code >= 500:
                            failures.append(f"{role} {method} {url}: {response.status_code}")
                        response.close()
    return failures


def test_no_path_parameter_value_makes_a_500(app, world):  # type: ignore[no-untyped-def]
    failures = _path_failures(app, *world)
    assert not failures, "\n".join(failures)


# Form and query-string fields that carry a number (an id, a version, a page, a score): each
# gets every odd value in turn. (role, method, endpoint, field values; "{odd}" is replaced).
FORM_CASES: list[tuple[str, str, str, dict[str, str]]] = [
    (CITIZEN, "GET", "citizen.cases", {"page": "{odd}"}),
    (CITIZEN, "POST", "citizen.apply", {"receiving": "{odd}", "competent": "{odd}"}),
    (CITIZEN, "POST", "citizen.apply", {"wallet_id_card": "{odd}"}),
    (CITIZEN, "POST", "citizen.withdraw", {"version": "{odd}", "reason": "x"}),
    (CITIZEN, "POST", "citizen.rate", {"score": "{odd}"}),
    (CITIZEN, "POST", "citizen.supplement", {"version": "{odd}"}),
    (CLERK, "GET", "clerk.queue", {"service": "{odd}", "page": "{odd}"}),
    (
        CLERK,
        "POST",
        "clerk.bulk",
        {"case": "{tracking_number}", "op": "assign", "assignee": "{odd}"},
    ),
    (CLERK, "POST", "clerk.assign", {"version": "{odd}", "op": "assign", "assignee": "{odd}"}),
    (CLERK, "POST", "clerk.act", {"action": "accept", "version": "{odd}", "canned": "{odd}"}),
    (CLERK, "POST", "clerk.act", {"action": "reject", "version": "1", "canned": "{odd}"}),
    (CLERK, "POST", "clerk.subtask_act", {"action": "accept", "version": "{odd}"}),
    (SUPERVISOR, "GET", "supervisor.dashboard", {"service": "{odd}"}),
    (SUPERVISOR, "GET", "supervisor.ratings", {"service": "{odd}"}),
    (
        SUPERVISOR,
        "POST",
        "supervisor.decide_extension",
        {"decision": "approve", "version": "{odd}"},
    ),
    (SUPERVISOR, "POST", "supervisor.rectification_item", {"note": "x", "stage": "{odd}"}),
]


def _form_failures(app: Any, users: dict[str, Any], samples: dict[str, Any]) -> list[str]:
    adapter = app.url_map.bind("localhost")
    clients = {role: _client(app, users, role) for role in {c[0] for c in FORM_CASES}}
    failures: list[str] = []
    for role, method, endpoint, fields in FORM_CASES:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        url = adapter.build(endpoint, {k: samples[k] for k in rule.arguments})
        for odd in ODD_VALUES:
            data = {
                k: v.format(odd=odd, tracking_number=samples["tracking_number"])
                for k, v in fields.items()
            }
            if method == "GET":
                response = clients[role].get(url, query_string=data)
            else:
                response = clients[role].post(url, data=data)
            if response.status_code >= 500:
                failures.append(f"{role} {method} {url} {data}: {response.status_code}")
            response.close()
    return failures


def test_no_number_in_a_form_or_query_string_makes_a_500(app, world):  # type: ignore[no-untyped-def]
    failures = _form_failures(app, *world)
    assert not failures, "\n".join(failures)


def test_no_odd_number_makes_a_500_on_postgresql(pg_app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """PostgreSQL's ``integer`` is 32-bit: 2**31 overflows there even where SQLite copes.
    (One test for both walks: the world's users are made once per database.)"""
    from tests.builders import NOW
    from tests.conftest import IsolatedClient
    from tracker.web import wallclock

    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    pg_app.test_client_class = IsolatedClient
    users, samples = _matrix_world(pg_app, tmp_path)
    failures = _path_failures(pg_app, users, samples) + _form_failures(pg_app, users, samples)
    assert not failures, "\n".join(failures)


def test_an_int_in_a_route_is_ascii_digits_within_a_database_integer(app):  # type: ignore[no-untyped-def]
    from werkzeug.exceptions import NotFound

    adapter = app.url_map.bind("localhost")
    endpoint, args = adapter.match("/clerk/notes/2147483647/delete", method="POST")
    assert (endpoint, args) == ("clerk.delete_note", {"note_id": 2**31 - 1})
    for odd in (JUST_OVER, TOO_BIG, "-1", "abc", "١٢", "１２", "1" * 5000):
        with pytest.raises(NotFound):
            adapter.match(f"/clerk/notes/{odd}/delete", method="POST")
