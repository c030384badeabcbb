"""The audit log is tamper-evident (SECURITY.md #17): changing, deleting, inserting or
reordering rows breaks the seal chain, and `tracker audit verify` names the first bad row.
Appends stay a chain when several writers append at once (PostgreSQL advisory lock; SQLite's
write lock)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen
from tracker.database import write_transaction
from tracker.domain.auditchain import GENESIS, seal
from tracker.extensions import db
from tracker.models import AuditEntry
from tracker.services import accounts, audit


def write_log(n: int = 6) -> list[int]:
    """Rows the way the app writes them: failed and good logins, then direct records."""
    person = citizen()
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(
            login=person.phone, password="wrong password 1", ip="10.0.0.1", now=NOW
        )
    for i in range(n - 1):
        with write_transaction() as session:
            audit.record(
                session,
                at=NOW + timedelta(seconds=i),
                action="reveal_resident_id",
                success=True,
                user_id=person.id,
                ip="10.0.0.2",
                target=f"case:{i}",
                detail={"reason": f"核对身份{i}", "n": i},
            )
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id)))


def raw(sql: str, **params: object) -> None:
    """Tampering as someone with database access but not the key would do it."""
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def broken_at() -> int | None:
    db.session.rollback()
    verdict = audit.verify()
    return None if verdict.broken is None else verdict.broken.row_id


def test_an_untouched_log_verifies_and_every_row_is_sealed(app):
    ids = write_log()
    assert len(ids) >= 6
    verdict = audit.verify()
    assert verdict.ok and verdict.rows == len(ids)
    rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert verdict.head == rows[-1].hash


@pytest.mark.parametrize(
    "column, value",
    [
        ("detail", '{"reason": "另一个理由", "n": 2}'),
        ("ip", "10.9.9.9"),
        ("success", 0),
        ("action", "login"),
        ("at", "2026-01-01 00:00:00"),
    ],
)
def test_changing_any_field_of_a_row_is_caught_at_that_row(app, column, value):
    ids = write_log()
    raw(f"UPDATE audit_log SET {column} = :v WHERE id = :i", v=value, i=ids[3])  # noqa: S608
    assert broken_at() == ids[3]


def test_deleting_a_row_is_caught_at_the_next_one(app):
    ids = write_log()
    raw("DELETE FROM audit_log WHERE id = :i", i=ids[2])
    assert broken_at() == ids[3]


def test_reordering_rows_is_caught(app):
    """Swap two rows' whole contents (seals included): the ids no longer fit the chain."""
    ids = write_log()
    cols = "at, user_id, action, success, ip, target, detail, prev_hash, hash"
    db.session.rollback()
    with db.engine.begin() as conn:
        a = (
            conn.execute(
                sa.text(f"SELECT {cols} FROM audit_log WHERE id = :i"),  # noqa: S608
                {"i": ids[2]},
            )
            .one()
            ._asdict()
        )
        b = (
            conn.execute(
                sa.text(f"SELECT {cols} FROM audit_log WHERE id = :i"),  # noqa: S608
                {"i": ids[4]},
            )
            .one()
            ._asdict()
        )
        sets = ", ".join(f"{c} = :{c}" for c in a)
        conn.execute(
            sa.text(f"UPDATE audit_log SET {sets} WHERE id = :id"),  # noqa: S608
            {**b, "id": ids[2]},
        )
        conn.execute(
            sa.text(f"UPDATE audit_log SET {sets} WHERE id = :id"),  # noqa: S608
            {**a, "id": ids[4]},
        )
    assert broken_at() == ids[2]


def test_inserted_rows_are_caught_at_the_forgery(app):
    """A forged row at the end, linked to the real head but sealed without the key; and a
    row slipped into the middle (re-using a deleted id with a plausible link)."""
    ids = write_log()
    head = audit.verify().head
    wrong_key = hmac.new(b"guess", b"tongban audit log", hashlib.sha256).digest()
    forged = AuditEntry(
        id=ids[-1] + 1,
        at=NOW,
        user_id=None,
        action="login",
        success=True,
        ip=None,
        target=None,
        detail={},
        prev_hash=head,
    )
    raw(
        "INSERT INTO audit_log (id, at, action, success, detail, prev_hash, hash) "
        "VALUES (:i, :at, 'login', 1, '{}', :p, :h)",
        i=forged.id,
        at=NOW.replace(tzinfo=None).isoformat(sep=" "),
        p=head,
        h=seal(wrong_key, forged, head),
    )
    assert broken_at() == forged.id
    raw("DELETE FROM audit_log WHERE id = :i", i=forged.id)
    assert broken_at() is None
    # The middle: delete row 3 and put a forged row 3 in its place, linked to row 2.
    prev = db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.id == ids[1]))
    raw("DELETE FROM audit_log WHERE id = :i", i=ids[2])
    raw(
        "INSERT INTO audit_log (id, at, action, success, detail, prev_hash, hash) "
        "VALUES (:i, :at, 'login', 1, '{}', :p, :h)",
        i=ids[2],
        at=NOW.replace(tzinfo=None).isoformat(sep=" "),
        p=prev,
        h="0" * 64,
    )
    assert broken_at() == ids[2]


def test_cutting_the_tail_leaves_a_valid_but_shorter_chain(app):
    """Why verify prints the head: only a head recorded elsewhere shows a cut tail."""
    ids = write_log()
    before = audit.verify()
    raw("DELETE FROM audit_log WHERE id >= :i", i=ids[-2])
    after = audit.verify()
    assert after.ok and after.rows == before.rows - 2 and after.head != before.head


def test_verify_command_names_the_first_bad_row_and_fails(app):
    ids = write_log()
    runner = app.test_cli_runner()
    good = runner.invoke(args=["tracker", "audit", "verify"])
    assert good.exit_code == 0 and f"{len(ids)} rows intact" in good.output
    raw("UPDATE audit_log SET target = 'case:other' WHERE id = :i", i=ids[1])
    bad = runner.invoke(args=["tracker", "audit", "verify"])
    assert bad.exit_code == 1 and f"row {ids[1]}" in bad.output


def test_another_key_cannot_verify_the_log(app):
    write_log()
    assert audit.verify().ok
    app.config["AUDIT_KEY"] = "a different key"
    assert broken_at() is not None


def test_sealing_old_rows_refuses_an_unsealed_row_between_sealed_ones(app):
    ids = write_log()
    raw("UPDATE audit_log SET hash = NULL, prev_hash = NULL WHERE id = :i", i=ids[2])
    with pytest.raises(RuntimeError, match="unsealed rows between sealed ones"):
        audit.seal_unsealed(db.session)
    db.session.rollback()
    # Rows unsealed only at the end (as before the migration) are sealed onto the chain.
    raw("UPDATE audit_log SET hash = NULL, prev_hash = NULL WHERE id >= :i", i=ids[2])
    assert audit.seal_unsealed(db.session) == len(ids) - 2
    db.session.commit()
    assert audit.verify().ok


def append_concurrently(app, threads: int = 6, each: int = 15) -> None:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(t: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                for i in range(each):
                    with write_transaction() as session:
                        audit.record(
                            session,
                            at=NOW,
                            action="login_failed",
                            success=False,
                            target=f"t{t}-{i}",
                        )
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not errors, errors
    db.session.rollback()
    verdict = audit.verify()
    assert verdict.ok and verdict.rows == threads * each, verdict


def test_concurrent_appends_stay_one_chain_on_sqlite(app):
    append_concurrently(app)


@pytest.mark.postgres
def test_concurrent_appends_stay_one_chain_on_postgresql(pg_app):
    append_concurrently(pg_app)
