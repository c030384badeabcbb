"""我的材料 on the citizen's pages (issue #16 item 4): the page lists what is kept and deletes
it behind a confirmation; the apply form offers saved files (no script needed) and files a
case with one; a saved file deleted meanwhile asks for a new upload and keeps everything
else; another citizen's item is a 404, audited."""

from __future__ import annotations

import io
import os
import random
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, login_as, office, submit
from tracker.extensions import db
from tracker.models import Attachment, AuditEntry, Case, WalletItem
from tracker.services import wallet
from tracker.services.demo import demo_form_data
from tracker.services.queries import service_by_code
from tracker.services.uploads import UploadLimits, opened, store_upload

PDF = b"%PDF-1.7\n" + os.urandom(5000) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(800)
TRANSFER = "hf-transfer"  # joint: ID card required, a sealed account statement optional
# its pre-check answered so that only the ID card applies (docs/precheck.md)
ANSWERS = {"pc_left_employer": "yes", "pc_account_sealed": "yes", "pc_account_opened": "yes"}


@pytest.fixture
def folder(app, tmp_path: Path) -> Path:
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    return tmp_path


def _saved_id_card(owner, folder: Path) -> WalletItem:  # type: ignore[no-untyped-def]
    stored = store_upload(io.BytesIO(PDF), "身份证正反面.pdf", folder=folder, limits=UploadLimits())
    case = submit(
        "mi-offsite-registration", owner, "510100-mi", "510100-mi", files=[("id_card", stored)]
    )
    wallet.keep(
        user=owner,
        case_id=case.id,
        files=[("id_card", stored)],
        licences={},
        folder=folder,
        now=NOW,
    )
    return wallet.items_of(owner)[0]


def _transfer_form(**extra: str) -> dict[str, object]:
    form: dict[str, object] = {
        k: str(v) for k, v in demo_form_data(service_by_code(TRANSFER), random.Random(5)).items()
    }
    form.update(
        token=os.urandom(8).hex(),
        competent=str(office("510100-hf").id),
        declaration="y",
        save_wallet="y",
        **ANSWERS,
    )
    form.update(extra)
    return form


def _cases(owner) -> list[Case]:  # type: ignore[no-untyped-def]
    db.session.rollback()
    return list(db.session.scalars(sa.select(Case).where(Case.applicant_id == owner.id)))


def test_the_apply_form_offers_the_saved_id_card_chosen_and_files_a_case_with_it(client, folder):
    owner = citizen()
    item = _saved_id_card(owner, folder)
    login_as(client, owner)
    page = client.get(f"/services/{TRANSFER}/apply", query_string=ANSWERS).get_data(as_text=True)
    radio = re.search(rf'<input[^>]*name="wallet_id_card" value="{item.id}"[^>]*>', page)
    assert radio and "checked" in radio.group(0)
    assert "身份证正反面.pdf" in page and 'name="save_wallet" value="y" checked' in page

    response = client.post(
        f"/services/{TRANSFER}/apply", data=_transfer_form(wallet_id_card=str(item.id))
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = next(c for c in _cases(owner) if c.service.code == TRANSFER)
    (attachment,) = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id))
    assert attachment.material_code == "id_card" and attachment.original_name == "身份证正反面.pdf"
    assert attachment.stored_name != item.stored_name
    assert b"".join(opened(folder / (attachment.stored_name or ""))) == PDF
    assert len(wallet.items_of(owner)) == 1  # the same file is not kept twice


def test_a_chosen_new_file_wins_over_the_saved_one_and_is_kept(client, folder):
    owner = citizen()
    item = _saved_id_card(owner, folder)
    login_as(client, owner)
    form = _transfer_form(wallet_id_card=str(item.id))
    form["file_id_card"] = (io.BytesIO(PNG), "新身份证.png")
    assert client.post(f"/services/{TRANSFER}/apply", data=form).status_code == 302
    case = next(c for c in _cases(owner) if c.service.code == TRANSFER)
    (attachment,) = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id))
    assert attachment.original_name == "新身份证.png"
    assert [i.original_name for i in wallet.items_of(owner)] == ["新身份证.png", "身份证正反面.pdf"]


def test_unticking_keep_files_the_case_and_keeps_nothing(client, folder):
    owner = citizen()
    login_as(client, owner)
    form = _transfer_form(licence_id_card="DZZZ-5101-0001")
    del form["save_wallet"]
    form["file_id_card"] = (io.BytesIO(PNG), "身份证.png")
    assert client.post(f"/services/{TRANSFER}/apply", data=form).status_code == 302
    assert wallet.items_of(owner) == []


def test_a_cited_e_licence_is_remembered_and_filled_in_next_time(client, folder):
    owner = citizen()
    login_as(client, owner)
    form = _transfer_form(licence_id_card="DZZZ-5101-0001")
    assert client.post(f"/services/{TRANSFER}/apply", data=form).status_code == 302
    page = client.get(
        "/services/mi-offsite-registration/apply",
        query_string={"pc_filing_type": "temporary", "pc_paid_already": "no"},
    ).get_data(as_text=True)
    assert (
        'name="licence_id_card" maxlength="40" value="DZZZ-5101-0001" list="licences-id_card"'
        in page
    )
    assert '<option value="DZZZ-5101-0001">' in page and "已填入您在“我的材料”中保存的编号" in page
    assert "DZZZ-5101-0001" in client.get("/materials").get_data(as_text=True)


