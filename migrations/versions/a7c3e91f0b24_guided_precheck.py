"""guided pre-check: a service's questions, a case's answers and situation code

Revision ID: a7c3e91f0b24
Revises: f3a9c2d7e5b1
Create Date: 2026-12-01 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91f0b24'
down_revision = 'f3a9c2d7e5b1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('precheck', sa.JSON(), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        # sealed (tracker.crypto, purpose "cases.precheck"): one JSON string, like form_data
        batch_op.add_column(sa.Column('precheck', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('situation_code', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('situation_code')
        batch_op.drop_column('precheck')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('precheck')
