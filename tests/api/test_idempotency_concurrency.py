"""Concurrent identical POST /cases (threads, each request its own session): one case, on
SQLite and on PostgreSQL; the others are answered 409 (in flight) or replay the answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import bearer, mi_body, token_for
from tests.builders import citizen
from tracker.extensions import db
from tracker.models import Case

THREADS = 8


def _race(app: Flask, secret: str, key: str) -> list[tuple[int, dict[str, Any]]]:
    app.test_client_class = (
        FlaskClient  # a thread has no app context of its own: each request pushes one
    )
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def one() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/cases", json=mi_body(), headers=bearer(secret, **{"Idempotency-Key": key})
        )
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def _check(app: Flask, answers: list[tuple[int, dict[str, Any]]], applicant_id: int) -> None:
    assert len(answers) == THREADS
    statuses = sorted(status for status, _ in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = [body for status, body in answers if status == 201]
    assert created, statuses
    assert len({body["tracking_number"] for body in created}) == 1
    db.session.rollback()
    count = db.session.scalar(
        sa.select(sa.func.count(Case.id)).where(Case.applicant_id == applicant_id)
    )
    assert count == 1


def test_concurrent_identical_requests_file_one_case_on_sqlite(app):
    person = citizen()
    secret = token_for(user=person)
    _check(app, _race(app, secret, "race-sqlite"), person.id)


@pytest.mark.usefixtures("pg_url")
def test_concurrent_identical_requests_file_one_case_on_postgresql(pg_app):
    person = citizen()
    secret = token_for(user=person)
    _check(pg_app, _race(pg_app, secret, "race-pg"), person.id)
