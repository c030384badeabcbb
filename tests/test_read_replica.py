"""Dashboards and exports read from a replica when ``DATABASE_REPLICA_URL`` names one
(tracker/routing.py, docs/deploy.md); writes never go there; unset, everything reads the
primary. Two SQLite files stand in for the primary and its replica: the replica is a copy
taken before the primary changed, so which one answered shows in the answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from tests.builders import citizen, login_as, submit, supervisor
from tests.conftest import IsolatedClient, config_for
from tracker import create_app
from tracker.extensions import db
from tracker.models import Case
from tracker.routing import REPLICA, replica_reads

FIGURES = ("area_rollups", "open_case_days", "daily_rollups", "cases", "case_events")
SERVICE = ("hf-retirement-withdrawal", "500112-hf", "510100-hf")


def _app(primary: Path, replica: Path | None) -> Flask:
    cfg = config_for(f"sqlite:///{primary}")
    cfg.SQLALCHEMY_BINDS = {REPLICA: f"sqlite:///{replica}"} if replica else {}
    app = create_app(cfg)
    app.test_client_class = IsolatedClient
    return app


class Statements:
    """Every statement each engine ran, by engine name."""

    def __init__(self, app: Flask) -> None:
        self.seen: dict[str, list[str]] = {}
        for name, engine in app.extensions["sqlalchemy"].engines.items():
            event.listen(engine, "before_cursor_execute", self._recorder(name or "primary"))

    def _recorder(self, name: str):  # type: ignore[no-untyped-def]
        def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            self.seen.setdefault(name, []).append(" ".join(statement.split()))

        return record

    def clear(self) -> None:
        self.seen.clear()

    def on(self, name: str) -> list[str]:
        return self.seen.get(name, [])


@pytest.fixture
def pair(template_db: Path, tmp_path: Path) -> Iterator[tuple[Flask, Statements]]:
    primary, replica = tmp_path / "primary.sqlite", tmp_path / "replica.sqlite"
    shutil.copy(template_db, primary)
    shutil.copy(template_db, replica)  # the replica as it was before the case below
    app = _app(primary, replica)
    with app.app_context():
        submit(SERVICE[0], citizen(), SERVICE[1], SERVICE[2])
        yield app, Statements(app)
        db.session.remove()
        for engine in app.extensions["sqlalchemy"].engines.values():
            engine.dispose()


def _count_cases() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Case.id))) or 0)


def test_reads_inside_replica_reads_answer_from_the_replica(pair):
    assert _count_cases() == 1  # the primary
    db.session.rollback()
    with replica_reads():
        assert _count_cases() == 0  # the replica, a copy from before the case
    db.session.rollback()
    assert _count_cases() == 1


def test_a_write_inside_replica_reads_goes_to_the_primary(pair):
    app, statements = pair
    applicant = citizen()
    db.session.rollback()
    assert applicant.id  # loaded from the primary, before the block
    statements.clear()
    with replica_reads():
        assert _count_cases() == 0  # the replica
        case = submit(SERVICE[0], applicant, SERVICE[1], SERVICE[2])
        # After a write the block reads its own writes: the primary.
        assert case.tracking_number and _count_cases() == 2
    writes = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
    assert not [s for s in statements.on(REPLICA) if s.startswith(writes)]
    assert any(s.startswith("INSERT INTO cases") for s in statements.on("primary"))
    db.session.rollback()
    assert _count_cases() == 2
    with replica_reads():
        assert _count_cases() == 0


def test_the_replica_connection_refuses_writes(pair):
    app, _ = pair
    engine = app.extensions["sqlalchemy"].engines[REPLICA]
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.execute(sa.text("DELETE FROM cases"))


def test_dashboards_and_exports_read_the_replica_and_sign_in_reads_the_primary(pair):
    app, statements = pair
    client = app.test_client()
    login_as(client, supervisor("510000"))
    pages = [
        "/supervisor/",
        "/supervisor/?format=csv&table=daily",
        "/supervisor/clock",
        "/supervisor/workload",
        "/supervisor/open-data",
    ]
    for page in pages:
        statements.clear()
        response = client.get(page)
        assert response.status_code == 200, page
        on_replica = " ".join(statements.on(REPLICA))
        assert any(f"FROM {t}" in on_replica for t in FIGURES), page
        for figures in FIGURES:
            assert not [s for s in statements.on("primary") if f"FROM {figures} " in s], page
        # The signed-in user (and the session's checks) come from the primary.
        assert any("FROM users" in s for s in statements.on("primary")), page
        assert all(s.startswith(("SELECT", "BEGIN")) for s in statements.on(REPLICA)), page


def test_other_pages_read_the_primary(pair):
    app, statements = pair
    client = app.test_client()
    login_as(client, supervisor("510000"))
    statements.clear()
    assert client.get("/supervisor/ratings").status_code == 200
    assert statements.on("primary") and not statements.on(REPLICA)


def test_without_a_replica_everything_reads_the_primary(template_db, tmp_path):
    primary = tmp_path / "primary.sqlite"
    shutil.copy(template_db, primary)
    app = _app(primary, None)
    with app.app_context():
        assert REPLICA not in app.extensions["sqlalchemy"].engines
        submit(SERVICE[0], citizen(), SERVICE[1], SERVICE[2])
        db.session.rollback()
        with replica_reads():
            assert _count_cases() == 1
        client = app.test_client()
        login_as(client, supervisor("510000"))
        assert client.get("/supervisor/").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_on_postgresql_the_replica_connection_refuses_writes(pg_url):
    cfg = config_for(pg_url)
    cfg.SQLALCHEMY_BINDS = {REPLICA: pg_url}  # the primary itself, opened as the replica
    app = create_app(cfg)
    with app.app_context():
        engines = app.extensions["sqlalchemy"].engines
        with replica_reads():
            assert _count_cases() == 0
        db.session.rollback()
        with (
            engines[REPLICA].connect() as conn,
            pytest.raises(sa.exc.DBAPIError, match="read-only"),
        ):
            conn.execute(sa.text("DELETE FROM cases"))
        db.session.remove()
        for engine in engines.values():
            engine.dispose()
