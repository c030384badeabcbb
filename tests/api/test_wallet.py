"""POST /cases with ``wallet``: a citizen token files a saved file of the holder's 我的材料
(copied for the case); a saved file that is gone or another person's is a 422 naming the
material, with nothing filed; an office token may not reach a citizen's wallet."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.api.conftest import CD_MI, mi_body, token_for
from tests.builders import NOW, citizen, clerk, submit
from tracker.extensions import db
from tracker.models import Attachment, Case
from tracker.services import wallet
from tracker.services.uploads import UploadLimits, opened, store_upload

PDF = b"%PDF-1.7\n" + os.urandom(3000)


@pytest.fixture
def folder(app, tmp_path: Path) -> Path:
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    return tmp_path


def _saved(owner, folder: Path) -> int:  # type: ignore[no-untyped-def]
    stored = store_upload(io.BytesIO(PDF), "身份证.pdf", folder=folder, limits=UploadLimits())
    case = submit("mi-offsite-registration", owner, CD_MI, CD_MI, files=[("id_card", stored)])
    wallet.keep(
        user=owner,
        case_id=case.id,
        files=[("id_card", stored)],
        licences={},
        folder=folder,
        now=NOW,
    )
    return wallet.items_of(owner)[0].id


def _cases() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Case.id))) or 0


def test_a_citizen_token_files_a_saved_file(app, post_case, folder):
    owner = citizen()
    item_id = _saved(owner, folder)
    answer = post_case(token_for(user=owner), mi_body(licences={}, wallet={"id_card": item_id}))
    assert answer.status_code == 201, answer.get_json()
    case = db.session.scalars(
        sa.select(Case).where(Case.tracking_number == answer.get_json()["tracking_number"])
    ).one()
    (attachment,) = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id))
    assert attachment.original_name == "身份证.pdf"
    assert b"".join(opened(folder / (attachment.stored_name or ""))) == PDF


def test_a_saved_file_gone_or_another_person_s_is_a_422_naming_the_material(app, post_case, folder):
    owner, other = citizen(), citizen()
    item_id = _saved(owner, folder)
    before = _cases()
    answer = post_case(token_for(user=other), mi_body(licences={}, wallet={"id_card": item_id}))
    assert answer.status_code == 422
    assert "materials.id_card" in answer.get_json()["fields"]
    wallet.delete(owner, item_id, folder, NOW)
    answer = post_case(
        token_for(user=owner), mi_body(licences={}, wallet={"id_card": item_id}), key="k-2"
    )
    assert answer.status_code == 422
    assert "materials.id_card" in answer.get_json()["fields"]
    assert _cases() == before


def test_an_office_token_may_not_use_a_citizen_s_wallet(app, post_case, folder):
    owner = citizen()
    item_id = _saved(owner, folder)
    before = _cases()
    answer = post_case(
        token_for(office_code=CD_MI),
        mi_body(applicant_phone=owner.phone, licences={}, wallet={"id_card": item_id}),
        **{"Tongban-Operator": clerk(CD_MI).username},
    )
    assert answer.status_code == 403
    assert _cases() == before
