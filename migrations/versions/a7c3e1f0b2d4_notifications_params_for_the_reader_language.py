"""notifications.params: what each notice was made from, to show it in the reader's language

Revision ID: a7c3e1f0b2d4
Revises: a6bf235010d4
Create Date: 2026-12-01 01:50:00.000000

A nullable JSON column (action, service names in both languages, tracking number, reason, due
date). Older rows keep NULL and are shown as stored. Batch mode for SQLite; on PostgreSQL the
batch is a plain ALTER TABLE ... ADD COLUMN.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e1f0b2d4'
down_revision = 'a6bf235010d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('params')
