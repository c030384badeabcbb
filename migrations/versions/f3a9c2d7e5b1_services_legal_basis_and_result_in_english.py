"""services: the legal basis and the result in English (issue 14 item 1)

Revision ID: f3a9c2d7e5b1
Revises: 7a3f0c9d21b4
Create Date: 2026-12-01 07:45:00.000000

services.legal_basis_en and services.result_en sit beside the Chinese columns, empty for
existing rows until the catalogue is loaded again (`flask tracker load-catalogue`) or an admin
publishes the service with its English; pages show the Chinese where the English is empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c2d7e5b1'
down_revision = '7a3f0c9d21b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_basis_en', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('result_en', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('result_en')
        batch_op.drop_column('legal_basis_en')
