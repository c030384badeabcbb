"""services.aliases: other names people use for a service, for the catalogue search

Revision ID: b3d5f7a9c1e2
Revises: b5e1c7d20a14
Create Date: 2026-12-01 04:40:00.000000

A nullable JSON list of strings (公积金转移, 医保备案, provident fund …) loaded from
services.json "aliases". Older rows keep NULL until the catalogue is loaded again. Batch mode
for SQLite; on PostgreSQL the batch is a plain ALTER TABLE ... ADD COLUMN.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = 'b5e1c7d20a14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('aliases')
