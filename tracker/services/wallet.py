"""The citizen's materials wallet (我的材料, issue #16 item 4): files uploaded for a case and
e-licence numbers cited once, kept in the account with their kind (the catalogue's material
code) and date, offered again on the next application, deleted when the citizen asks.

One owner per stored file. A wallet item owns its own sealed file, separate from the file
the case it came with keeps; reusing an item copies its file into a new sealed file the new
case owns (``reuse``). So:

- deleting a wallet item removes its row and its file at once (``delete``), and a case never
  loses its evidence, whatever the citizen deletes and whenever;
- case retention and the wallet never have to count references to each other's files, and
  the ``attachments.stored_name`` unique key still says one file, one case;
- the cost is one more sealed copy per upload kept and per reuse (at most 10 MB each, and
  ``MAX_ITEMS`` items a citizen).

Files are copied before the commit that names them and removed after the commit that stops
naming them; a crash in between leaves an unnamed file that ``uploads.sweep_orphans`` removes
(``uploads.referenced_names`` counts wallet items).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from .. import crypto
from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.files import UploadLimits
from ..extensions import db
from ..models import Case, ServiceMaterial, User, WalletItem
from . import audit
from .uploads import STORED_NAME, StoredFile, discard, opened, store_upload

MAX_ITEMS = 50  # per citizen; beyond it new uploads are filed but not kept


class _Chunks:
    """A read-only stream over a stored file's clear content, for ``store_upload``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def seekable(self) -> bool:
        return False


def _path(folder: Path, stored_name: str | None) -> Path | None:
    if not stored_name or not STORED_NAME.fullmatch(stored_name):
        return None
    path = folder / stored_name
    return path if path.is_file() else None


def copy_file(folder: Path, stored_name: str, original_name: str) -> StoredFile | None:
    """A new sealed copy of a stored file under a new random name, or None if it is gone."""
    path = _path(folder, stored_name)
    if path is None:
        return None
    try:
        return store_upload(
            _Chunks(opened(path)),  # type: ignore[arg-type]
            original_name,
            folder=folder,
            limits=UploadLimits(),
        )
    except (FileNotFoundError, DomainError, crypto.KeyError_):  # gone, refused or altered
        return None


# ---- reading -------------------------------------------------------------------------------


def items_of(user: User) -> list[WalletItem]:
    """The citizen's wallet, newest first."""
    return list(
        db.session.scalars(
            sa.select(WalletItem)
            .where(WalletItem.user_id == user.id)
            .order_by(WalletItem.created_at.desc(), WalletItem.id.desc())
        )
    )


def item_of(user: User, item_id: int) -> WalletItem | None:
    """The item ``item_id`` when it is the citizen's own; None for anyone else's."""
    item = db.session.get(WalletItem, item_id)
    return item if item is not None and item.user_id == user.id else None


def file_path(item: WalletItem, folder: Path) -> Path | None:
    return _path(folder, item.stored_name)


def offers(user: User, codes: Sequence[str]) -> dict[str, list[WalletItem]]:
    """Saved files to offer for each material code, newest first (only those whose file is
    still there)."""
    offered: dict[str, list[WalletItem]] = {}
    for item in items_of(user):
        if item.material_code in codes and item.stored_name:
            offered.setdefault(item.material_code, []).append(item)
    return offered


def remembered_licences(user: User, codes: Sequence[str]) -> dict[str, list[str]]:
    """E-licence numbers cited before, per material code, most recent first."""
    found: dict[str, list[str]] = {}
    for item in items_of(user):
        number = item.e_licence_number
        if (
            item.material_code in codes
            and number
            and number not in found.get(item.material_code, [])
        ):
            found.setdefault(item.material_code, []).append(number)
    return found


def kinds(codes: Sequence[str]) -> dict[str, ServiceMaterial]:
    """A catalogue material naming each code (for its name in both languages)."""
    if not codes:
        return {}
    named: dict[str, ServiceMaterial] = {}
    for material in db.session.scalars(
        sa.select(ServiceMaterial)
        .where(ServiceMaterial.code.in_(sorted(set(codes))))
        .order_by(ServiceMaterial.id)
    ):
        named.setdefault(material.code, material)
    return named


def case_numbers(user: User, case_ids: set[int | None]) -> dict[int, str]:
    """Tracking numbers of the citizen's own cases among ``case_ids``."""
    ids = sorted(i for i in case_ids if i is not None)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Case.id, Case.tracking_number).where(
            Case.id.in_(ids), Case.applicant_id == user.id
        )
    )
    return {case_id: number for case_id, number in rows}


