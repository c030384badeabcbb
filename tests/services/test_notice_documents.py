"""Written notices as documents: issued by the moves that call for them, in the move's
transaction, with their required facts; a signed PDF whose code /verify answers and whose
signature check refuses one changed byte."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.builders import NOW, citizen, clerk, submit, supervisor
from tracker import crypto
from tracker.database import write_transaction
from tracker.domain.errors import ReasonRequired
from tracker.domain.notices import NoticeKind, normalise_code
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case, CaseEvent, Notice, Notification
from tracker.services import cases as ops
from tracker.services import notice_keys, notices

HF, MI = "510100-hf", "510100-mi"
AHDT = "hf-retirement-withdrawal"


def keys(app) -> notices.KeySettings:
    return notices.KeySettings(app.config["NOTICE_KEYS_DIR"], True)


def notices_of(case: Case) -> list[Notice]:
    db.session.expire_all()
    return notices.notices_of(case.id)


def footprint(case: Case) -> tuple[object, ...]:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return (
        fresh.status,
        fresh.version,
        db.session.scalar(sa.select(sa.func.count(CaseEvent.id))),
        db.session.scalar(sa.select(sa.func.count(Notification.id))),
        db.session.scalar(sa.select(sa.func.count(Notice.id))),
    )


def test_each_move_that_calls_for_a_notice_issues_it(app):
    cd, applicant = clerk(HF), citizen()
    case = submit(AHDT, applicant, HF, HF)
    assert notices_of(case) == []  # filing alone: no notice
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.START_PROCESSING, cd, NOW)
    ops.act(case.id, Action.START_SPECIAL, cd, NOW, reason="专家评审")
    ops.act(case.id, Action.END_SPECIAL, cd, NOW)
    ops.act(
        case.id, Action.REQUEST_EXTENSION, cd, NOW, reason="需核对缴存记录", payload={"days": 2}
    )
    ops.act(case.id, Action.APPROVE_EXTENSION, supervisor("510000"), NOW, reason="同意")
    ops.act(case.id, Action.REQUEST_SUPPLEMENT, cd, NOW, reason="身份证复印件不清晰")
    ops.act(case.id, Action.SUBMIT_SUPPLEMENT, applicant, NOW)
    ops.act(case.id, Action.REFUSE, cd, NOW, reason="不符合提取条件")
    found = notices_of(case)
    assert [n.kind for n in found] == [
        "acceptance",
        "special_procedure",
        "extension",
        "supplement",
        "refusal",
    ]
    assert {n.office.code for n in found} == {HF}  # the supervisor approves, the office tells
    numbers = [n.number for n in found]
    assert numbers == [
        "510100HF受〔2026〕1号",
        "510100HF特〔2026〕2号",
        "510100HF延〔2026〕3号",
        "510100HF补〔2026〕4号",
        "510100HF不许〔2026〕5号",
    ]
    assert all(re.fullmatch(r"([0-9A-Z]{4}-){3}[0-9A-Z]{4}", n.verification_code) for n in found)
    assert found[0].clerk_name == cd.real_name
    extension = found[2].text["zh"]
    # The applicant is told the office's reason for more time (Art. 42), not the approval's.
    assert any("需核对缴存记录" in p for p in extension["paragraphs"])
    assert any("延长2个工作日" in p for p in extension["paragraphs"])
    refusal = " ".join(found[4].text["zh"]["paragraphs"])
    assert "不符合提取条件" in refusal and "六十日" in refusal and "六个月" in refusal
    # Each notice is linked from the applicant's notification of the same move.
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)
    ).all()
    linked = [n.params.get("notice_number") for n in notes if n.params.get("notice_id")]
    assert linked == numbers


def test_acceptance_tells_the_due_date_and_the_materials(app):
    cd = clerk(MI)
    case = submit("mi-offsite-registration", citizen(), MI, MI)
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    (notice,) = notices_of(case)
    zh = notice.text["zh"]
    assert zh["title"] == "受理通知书" and zh["addressee"] == f"{case.applicant.real_name}："
    body = " ".join(zh["paragraphs"])
    assert "受理日期为2026年11月2日" in body and "承诺办结日期为" in body
    assert notice.text["en"]["title"] == "Notice of acceptance"


def test_numbers_run_per_office_and_year(app):
    hf, mi = clerk(HF), clerk(MI)
    first = submit(AHDT, citizen(), HF, HF)
    second = submit(AHDT, citizen(), HF, HF)
    other = submit("mi-offsite-registration", citizen(), MI, MI)
    ops.act(first.id, Action.ACCEPT, hf, NOW)
    ops.act(other.id, Action.ACCEPT, mi, NOW)
    ops.act(second.id, Action.ACCEPT, hf, NOW + timedelta(days=62))  # 2027 in Shanghai
    assert [n.number for n in notices_of(first)] == ["510100HF受〔2026〕1号"]
    assert [n.number for n in notices_of(other)] == ["510100MI受〔2026〕1号"]
    assert [n.number for n in notices_of(second)] == ["510100HF受〔2027〕1号"]


def test_a_not_competent_rejection_without_the_competent_office_writes_nothing(app):
    cd = clerk(HF)
    case = submit(AHDT, citizen(), HF, HF)
    before = footprint(case)
    with pytest.raises(notices.NoticeFactsMissing) as refused:
        ops.act(
            case.id,
            Action.REJECT,
            cd,
            NOW,
            reason="不属于本中心管辖",
            payload={"ground": "not_competent", "competent_office_hint": "  "},
        )
    assert set(refused.value.fields) == {"competent_office_hint"}
    assert footprint(case) == before
    with pytest.raises(ReasonRequired):
        ops.act(case.id, Action.REJECT, cd, NOW, payload={"competent_office_hint": "某局"})
    assert footprint(case) == before


def test_a_rejection_names_the_competent_office_and_the_appeal_rights(app):
    cd = clerk(HF)
    case = submit(AHDT, citizen(), HF, HF)
    ops.act(
        case.id,
        Action.REJECT,
        cd,
        NOW,
        reason="户籍不在本市",
        payload={"ground": "not_competent", "competent_office_hint": "重庆市住房公积金管理中心"},
    )
    (notice,) = notices_of(case)
    assert notice.kind == "rejection" and notice.number == "510100HF不受〔2026〕1号"
    zh = " ".join(notice.text["zh"]["paragraphs"])
    assert "不属于本机关职权范围" in zh and "重庆市住房公积金管理中心" in zh
    assert "户籍不在本市" in zh
    assert (
        "六十日内向成都市人民政府申请行政复议" in zh and "六个月内依法向人民法院提起行政诉讼" in zh
    )
    en = " ".join(notice.text["en"]["paragraphs"])
    assert "within 60 days" in en and "within 6 months" in en
    assert "重庆市住房公积金管理中心" in en


def test_a_supplement_notice_lists_each_material_once(app):
    cd = clerk(HF)
    case = submit(AHDT, citizen(), HF, HF)
    ops.act(
        case.id,
        Action.REQUEST_SUPPLEMENT,
        cd,
        NOW,
        reason="请一次补齐",
        payload={
            "items": [
                {"material": "bank_card", "note": "卡号不清晰"},
                {"material": "id_card", "note": ""},
            ]
        },
    )
    (notice,) = notices_of(case)
    paragraphs = notice.text["zh"]["paragraphs"]
    listed = [p for p in paragraphs if p[:3] in ("1. ", "2. ")]
    assert len(listed) == 2 and listed[0].endswith("：卡号不清晰"), paragraphs
    assert listed[1].startswith("2. ") and "卡号" not in listed[1]
    assert "说明：请一次补齐" in paragraphs  # a paragraph of its own
    assert any("暂停计算" in p for p in paragraphs)


def test_issue_is_the_entry_point_for_a_delivery_notice(app):
    cd = clerk(MI)
    case = submit("mi-offsite-registration", citizen(), MI, MI)
    ops.act(case.id, Action.ACCEPT, cd, NOW)
    ops.act(case.id, Action.APPROVE, cd, NOW)
    with write_transaction() as session, pytest.raises(notices.NoticeFactsMissing):
        notices.issue(session, session.merge(case), NoticeKind.DELIVERY, {}, NOW, actor=cd)
    assert [n.kind for n in notices_of(case)] == ["acceptance", "approval"]
    facts = notices.delivery_facts("post", "EMS1234567890", NOW.date(), ["备案凭证"])
    with write_transaction() as session:
        made = notices.issue(
            session, session.merge(case), NoticeKind.DELIVERY, facts, NOW, actor=cd
        )
        number = made.number
    delivered = notices_of(case)[-1]
    assert delivered.number == number == "510100MI送〔2026〕3号"
    assert "EMS1234567890" in delivered.text["zh"]["paragraphs"][0]
    assert "邮寄送达" in delivered.text["zh"]["paragraphs"][0]


def test_the_pdf_is_signed_kept_and_verified_by_its_code(app):
    cd = clerk(HF)
    case = submit(AHDT, citizen(), HF, HF)
    ops.act(
        case.id,
        Action.REJECT,
        cd,
        NOW,
        reason="户籍不在本市",
        payload={"competent_office_hint": "重庆市住房公积金管理中心"},
    )
    (notice,) = notices_of(case)
    assert notice.pdf is None and notice.digest is None  # drawn on first use
    data = notices.document(notice.id, keys(app), "https://tongban.example", NOW)
    assert data.startswith(b"%PDF-")
    kept = notices_of(case)[0]
    assert kept.digest == notices.digest_of(data) and kept.signer
    assert notices.document(notice.id, keys(app), "https://other.example", NOW) == data
    # The PDF is stored sealed: the applicant's name is not readable in the column.
    raw = db.session.execute(sa.text("SELECT pdf FROM notices")).scalar_one()
    assert crypto.is_sealed(raw)

    check = notices.signature_check(data, keys(app))
    assert check.ok and check.signer == kept.office.name_zh
    tampered = bytearray(data)
    at = data.index(b"/Contents", 0) - 40  # a byte in the signed page content
    tampered[at] ^= 0x01
    assert not notices.signature_check(bytes(tampered), keys(app)).ok
    assert not notices.signature_check(b"%PDF-1.7 not a pdf", keys(app)).ok

    answer = notices.verify(
        kept.verification_code.lower().replace("-", " "), keys(app), "http://x", NOW
    )
    assert answer is not None
    assert (answer.kind, answer.number, answer.digest) == (
        NoticeKind.REJECTION,
        kept.number,
        kept.digest,
    )
    assert answer.office_zh == kept.office.name_zh and answer.issued_on.isoformat() == "2026-11-02"
    public = " ".join(str(v) for v in answer.__dict__.values())
    assert case.applicant.real_name not in public and case.tracking_number not in public
    assert notices.verify("0000-0000-0000-0000", keys(app), "http://x", NOW) is None
    assert notices.verify("not a code", keys(app), "http://x", NOW) is None


def test_an_unknown_ca_is_not_trusted_and_a_rotated_key_still_verifies_old_documents(app, tmp_path):
    store = notice_keys.KeyStore(tmp_path / "keys")
    store.create_ca(NOW)
    office_key = store.create_office("510100-hf", "成都住房公积金管理中心", NOW)
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "test")
    signed = notice_keys.sign_pdf(bytes(pdf.output()), store, office_key, reason="t", location="t")
    assert notice_keys.check_signature(signed, store).ok
    rotated = store.create_office("510100-hf", "成都住房公积金管理中心", NOW, rotate=True)
    assert rotated.fingerprint != office_key.fingerprint
    assert notice_keys.check_signature(signed, store).ok  # the old cert chains to the CA
    assert list((tmp_path / "keys" / "retired").glob("510100-hf-*.key.pem"))
    stranger = notice_keys.KeyStore(tmp_path / "other")
    stranger.create_ca(NOW)
    result = notice_keys.check_signature(signed, stranger)
    assert result.intact and not result.trusted and not result.ok


def test_codes_are_read_forgivingly():
    assert normalise_code("1v0n 1mfj-mbyr-dtfq") == "1V0N-1MFJ-MBYR-DTFQ"
    assert normalise_code("IVON-1MFJ-MBYR-DTFQ") == "1V0N-1MFJ-MBYR-DTFQ"  # I→1, O→0
    assert normalise_code("1V0N-1MFJ-MBYR-DTF") is None
    assert normalise_code("1V0N-1MFJ-MBYR-DTFU") is None  # U is not in the alphabet


def test_a_long_office_name_still_gets_a_certificate(tmp_path):
    store = notice_keys.KeyStore(tmp_path / "keys")
    store.create_ca(NOW)
    name = "重庆市渝北区人力资源和社会保障局社会保险经办中心两江新区分中心"  # 29 characters
    made = store.create_office("500112-hrss", name, NOW)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    common = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    assert name.startswith(common) and len(common.encode()) <= 64
