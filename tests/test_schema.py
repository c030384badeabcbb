"""The migrated schema equals the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker.extensions import db


def _diff() -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def test_migrations_match_models_on_sqlite(app):
    assert _diff() == []


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql(pg_app):
    assert _diff() == []


def test_enums_are_stored_by_value(app):
    import sqlalchemy as sa

    from tests.builders import citizen, submit

    case = submit("mi-offsite-registration", citizen(), "510100-mi", "510100-mi")
    raw = db.session.execute(
        sa.text("SELECT status, mode FROM cases WHERE id = :i"), {"i": case.id}
    ).one()
    assert tuple(raw) == ("received", "fully_online")
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("UPDATE cases SET status = 'RECEIVED' WHERE id = :i"), {"i": case.id}
        )
    db.session.rollback()