# ---- reuse ---------------------------------------------------------------------------------


def chosen(
    user: User, choices: Mapping[str, int], folder: Path
) -> tuple[dict[str, WalletItem], set[str]]:
    """The saved files chosen per material code: (usable, gone). Gone: deleted meanwhile, its
    file missing, of another kind, or not the citizen's (all look the same to them)."""
    usable: dict[str, WalletItem] = {}
    gone: set[str] = set()
    for code, item_id in choices.items():
        item = item_of(user, item_id)
        if item is None or item.material_code != code or file_path(item, folder) is None:
            gone.add(code)
        else:
            usable[code] = item
    return usable, gone


def reuse(
    items: Mapping[str, WalletItem], folder: Path
) -> tuple[list[tuple[str, StoredFile]], set[str]]:
    """Copies of the chosen items' files for a new case: (copies, codes whose file went
    meanwhile). The caller discards the copies if the case is not filed."""
    copies: list[tuple[str, StoredFile]] = []
    gone: set[str] = set()
    for code, item in items.items():
        copy = copy_file(folder, item.stored_name or "", item.original_name or "")
        if copy is None:
            gone.add(code)
        else:
            copies.append((code, copy))
    return copies, gone


# ---- keeping and deleting ------------------------------------------------------------------


def keep(
    *,
    user: User,
    case_id: int,
    files: Sequence[tuple[str, StoredFile]],
    licences: Mapping[str, str],
    folder: Path,
    now: datetime,
) -> int:
    """Keep copies of the files filed with case ``case_id`` and its e-licence numbers in the
    citizen's wallet; what is already there (same kind, same content or number) is not kept
    twice, and nothing past ``MAX_ITEMS``. Returns how many items were added."""
    have = items_of(user)
    digests = {(i.material_code, i.sha256) for i in have if i.sha256}
    numbers = {(i.material_code, i.e_licence_number) for i in have if i.e_licence_number}
    room = MAX_ITEMS - len(have)
    new_files: list[tuple[str, StoredFile]] = []
    for code, stored in files:
        if room <= 0 or (code, stored.sha256) in digests:
            continue
        copy = copy_file(folder, stored.stored_name, stored.original_name)
        if copy is not None:
            new_files.append((code, copy))
            digests.add((code, stored.sha256))
            room -= 1
    new_numbers: list[tuple[str, str]] = []
    for code, number in licences.items():
        number = number.strip()
        if room <= 0 or not number or (code, number) in numbers:
            continue
        new_numbers.append((code, number))
        numbers.add((code, number))
        room -= 1
    if not new_files and not new_numbers:
        return 0
    try:
        with write_transaction() as session:
            for code, copy in new_files:
                session.add(
                    WalletItem(
                        user_id=user.id,
                        material_code=code,
                        original_name=copy.original_name,
                        stored_name=copy.stored_name,
                        content_type=copy.content_type,
                        size=copy.size,
                        sha256=copy.sha256,
                        first_case_id=case_id,
                        created_at=now,
                    )
                )
            for code, number in new_numbers:
                session.add(
                    WalletItem(
                        user_id=user.id,
                        material_code=code,
                        e_licence_number=number,
                        first_case_id=case_id,
                        created_at=now,
                    )
                )
            audit.record(
                session,
                at=now,
                action="wallet_keep",
                success=True,
                user_id=user.id,
                target=f"case:{case_id}",
                detail={"materials": sorted({c for c, _ in [*new_files, *new_numbers]})},
            )
    except BaseException:
        discard([copy for _, copy in new_files], folder)
        raise
    return len(new_files) + len(new_numbers)


def delete(user: User, item_id: int, folder: Path, now: datetime, ip: str | None = None) -> bool:
    """Remove the citizen's own item and its file; False (nothing done) for an item that is
    not theirs or no longer exists. The cases it was filed with keep their own copies."""
    with write_transaction() as session:
        item = session.get(WalletItem, item_id)
        if item is None or item.user_id != user.id:
            return False
        stored_name, code = item.stored_name, item.material_code
        session.delete(item)
        audit.record(
            session,
            at=now,
            action="wallet_delete",
            success=True,
            user_id=user.id,
            ip=ip,
            target=f"wallet:{item_id}",
            detail={"material": code},
        )
    path = _path(folder, stored_name)
    if path is not None:
        path.unlink(missing_ok=True)
    return True
