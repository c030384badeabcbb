"""users.locale: the interface language a person chose, kept on the account

Revision ID: b5e1c7d20a14
Revises: cb2267a4df87
Create Date: 2026-12-01 04:10:00.000000

A nullable short code ('zh', 'en'); NULL means the person never chose (the browser's cookie,
then Accept-Language, then Chinese decide). Batch mode for SQLite; on PostgreSQL the batch is
a plain ALTER TABLE ... ADD COLUMN.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e1c7d20a14'
down_revision = 'cb2267a4df87'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
