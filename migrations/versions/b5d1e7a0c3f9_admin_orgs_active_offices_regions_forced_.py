"""admin console: offices and regions can be deactivated; forced password change; admin lock

Revision ID: b5d1e7a0c3f9
Revises: b3d5f7a9c1e2
Create Date: 2026-12-01 04:20:00.000000

``offices.active`` and ``regions.active`` (true for every existing row): a deactivated office
is no longer offered to applicants (pages, API, Open311); its cases keep working.
``users.must_change_password``: set when an admin resets a password (a one-time password);
the login sends the user to the password page until it is changed. ``users.locked_reason``:
an admin's lock (with its reason) that lasts until an admin unlocks it, unlike the timed
``locked_until`` of failed logins. Batch mode for SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1e7a0c3f9'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column('locked_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_reason')
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('active')
