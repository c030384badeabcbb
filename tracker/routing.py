"""Which database a statement goes to: the primary, or a read replica for dashboards and
exports (docs/deploy.md).

``DATABASE_REPLICA_URL`` names a streaming replica of the primary (Flask-SQLAlchemy bind
``replica``). Code that only reads figures runs inside :func:`replica_reads` (the supervisor
pages and their exports, ``@reads_replica``); there, and only there, a ``SELECT`` goes to the
replica. Everything else goes to the primary: any statement outside that block, a flush,
an ``INSERT``/``UPDATE``/``DELETE``, every statement inside ``write_transaction`` (a
write decided on what the replica showed would act on data that may be a moment old), and
every read in the block after such a write (it reads its own writes). Objects loaded or
refreshed inside the block come from the replica: a view in the block should not commit
and then use what it had loaded before.
Without a replica configured, everything reads the primary. The replica's connections are
read-only as well (PostgreSQL ``default_transaction_read_only``, SQLite ``query_only``), so
a write routed there by mistake fails instead of diverging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import TextClause

REPLICA = "replica"  # the bind key

# Set by ``database.write_transaction``: a write is being made (SQLite: BEGIN IMMEDIATE).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


class _Block:
    wrote = False


_replica_reads: ContextVar[_Block | None] = ContextVar("replica_reads", default=None)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica when one is configured."""
    token = _replica_reads.set(_Block())
    try:
        yield
    finally:
        _replica_reads.reset(token)


def note_write() -> None:
    """A write is starting: the rest of the block reads the primary."""
    block = _replica_reads.get()
    if block is not None:
        block.wrote = True


def reads_replica(view: F) -> F:
    """A view whose queries are reads of figures: served from the replica."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _is_read(clause: Any) -> bool:
    if clause is None:
        return False
    if isinstance(clause, TextClause):
        return clause.text.lstrip().lower().startswith("select")
    return bool(getattr(clause, "is_select", False))


class RoutingSession(Session):
    """``db.session``: Flask-SQLAlchemy's session, with reads inside :func:`replica_reads`
    sent to the ``replica`` bind."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: Any | None = None,
        **kwargs: Any,
    ) -> Any:
        block = _replica_reads.get()
        if (
            bind is None
            and block is not None
            and not block.wrote
            and not write_intent.get()
            and not self._flushing
            and _is_read(clause)
        ):
            engine = self._db.engines.get(REPLICA)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def configure_replica(engine: Engine) -> None:
    """The replica's connections refuse writes."""

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only=ON")
            cursor.close()
        elif engine.dialect.name == "postgresql":
            dbapi_connection.read_only = True  # psycopg 3: every transaction BEGIN READ ONLY
