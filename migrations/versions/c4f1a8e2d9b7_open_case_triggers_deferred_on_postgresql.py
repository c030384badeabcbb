"""open-case triggers deferred to commit on PostgreSQL

The triggers that keep open_case_days (ebeb9309c48c) ran at each INSERT/UPDATE of a case, so
the office's row of the day stayed locked from the case's first write until its transaction
committed: concurrent submissions into one office queued behind each other (issue 15 item 3,
docs/performance.md). As constraint triggers, DEFERRABLE INITIALLY DEFERRED, the same
function runs at commit, each row change with its own OLD and NEW, so the counts are the
same and the row is held only while the transaction commits. SQLite runs one writer at a
time and keeps its triggers as they are.

Revision ID: c4f1a8e2d9b7
Revises: a7c3e91f0b24
Create Date: 2026-12-02 05:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4f1a8e2d9b7'
down_revision = 'a7c3e91f0b24'
branch_labels = None
depends_on = None

_WHEN = ("OLD.status IS DISTINCT FROM NEW.status OR OLD.act_by IS DISTINCT FROM NEW.act_by "
         "OR OLD.received_on IS DISTINCT FROM NEW.received_on "
         "OR OLD.custody_office_id IS DISTINCT FROM NEW.custody_office_id "
         "OR OLD.service_id IS DISTINCT FROM NEW.service_id")
_UPDATE_OF = "status, act_by, received_on, custody_office_id, service_id"


def _create(constraint: bool) -> None:
    kind, timing = ("CONSTRAINT TRIGGER", " DEFERRABLE INITIALLY DEFERRED") if constraint else (
        "TRIGGER", "")
    op.execute("DROP TRIGGER IF EXISTS trg_cases_open_days_insert ON cases")
    op.execute("DROP TRIGGER IF EXISTS trg_cases_open_days_update ON cases")
    op.execute(f"CREATE {kind} trg_cases_open_days_insert AFTER INSERT OR DELETE ON cases"
               f"{timing} FOR EACH ROW EXECUTE FUNCTION cases_open_days()")
    op.execute(f"CREATE {kind} trg_cases_open_days_update AFTER UPDATE OF {_UPDATE_OF} ON cases"
               f"{timing} FOR EACH ROW WHEN ({_WHEN}) EXECUTE FUNCTION cases_open_days()")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _create(constraint=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _create(constraint=False)