def test_a_saved_file_deleted_meanwhile_asks_for_an_upload_and_keeps_everything_else(
    client, folder
):
    owner = citizen()
    item = _saved_id_card(owner, folder)
    login_as(client, owner)
    page = client.get(f"/services/{TRANSFER}/apply", query_string=ANSWERS).get_data(as_text=True)
    assert f'value="{item.id}"' in page
    wallet.delete(owner, item.id, folder, NOW)  # in another tab

    # the old employer has closed: the answers ask for the sealed-account statement and the
    # proof of leaving too (docs/precheck.md)
    unsealed = {"pc_account_sealed": "no", "phone": "13912345678"}
    form = _transfer_form(wallet_id_card=str(item.id), **unsealed)
    form["file_account_sealed_statement"] = (io.BytesIO(PNG), "封存证明.png")
    form["file_termination_proof"] = (io.BytesIO(PDF), "离职证明.pdf")
    response = client.post(f"/services/{TRANSFER}/apply", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "您选择的已保存材料已被删除，请重新上传" in html
    error = html.split('id="file-id_card"')[0].rsplit("<fieldset", 1)[1]
    assert "已被删除" in error  # beside the ID card
    assert 'value="13912345678"' in html  # what was typed is kept
    assert "已上传：封存证明.png" in html and 'name="kept_account_sealed_statement"' in html
    assert "已上传：离职证明.pdf" in html
    assert 'name="declaration" value="y" checked' in html
    assert [c for c in _cases(owner) if c.service.code == TRANSFER] == []

    # the new upload goes through with the kept files
    kept = {
        f"kept_{code}": re.search(rf'name="kept_{code}" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        for code in ("account_sealed_statement", "termination_proof")
    }
    form = _transfer_form(**kept, **unsealed)
    form["file_id_card"] = (io.BytesIO(PNG), "身份证.png")
    assert client.post(f"/services/{TRANSFER}/apply", data=form).status_code == 302
    case = next(c for c in _cases(owner) if c.service.code == TRANSFER)
    names = set(
        db.session.scalars(sa.select(Attachment.original_name).where(Attachment.case_id == case.id))
    )
    assert names == {"身份证.png", "封存证明.png", "离职证明.pdf"}


def test_the_materials_page_lists_and_deletes_behind_a_confirmation(client, folder):
    owner = citizen()
    item = _saved_id_card(owner, folder)
    path, item_id = folder / (item.stored_name or ""), item.id
    login_as(client, owner)
    html = client.get("/materials").get_data(as_text=True)
    assert "我的材料" in html and "居民身份证" in html and "身份证正反面.pdf" in html
    assert f"/materials/{item.id}/delete" in html and 'href="/materials"' in html
    download = client.get(f"/materials/{item.id}/file")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()

    confirm = client.get(f"/materials/{item.id}/delete")
    assert confirm.status_code == 200 and "确定要删除这项材料吗" in confirm.get_data(as_text=True)
    assert path.exists() and wallet.items_of(owner)  # opening the confirmation deletes nothing

    response = client.post(f"/materials/{item_id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/materials"
    assert not path.exists() and wallet.items_of(owner) == []
    assert "还没有保存的材料" in client.get("/materials").get_data(as_text=True)
    assert client.get(f"/materials/{item_id}/file").status_code == 404


def test_another_citizen_s_item_is_a_404_audited_and_stays(client, folder):
    owner, other = citizen(), citizen()
    item = _saved_id_card(owner, folder)
    login_as(client, other)
    for method, path in (
        ("GET", f"/materials/{item.id}/file"),
        ("GET", f"/materials/{item.id}/delete"),
        ("POST", f"/materials/{item.id}/delete"),
    ):
        response = client.open(path, method=method)
        assert response.status_code == 404, (method, path)
        assert "身份证正反面" not in response.get_data(as_text=True)
        response.close()
    db.session.rollback()
    denied = list(
        db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action == "denied", AuditEntry.user_id == other.id
            )
        )
    )
    assert len(denied) == 3 and all(d.detail["status"] == 404 for d in denied)
    assert (folder / (item.stored_name or "")).exists() and wallet.items_of(owner)
    assert "身份证正反面" not in client.get("/materials").get_data(as_text=True)
    # nor can the apply form reuse it: it counts as gone
    response = client.post(
        f"/services/{TRANSFER}/apply", data=_transfer_form(wallet_id_card=str(item.id))
    )
    assert response.status_code == 422 and "已被删除" in response.get_data(as_text=True)
    assert _cases(other) == []


def test_the_pages_in_english(client, folder):
    owner = citizen()
    item = _saved_id_card(owner, folder)
    login_as(client, owner)
    html = client.get("/materials?lang=en").get_data(as_text=True)
    assert "My materials" in html and "Resident identity card" in html and "Delete" in html
    html = client.get(f"/materials/{item.id}/delete?lang=en").get_data(as_text=True)
    assert "Delete this material?" in html
    html = client.get(
        f"/services/{TRANSFER}/apply", query_string={**ANSWERS, "lang": "en"}
    ).get_data(as_text=True)
    assert "Use my saved file:" in html and "Upload a new file" in html
