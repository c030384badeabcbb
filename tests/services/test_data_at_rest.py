"""SECURITY.md #21: resident ID numbers and the answers of a case are sealed at rest; a keyed
hash finds and keeps unique an ID number; keys rotate, resumably. The raw storage — the SQLite
file and its write-ahead log, or the text PostgreSQL stores — holds none of them in clear."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, submit
from tracker import crypto
from tracker.extensions import db
from tracker.models import Case, User
from tracker.services import accounts
from tracker.services.keys import rotate


def _clear_values(case: Case) -> list[str]:
    """What the applicant typed (text, phone numbers): nowhere else in the database."""
    typed = {f.name for f in case.service.fields if f.type in ("text", "textarea", "phone")}
    return [str(v) for k, v in case.form_data.items() if k in typed and len(str(v)) >= 4]


def _filed():
    person = citizen()
    case = submit("hf-retirement-withdrawal", person, "500112-hf", "510100-hf")
    return person, case


def test_the_sqlite_file_holds_no_id_number_and_no_answer(app):
    person, case = _filed()
    rid, answers, form = person.resident_id, _clear_values(case), dict(case.form_data)
    person_id, case_id = person.id, case.id
    assert rid and answers
    db.session.remove()
    path = Path(db.engine.url.database)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert rid.encode() not in stored and rid.lower().encode() not in stored
    for value in answers:
        assert value.encode() not in stored, value
    # ... and the application reads them back as they were typed.
    assert db.session.get(User, person_id).resident_id == rid
    assert db.session.get(Case, case_id).form_data == form


def test_postgresql_stores_sealed_text_only(pg_app):
    person, case = _filed()
    rid = person.resident_id
    row = db.session.execute(
        sa.text("SELECT resident_id, resident_id_digest FROM users WHERE id = :id"),
        {"id": person.id},
    ).one()
    assert row[0].startswith("enc1:") and rid not in row[0]
    assert row[1] == crypto.lookup(rid)
    stored = db.session.scalar(
        sa.text("SELECT form_data::text FROM cases WHERE id = :id"), {"id": case.id}
    )
    assert "enc1:" in stored
    assert not any(v in stored for v in _clear_values(case))


def test_an_id_number_still_signs_in_and_stays_unique(app):
    person = citizen()
    found = accounts.authenticate(
        login=person.resident_id.lower(), password="Tongban-Test-2026!", ip=None, now=NOW
    )
    assert found.id == person.id
    with pytest.raises(Exception):  # noqa: B017, PT011 - the duplicate is refused by the digest
        accounts.create_user(
            role=person.role,
            real_name="冒用",
            password="x",
            now=NOW,
            phone="13700009999",
            resident_id=person.resident_id,
        )


def test_keys_rotate_and_the_rotation_resumes(app):
    people = [citizen() for _ in range(3)]
    _, case = _filed()
    expected = {p.id: p.resident_id for p in people}
    case_id, form_before = case.id, dict(case.form_data)
    old = crypto.ring()
    new_key = base64.b64encode(b"n" * 32).decode()
    old_key = base64.b64encode(old.keys[old.current]).decode()
    crypto.configure(
        {
            "DATA_KEYS": f"k1:{new_key},{old.current}:{old_key}",
            "LOOKUP_KEY": base64.b64encode(old.lookup_key).decode(),
        }
    )
    try:
        # Old values still open with the old key kept after the new one.
        first_id = next(iter(expected))
        assert db.session.get(User, first_id).resident_id == expected[first_id]
        first = rotate(batch=2)
        assert first.users >= 4 and first.cases >= 1  # all of them, batch after batch
        assert rotate(batch=2).users == 0  # nothing left: a second run finds nothing
        raw = db.session.execute(
            sa.text("SELECT resident_id FROM users WHERE resident_id IS NOT NULL")
        ).scalars()
        assert all(v.startswith("enc1:k1:") for v in raw)
        form = db.session.scalar(
            sa.text("SELECT form_data FROM cases WHERE id = :id"), {"id": case_id}
        )
        assert json.loads(form).startswith("enc1:k1:")
        db.session.expire_all()
        assert {i: db.session.get(User, i).resident_id for i in expected} == expected
        # Without the old key, a value still sealed with it would not open: none is left.
        crypto.configure(
            {"DATA_KEYS": f"k1:{new_key}", "LOOKUP_KEY": base64.b64encode(old.lookup_key).decode()}
        )
        db.session.expire_all()
        assert db.session.get(Case, case_id).form_data == form_before
    finally:
        crypto.configure({"SECRET_KEY": app.config["SECRET_KEY"]})


def test_a_value_under_an_unknown_key_is_an_error_not_garbage(app):
    sealed = crypto.seal("510104199001011234", "users.resident_id")
    with pytest.raises(crypto.KeyError_):
        crypto.open_(sealed.replace("enc1:k0:", "enc1:zz:"), "users.resident_id")
    with pytest.raises(crypto.KeyError_):
        crypto.open_(sealed, "cases.form_data")  # sealed for another column


def test_pre_check_answers_are_sealed_and_rotated_and_a_case_without_them_ends_the_rotation(app):
    """A case without pre-check answers holds JSON null there (not a sealed value): rotation
    must not take it for a value left to re-seal, or it never ends."""
    person = citizen()
    answers = {"retired": "yes", "applicant_self": "yes", "retired_here": "no"}
    with_answers = submit(
        "hf-retirement-withdrawal",
        person,
        "500112-hf",
        "510100-hf",
        precheck=answers,
        situation_code="112",
    )
    submit("hf-retirement-withdrawal", person, "500112-hf", "510100-hf")  # no answers
    case_id = with_answers.id
    raw = db.session.scalar(sa.text("SELECT precheck FROM cases WHERE id = :id"), {"id": case_id})
    assert "retired_here" not in raw and json.loads(raw).startswith("enc1:")
    old = crypto.ring()
    new_key = base64.b64encode(b"p" * 32).decode()
    old_key = base64.b64encode(old.keys[old.current]).decode()
    lookup = base64.b64encode(old.lookup_key).decode()
    crypto.configure({"DATA_KEYS": f"k2:{new_key},{old.current}:{old_key}", "LOOKUP_KEY": lookup})
    try:
        assert rotate(batch=1).cases == 2
        assert rotate(batch=1).cases == 0
        raw = db.session.scalar(
            sa.text("SELECT precheck FROM cases WHERE id = :id"), {"id": case_id}
        )
        assert json.loads(raw).startswith("enc1:k2:")
        crypto.configure({"DATA_KEYS": f"k2:{new_key}", "LOOKUP_KEY": lookup})
        db.session.expire_all()
        assert db.session.get(Case, case_id).precheck == answers
    finally:
        crypto.configure({"SECRET_KEY": app.config["SECRET_KEY"]})
