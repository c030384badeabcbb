"""personal data sealed at rest: resident ids and case answers (AES-GCM), keyed-hash lookup

Revision ID: a6bf235010d4
Revises: bc3d0291cde8
Create Date: 2026-12-01 01:52:27.311860

``users.resident_id`` and ``cases.form_data`` are sealed with the keys ``create_app`` gave
``tracker.crypto`` (DATA_KEYS, or derived from SECRET_KEY); ``users.resident_id_digest`` is the
keyed hash that finds and keeps unique an ID number. Existing rows are converted in batches.
``cases.form_data`` stays a JSON column holding one JSON string (the sealed text): no table
rewrite, so the triggers on ``cases`` stay.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6bf235010d4'
down_revision = 'bc3d0291cde8'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    from tracker import crypto

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident_id_digest', sa.String(length=64), nullable=True))
        batch_op.alter_column('resident_id',
               existing_type=sa.VARCHAR(length=18),
               type_=sa.String(length=120),
               existing_nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_users_resident_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_users_resident_id_digest'), ['resident_id_digest'])

    conn = op.get_bind()
    last = 0
    while True:
        batch = conn.execute(
            sa.text(
                "SELECT id, resident_id FROM users WHERE resident_id IS NOT NULL AND id > :last"
                " ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).fetchall()
        if not batch:
            break
        last = batch[-1][0]
        updates = [
            {"id": uid, "sealed": crypto.seal(rid, "users.resident_id"), "digest": crypto.lookup(rid)}
            for uid, rid in batch
            if not crypto.is_sealed(rid)
        ]
        if updates:
            conn.execute(
                sa.text(
                    "UPDATE users SET resident_id = :sealed, resident_id_digest = :digest"
                    " WHERE id = :id"
                ),
                updates,
            )

    last = 0
    while True:
        batch = conn.execute(
            sa.text("SELECT id, form_data FROM cases WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).fetchall()
        if not batch:
            break
        last = batch[-1][0]
        updates = []
        for case_id, raw in batch:
            document = json.loads(raw) if isinstance(raw, str) else raw
            if isinstance(document, str) and crypto.is_sealed(document):
                continue  # converted already
            sealed = crypto.seal(
                json.dumps(document or {}, ensure_ascii=False, sort_keys=True), "cases.form_data"
            )
            updates.append({"id": case_id, "sealed": json.dumps(sealed)})
        if updates:
            form_data = "CAST(:sealed AS json)" if conn.dialect.name == "postgresql" else ":sealed"
            conn.execute(
                sa.text(f"UPDATE cases SET form_data = {form_data} WHERE id = :id"),  # noqa: S608
                updates,
            )


def downgrade():
    from tracker import crypto

    conn = op.get_bind()
    for uid, sealed in conn.execute(
        sa.text("SELECT id, resident_id FROM users WHERE resident_id IS NOT NULL")
    ).fetchall():
        conn.execute(
            sa.text("UPDATE users SET resident_id = :rid WHERE id = :id"),
            {"id": uid, "rid": crypto.open_(sealed, "users.resident_id")},
        )
    for case_id, raw in conn.execute(sa.text("SELECT id, form_data FROM cases")).fetchall():
        document = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(document, str):
            plain = crypto.open_(document, "cases.form_data")
            form_data = "CAST(:doc AS json)" if conn.dialect.name == "postgresql" else ":doc"
            conn.execute(
                sa.text(f"UPDATE cases SET form_data = {form_data} WHERE id = :id"),  # noqa: S608
                {"id": case_id, "doc": plain},
            )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_resident_id_digest'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_users_resident_id'), ['resident_id'])
        batch_op.alter_column('resident_id',
               existing_type=sa.String(length=120),
               type_=sa.VARCHAR(length=18),
               existing_nullable=True)
        batch_op.drop_column('resident_id_digest')
