"""我的材料 (issue #16 item 4): files filed with a case and e-licence numbers cited once are
kept in the citizen's wallet with their kind and date; reuse copies a saved file for the new
case; deleting an item removes its file at once and never a case's evidence; another
citizen's item does not exist for you."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.builders import NOW, citizen, submit
from tracker.extensions import db
from tracker.models import Attachment, AuditEntry, WalletItem
from tracker.services import uploads, wallet
from tracker.services.uploads import StoredFile, UploadLimits, opened, store_upload

PDF = b"%PDF-1.7\n" + os.urandom(70_000) + b"\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(3000)
OFFSITE = "mi-offsite-registration"  # fully online; the ID card is its one required material
CD_MI = "510100-mi"


def _upload(folder: Path, data: bytes = PDF, name: str = "身份证正反面.pdf") -> StoredFile:
    return store_upload(io.BytesIO(data), name, folder=folder, limits=UploadLimits())


def _filed_with_id_card(owner, folder: Path, data: bytes = PDF):  # type: ignore[no-untyped-def]
    stored = _upload(folder, data)
    case = submit(OFFSITE, owner, CD_MI, CD_MI, files=[("id_card", stored)])
    wallet.keep(
        user=owner,
        case_id=case.id,
        files=[("id_card", stored)],
        licences={},
        folder=folder,
        now=NOW,
    )
    return case, stored


def _file_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if uploads.STORED_NAME.fullmatch(p.name)}


def test_a_filed_upload_is_kept_with_kind_name_size_date_and_case_in_its_own_file(app, tmp_path):
    owner = citizen()
    case, stored = _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    assert (item.material_code, item.original_name, item.size) == (
        "id_card",
        "身份证正反面.pdf",
        len(PDF),
    )
    assert item.first_case_id == case.id and item.created_at == NOW
    # its own sealed file, not the case's: the two never share a name
    assert item.stored_name != stored.stored_name
    assert b"".join(opened(tmp_path / item.stored_name)) == PDF
    assert not (tmp_path / item.stored_name).read_bytes().startswith(b"%PDF")
    assert _file_names(tmp_path) == {item.stored_name, stored.stored_name}


def test_the_same_file_or_number_is_kept_once(app, tmp_path):
    owner = citizen()
    _filed_with_id_card(owner, tmp_path)
    _filed_with_id_card(owner, tmp_path)  # the same scan again
    assert len(wallet.items_of(owner)) == 1
    case = submit(OFFSITE, owner, CD_MI, CD_MI, licences={"id_card": "DZZZ-5101-0001"})
    for _ in range(2):
        wallet.keep(
            user=owner,
            case_id=case.id,
            files=[],
            licences={"id_card": "DZZZ-5101-0001"},
            folder=tmp_path,
            now=NOW,
        )
    assert wallet.remembered_licences(owner, ["id_card"]) == {"id_card": ["DZZZ-5101-0001"]}
    assert len(wallet.items_of(owner)) == 2


def test_no_more_than_the_limit_is_kept(app, tmp_path, monkeypatch):
    monkeypatch.setattr(wallet, "MAX_ITEMS", 2)
    owner = citizen()
    case = submit(OFFSITE, owner, CD_MI, CD_MI, licences={"id_card": "DZZZ-5101-0001"})
    files = [("id_card", _upload(tmp_path, PDF + bytes([i]))) for i in range(3)]
    assert (
        wallet.keep(
            user=owner,
            case_id=case.id,
            files=files,
            licences={"id_card": "X-123456"},
            folder=tmp_path,
            now=NOW,
        )
        == 2
    )
    assert len(wallet.items_of(owner)) == 2


def test_reuse_files_a_new_case_with_its_own_copy(app, tmp_path):
    owner = citizen()
    _, first = _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.offers(owner, ["id_card", "photo"])["id_card"]
    usable, gone = wallet.chosen(owner, {"id_card": item.id}, tmp_path)
    assert usable == {"id_card": item} and gone == set()
    copies, gone = wallet.reuse(usable, tmp_path)
    assert gone == set()
    second = submit("hf-transfer", owner, "510100-hf", "510100-hf", files=copies)
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == second.id)
    ).one()
    assert attachment.stored_name not in (item.stored_name, first.stored_name)
    assert attachment.original_name == "身份证正反面.pdf" and attachment.sha256 == item.sha256
    assert b"".join(opened(tmp_path / attachment.stored_name)) == PDF


def test_deleting_an_item_removes_its_file_and_leaves_every_case_its_evidence(app, tmp_path):
    owner = citizen()
    case, stored = _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    copies, _ = wallet.reuse({"id_card": item}, tmp_path)
    second = submit("hf-transfer", owner, "510100-hf", "510100-hf", files=copies)
    saved_file = tmp_path / (item.stored_name or "")
    item_id = item.id

    assert wallet.delete(owner, item_id, tmp_path, NOW + timedelta(days=1))

    db.session.expire_all()
    assert db.session.get(WalletItem, item_id) is None and wallet.items_of(owner) == []
    assert not saved_file.exists()  # the wallet's file is gone from disk at once
    for c in (case, second):  # each case keeps its own file, which still opens
        (a,) = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == c.id))
        assert b"".join(opened(tmp_path / (a.stored_name or ""))) == PDF
    assert _file_names(tmp_path) == {stored.stored_name, copies[0][1].stored_name}
    row = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "wallet_delete")
    ).one()
    assert row.user_id == owner.id and row.target == f"wallet:{item_id}"


def test_deleting_an_item_no_case_uses_removes_its_file(app, tmp_path):
    """A case filed and then purged, or an upload whose case row is gone: the wallet's file is
    its own, so it goes with the item whatever the cases hold."""
    owner = citizen()
    _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    path = tmp_path / (item.stored_name or "")
    assert path.exists()
    assert wallet.delete(owner, item.id, tmp_path, NOW)
    assert not path.exists()


def test_another_citizen_s_item_is_neither_offered_nor_chosen_nor_deleted(app, tmp_path):
    owner, other = citizen(), citizen()
    _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    assert wallet.item_of(other, item.id) is None
    assert wallet.offers(other, ["id_card"]) == {}
    assert wallet.chosen(other, {"id_card": item.id}, tmp_path) == ({}, {"id_card"})
    assert not wallet.delete(other, item.id, tmp_path, NOW)
    assert (tmp_path / (item.stored_name or "")).exists()
    assert wallet.items_of(owner) == [item]


def test_a_deleted_or_missing_or_other_kind_item_counts_as_gone(app, tmp_path):
    owner = citizen()
    _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    assert wallet.chosen(owner, {"photo": item.id}, tmp_path) == ({}, {"photo"})
    (tmp_path / (item.stored_name or "")).unlink()  # the file went meanwhile
    assert wallet.chosen(owner, {"id_card": item.id}, tmp_path) == ({}, {"id_card"})
    assert wallet.reuse({"id_card": item}, tmp_path) == ([], {"id_card"})
    wallet.delete(owner, item.id, tmp_path, NOW)
    assert wallet.chosen(owner, {"id_card": item.id}, tmp_path) == ({}, {"id_card"})


def test_the_orphan_sweep_keeps_wallet_files(app, tmp_path):
    owner = citizen()
    _filed_with_id_card(owner, tmp_path)
    (item,) = wallet.items_of(owner)
    stray = _upload(tmp_path, JPEG, "x.jpg")
    later = NOW.replace(year=2099)
    removed = uploads.sweep_orphans(tmp_path, older_than=timedelta(hours=1), now=later)
    assert removed == [stray.stored_name]
    assert (tmp_path / (item.stored_name or "")).exists()
