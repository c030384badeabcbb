"""Re-sealing personal data with the current key (SECURITY.md #21, key rotation).

Put the new key first in ``DATA_KEYS`` (keeping the old one after it, so old values still
open), restart, then run ``flask --app wsgi tracker rotate-keys``: every value not sealed
with the first key is opened and sealed again, a batch per transaction. Stopped half-way, it
resumes where it was (it only looks for values under other keys). When it reports nothing
left, the old key may be removed from ``DATA_KEYS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .. import crypto
from ..database import write_transaction
from ..models import Case, User


@dataclass
class Rotation:
    users: int = 0
    cases: int = 0


def _stale(column: sa.ColumnElement[str], current: str) -> sa.ColumnElement[bool]:
    """Sealed under another key (the raw stored text, compared without opening it)."""
    return sa.not_(sa.cast(column, sa.Text).like(f"%{crypto.PREFIX}:{current}:%"))


def rotate(batch: int = 500) -> Rotation:
    current = crypto.ring().current
    done = Rotation()
    while True:
        with write_transaction() as session:
            users = session.execute(
                sa.select(User.id, User.resident_id)
                .where(User.resident_id.is_not(None), _stale(User.__table__.c.resident_id, current))
                .limit(batch)
            ).all()
            for uid, rid in users:
                session.execute(sa.update(User).where(User.id == uid).values(resident_id=rid))
            cases = session.execute(
                sa.select(Case.id, Case.form_data)
                .where(_stale(Case.__table__.c.form_data, current))
                .limit(batch)
            ).all()
            for case_id, answers in cases:
                session.execute(sa.update(Case).where(Case.id == case_id).values(form_data=answers))
        done.users += len(users)
        done.cases += len(cases)
        if not users and not cases:
            return done
