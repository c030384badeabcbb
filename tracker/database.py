"""Engine tuning and the one way services open a write transaction.

SQLite under several workers needs WAL, a busy timeout, and write transactions that start
with ``BEGIN IMMEDIATE``: a read-then-write transaction otherwise fails at once with
"database is locked" despite the busy timeout (ARCHITECTURE.md). Reads keep a plain deferred
``BEGIN`` so that they never queue behind writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db
from .routing import note_write
from .routing import write_intent as _write_intent


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One business operation, one commit: everything inside commits together or not at all."""
    session: Session = db.session()
    if session.in_transaction():
        # End the request's read snapshot so the write starts fresh (and, on SQLite, IMMEDIATE).
        session.commit()
    token = _write_intent.set(True)
    note_write()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)
