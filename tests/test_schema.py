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


def test_the_open_case_triggers_survive_the_bundles_migration(app):
    """Adding cases.bundle_application_id must not recreate ``cases`` (a batch alter on SQLite
    would, and drop the open-case triggers that keep the queue counts)."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        triggers = set(
            conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
        columns = {row[1] for row in conn.execute(sa.text("PRAGMA table_info(cases)"))}
    assert {
        "trg_cases_open_days_insert",
        "trg_cases_open_days_update",
        "trg_cases_open_days_delete",
    } <= triggers
    assert "bundle_application_id" in columns
