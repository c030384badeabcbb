"""case end: the due date an extension was asked under, the lateness reason of a late
decision, the delivery's status; a rating's follow-up (追评)

Revision ID: 5c1e8d2a9f30
Revises: b5d1e7a0c3f9
Create Date: 2026-12-01 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e8d2a9f30'
down_revision = 'b5d1e7a0c3f9'
branch_labels = None
depends_on = None

COLUMNS = (
    ('extension_due_on', sa.Date()),
    ('lateness_code', sa.String(length=16)),
    ('lateness_note', sa.String(length=500)),
    ('delivery_status', sa.String(length=16)),
)


RATING_COLUMNS = (
    ('follow_up_score', sa.Integer()),
    ('follow_up_comment', sa.Text()),
    ('follow_up_at', sa.DateTime(timezone=True)),
)


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for name, type_ in RATING_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for name, _ in reversed(RATING_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
