"""Re-sealing personal data with the current key (SECURITY.md #21, key rotation).

Put the new key first in ``DATA_KEYS`` (keeping the old one after it, so old values still
open), restart, then run ``flask --app wsgi tracker rotate-keys``: every value not sealed
with the first key is opened and sealed again, a batch per transaction. Stopped half-way, it
resumes where it was (it only looks for values under other keys). Uploaded files are
re-sealed the same way, one file at a time (a new sealed copy renamed over the old one), and
a file stored before files were sealed is sealed. When it reports nothing left, the old key
may be removed from ``DATA_KEYS``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
                sa.select(Case.id, Case.form_data, Case.precheck)
                .where(
                    sa.or_(
                        _stale(Case.__table__.c.form_data, current),
                        sa.and_(
                            # a case without answers holds JSON null, not a sealed value
                            sa.cast(Case.__table__.c.precheck, sa.Text).like(f"%{crypto.PREFIX}:%"),
                            _stale(Case.__table__.c.precheck, current),
                        ),
                    )
                )
                .limit(batch)
            ).all()
            for case_id, answers, precheck in cases:
                session.execute(
                    sa.update(Case)
                    .where(Case.id == case_id)
                    .values(form_data=answers, precheck=precheck)
                )
        done.users += len(users)
        done.cases += len(cases)
        if not users and not cases:
            return done


def rotate_files(folder: Path) -> int:
    """Seal again, under the current key, every stored upload in ``folder`` sealed under
    another key or not sealed at all; returns how many. Each file is written to a temporary
    file in the same folder, synced, then renamed over the old one: stopped at any point, no
    file is lost, and the next run picks up the rest."""
    from .uploads import STORED_NAME, TEMP_PREFIX, opened

    current = crypto.ring().current
    done = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        if not STORED_NAME.fullmatch(path.name):
            continue
        with path.open("rb") as source:
            if crypto.file_key_id(source) == current:
                continue
        fd, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                with crypto.SealedFileWriter(out) as sealed:
                    for chunk in opened(path):
                        sealed.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        done += 1
    return done
