"""POST /cases (idempotent), GET /cases/{no}, moves, events: as each token's scope allows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.api.conftest import CD_HF, CD_MI, CQ_HF, MI, bearer, mi_body, token_for
from tests.builders import NOW, citizen, clerk, submit, supervisor
from tracker.extensions import db
from tracker.models import ApiIdempotencyKey, AuditEntry, Case, CaseEvent
from tracker.services import idempotency

PROBLEM = "application/problem+json"


def _count_cases() -> int:
    return db.session.scalar(sa.select(sa.func.count(Case.id))) or 0


# ---- filing and idempotency ----------------------------------------------------------------


def test_a_citizen_token_files_for_its_holder(app, post_case):
    person = citizen()
    answer = post_case(token_for(user=person), mi_body())
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/cases/{body['tracking_number']}"
    assert body["status"] == {
        "value": "received",
        "code": 1,
        "label_zh": "已接件",
        "label_en": "Received",
    }
    case = db.session.scalars(sa.select(Case)).one()
    assert case.applicant_id == person.id and case.service.code == MI
    assert body["applicant"]["resident_id"] == person.resident_id_masked
    assert person.resident_id not in answer.get_data(as_text=True)
    assert "no-store" in answer.headers["Cache-Control"]
    assert "Set-Cookie" not in answer.headers


def test_a_replay_returns_the_same_answer_and_files_nothing_more(app, post_case):
    secret = token_for(user=citizen())
    first = post_case(secret, mi_body(), key="same")
    again = post_case(secret, mi_body(), key="same")
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count_cases() == 1
    other = post_case(secret, mi_body(), key="another")
    assert other.status_code == 201 and _count_cases() == 2


def test_the_same_key_with_another_body_is_422(app, post_case):
    secret = token_for(user=citizen())
    assert post_case(secret, mi_body(), key="k").status_code == 201
    changed = post_case(secret, mi_body(licences={"id_card": "EL-999"}), key="k")
    assert changed.status_code == 422 and changed.content_type == PROBLEM
    assert changed.get_json()["type"].endswith("idempotency-key-reused")
    assert _count_cases() == 1


def test_a_request_still_in_flight_is_409(app, post_case):
    from tracker.models import ApiToken

    secret = token_for(user=citizen())
    token = db.session.scalars(sa.select(ApiToken)).one()
    body = mi_body()
    # The first request has claimed the key and is still filing (its claim is committed).
    claim = idempotency.begin(token.id, "busy", _hash_of(body), NOW)
    assert isinstance(claim, idempotency.Claim)
    answer = post_case(secret, body, key="busy")
    assert answer.status_code == 409 and answer.content_type == PROBLEM
    assert answer.get_json()["type"].endswith("idempotency-in-flight")
    assert _count_cases() == 0


def _hash_of(body: dict) -> str:
    from tracker.web.api.models import NewCase

    return idempotency.request_hash(
        {
            "body": NewCase.model_validate(body).model_dump(mode="json"),
            "files": [],
            "operator": None,
        }
    )


def test_a_refused_filing_keeps_nothing_and_frees_the_key(app, post_case):
    secret = token_for(user=citizen())
    bad = post_case(secret, mi_body(answers={}), key="fix-me")
    assert bad.status_code == 422 and bad.content_type == PROBLEM
    assert "fields.filing_type" in bad.get_json()["fields"]
    assert db.session.scalars(sa.select(ApiIdempotencyKey)).all() == []
    fixed = post_case(secret, mi_body(), key="fix-me")
    assert fixed.status_code == 201 and _count_cases() == 1


def test_the_idempotency_key_is_required(app, client):
    secret = token_for(user=citizen())
    answer = client.post("/api/v1/cases", json=mi_body(), headers=bearer(secret))
    assert answer.status_code == 400 and answer.content_type == PROBLEM
    assert "Idempotency-Key" in answer.get_json()["fields"]
    assert _count_cases() == 0


def test_an_office_token_files_for_a_registered_applicant_named_by_phone(app, post_case):
    person, counter_clerk = citizen(), clerk(CD_MI)
    secret = token_for(office_code=CD_MI)
    answer = post_case(
        secret,
        mi_body(applicant_phone=person.phone),
        **{"Tongban-Operator": counter_clerk.username},
    )
    assert answer.status_code == 201, answer.get_json()
    case = db.session.scalars(sa.select(Case)).one()
    assert case.applicant_id == person.id
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api.submit")).one()
    assert entry.detail["operator"] == counter_clerk.username
    assert entry.detail["api_token"] and entry.target == f"case:{case.tracking_number}"


def test_an_office_token_needs_an_operator_an_applicant_and_its_own_counter(app, post_case):
    person, counter_clerk, other_clerk = citizen(), clerk(CD_MI), clerk(CD_HF)
    secret = token_for(office_code=CD_MI)
    op = {"Tongban-Operator": counter_clerk.username}
    no_operator = post_case(secret, mi_body(applicant_phone=person.phone), key="a")
    assert no_operator.status_code == 400
    foreign = post_case(
        secret,
        mi_body(applicant_phone=person.phone),
        key="b",
        **{"Tongban-Operator": other_clerk.username},
    )
    assert foreign.status_code == 403
    nobody = post_case(secret, mi_body(), key="c", **op)
    assert nobody.status_code == 422 and "applicant_phone" in nobody.get_json()["fields"]
    unknown = post_case(secret, mi_body(applicant_phone="13999999999"), key="d", **op)
    assert unknown.status_code == 422 and "applicant_phone" in unknown.get_json()["fields"]
    elsewhere = post_case(
        secret, mi_body(applicant_phone=person.phone, competent_office="500112-mi"), key="e", **op
    )
    assert elsewhere.status_code == 403
    assert _count_cases() == 0


def test_a_citizen_token_files_for_nobody_else_and_a_supervisor_files_nothing(app, post_case):
    person, other = citizen(), citizen()
    mine = post_case(token_for(user=person), mi_body(applicant_phone=other.phone))
    assert mine.status_code == 403
    boss = post_case(token_for(user=supervisor(None)), mi_body())
    assert boss.status_code == 403
    assert _count_cases() == 0


def test_multipart_files_the_materials_as_uploads(app, client, tmp_path):
    import io
    import json

    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    secret = token_for(user=citizen())
    body = mi_body(licences={})
    answer = client.post(
        "/api/v1/cases",
        data={
            "case": json.dumps(body),
            "materials.id_card": (io.BytesIO(b"%PDF-1.4\n" + b"x" * 300), "身份证.pdf"),
        },
        content_type="multipart/form-data",
        headers=bearer(secret, **{"Idempotency-Key": "mp"}),
    )
    assert answer.status_code == 201, answer.get_json()
    case = db.session.scalars(sa.select(Case)).one()
    assert [a.material_code for a in case.attachments] == ["id_card"]
    assert len(list(folder.iterdir())) == 1
    exe = client.post(
        "/api/v1/cases",
        data={
            "case": json.dumps(body),
            "materials.id_card": (io.BytesIO(b"MZ" + b"x" * 300), "a.pdf"),
        },
        content_type="multipart/form-data",
        headers=bearer(secret, **{"Idempotency-Key": "mp2"}),
    )
    assert exe.status_code == 422 and exe.content_type == PROBLEM
    assert len(list(folder.iterdir())) == 1 and _count_cases() == 1


def test_multipart_uploads_count_against_the_applicant_s_daily_quota(app, client, tmp_path):
    import io
    import json

    folder = tmp_path / "uploads"
    app.config.update(UPLOAD_FOLDER=str(folder), UPLOAD_DAILY_BYTES=1000)
    secret = token_for(user=citizen())
    body = mi_body(licences={})

    def post(key: str):
        return client.post(
            "/api/v1/cases",
            data={
                "case": json.dumps(body),
                "materials.id_card": (io.BytesIO(b"%PDF-1.4\n" + b"x" * 600), "身份证.pdf"),
            },
            content_type="multipart/form-data",
            headers=bearer(secret, **{"Idempotency-Key": key}),
        )

    assert post("q1").status_code == 201
    over = post("q2")
    assert over.status_code == 429 and over.content_type == PROBLEM
    assert "每日" in over.get_json()["detail"]
    assert len(list(folder.iterdir())) == 1 and _count_cases() == 1


# ---- reading -------------------------------------------------------------------------------


def test_a_citizen_token_never_sees_another_persons_case(app, client):
    mine, theirs = citizen(), citizen()
    case = submit(MI, theirs, CD_MI, CD_MI)
    answer = client.get(
        f"/api/v1/cases/{case.tracking_number}", headers=bearer(token_for(user=mine))
    )
    assert answer.status_code == 404 and answer.content_type == PROBLEM
    assert theirs.real_name not in answer.get_data(as_text=True)
    own = client.get(
        f"/api/v1/cases/{case.tracking_number}", headers=bearer(token_for(user=theirs))
    )
    assert own.status_code == 200 and own.get_json()["applicant"]["name"] == theirs.real_name


def test_an_office_token_sees_its_cases_and_a_supervisor_no_applicant(app, client):
    person = citizen()
    case = submit(MI, person, CD_MI, CD_MI)
    url = f"/api/v1/cases/{case.tracking_number}"
    assert client.get(url, headers=bearer(token_for(office_code=CQ_HF))).status_code == 404
    answer = client.get(url, headers=bearer(token_for(office_code=CD_MI)))
    office_view, text = answer.get_json(), answer.get_data(as_text=True)
    assert office_view["actions"] == ["accept", "reject", "request_supplement", "cancel"]
    assert office_view["applicant"]["name"] == person.real_name
    assert person.resident_id not in text and person.phone not in text
    assert office_view["applicant"]["resident_id"] == person.resident_id_masked
    assert office_view["clock"]["act_by"]
    boss = client.get(url, headers=bearer(token_for(user=supervisor("510000")))).get_json()
    assert "applicant" not in boss and "answers" not in boss
    assert person.real_name not in str(boss)
    elsewhere = client.get(url, headers=bearer(token_for(user=supervisor("500000"))))
    assert elsewhere.status_code == 404


# ---- moves ---------------------------------------------------------------------------------


def _office_move(client, case, secret, operator, **body):
    return client.post(
        f"/api/v1/cases/{case.tracking_number}/actions",
        json=body,
        headers=bearer(secret, **{"Tongban-Operator": operator.username}),
    )


def test_an_office_token_accepts_with_its_operator_and_the_audit_names_both(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    worker, secret = clerk(CD_MI), token_for(office_code=CD_MI)
    answer = _office_move(client, case, secret, worker, action="accept", version=1)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"]["code"] == 3 and body["version"] == 2
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.action == "accept")).one()
    assert event.actor_id == worker.id
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api.accept")).one()
    assert entry.user_id == worker.id and entry.detail["operator"] == worker.username


def test_a_stale_version_is_409_and_changes_nothing(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    worker, secret = clerk(CD_MI), token_for(office_code=CD_MI)
    assert _office_move(client, case, secret, worker, action="accept", version=1).status_code == 200
    stale = _office_move(client, case, secret, worker, action="reject", version=1, reason="x")
    assert stale.status_code == 409 and stale.content_type == PROBLEM
    assert stale.get_json()["current_version"] == 2
    assert db.session.get(Case, case.id).status.value == "accepted"


def test_only_the_offered_moves_and_the_domain_refusals_are_422(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    worker, secret = clerk(CD_MI), token_for(office_code=CD_MI)
    not_offered = _office_move(client, case, secret, worker, action="approve", version=1)
    assert not_offered.status_code == 422
    assert not_offered.get_json()["actions"] == ["accept", "reject", "request_supplement", "cancel"]
    no_reason = _office_move(client, case, secret, worker, action="reject", version=1)
    assert no_reason.status_code == 422 and no_reason.get_json()["detail"]
    assert db.session.get(Case, case.id).version == 1


def test_a_citizen_may_retract_its_own_case_but_not_accept_it(app, client):
    person = citizen()
    case = submit(MI, person, CD_MI, CD_MI)
    secret = token_for(user=person)
    url = f"/api/v1/cases/{case.tracking_number}/actions"
    assert (
        client.post(
            url, json={"action": "accept", "version": 1}, headers=bearer(secret)
        ).status_code
        == 422
    )
    done = client.post(
        url, json={"action": "retract", "version": 1, "reason": "不办了"}, headers=bearer(secret)
    )
    assert done.status_code == 200 and done.get_json()["status"]["code"] == 2


# ---- events --------------------------------------------------------------------------------


def test_events_since_a_cursor(app, client):
    case = submit(MI, citizen(), CD_MI, CD_MI)
    worker, secret = clerk(CD_MI), token_for(office_code=CD_MI)
    url = f"/api/v1/cases/{case.tracking_number}/events"
    first = client.get(url, headers=bearer(secret)).get_json()
    assert [e["action"] for e in first["events"]] == ["submit"]
    assert (
        client.get(f"{url}?since={first['next_cursor']}", headers=bearer(secret)).get_json()[
            "events"
        ]
        == []
    )
    _office_move(client, case, secret, worker, action="accept", version=1)
    later = client.get(f"{url}?since={first['next_cursor']}", headers=bearer(secret)).get_json()
    assert [e["action"] for e in later["events"]] == ["accept"]
    assert int(later["next_cursor"]) > int(first["next_cursor"])
    assert client.get(f"{url}?since=abc", headers=bearer(secret)).status_code == 400


def test_a_claim_left_by_a_dead_request_is_released_after_a_while(app, post_case):
    from datetime import timedelta

    from tracker.models import ApiToken

    secret = token_for(user=citizen())
    token = db.session.scalars(sa.select(ApiToken)).one()
    body = mi_body()
    stale = idempotency.begin(token.id, "orphan", _hash_of(body), NOW - timedelta(minutes=10))
    assert isinstance(stale, idempotency.Claim)
    answer = post_case(secret, body, key="orphan")
    assert answer.status_code == 201 and _count_cases() == 1
    again = post_case(secret, body, key="orphan")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


# ---- office fields (issue #16 item 3): office codes, refused by name ------------------------

HF_TRANSFER_ANSWERS = {
    "transfer_out_region": "510100",
    "transfer_out_centre": "510100-hf",
    "original_employer": "成都市锦江区某贸易有限公司",
    "original_account": "510100123456789",
    "transfer_in_account": "500112987654321",
    "current_employer": "重庆市渝北区某科技有限公司",
    "phone": "13800000000",
}


def _hf_transfer(**answers: str) -> dict:
    return {
        "service": "hf-transfer",
        "competent_office": CQ_HF,
        "answers": {**HF_TRANSFER_ANSWERS, **answers},
        "licences": {"id_card": "EL-123456"},
    }


def test_an_office_field_takes_an_office_code(app, client, post_case):
    secret = token_for(user=citizen())
    answer = post_case(secret, _hf_transfer())
    assert answer.status_code == 201, answer.get_json()
    case = db.session.scalars(sa.select(Case)).one()
    assert case.form_data["transfer_out_centre"] == "510100-hf"
    field = next(
        f
        for f in client.get("/api/v1/services/hf-transfer", headers=bearer(secret)).get_json()[
            "fields"
        ]
        if f["name"] == "transfer_out_centre"
    )
    assert (field["type"], field["department"], field["region_field"]) == (
        "office",
        "hf",
        "transfer_out_region",
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("成都住房公积金管理中心", "没有这个经办机构"),
        ("510100-mi", "不办理此类业务"),
        ("500112-hf", "所选的地区"),
    ],
)
def test_an_office_field_refuses_text_another_department_and_another_place(
    app, post_case, value, says
):
    answer = post_case(token_for(user=citizen()), _hf_transfer(transfer_out_centre=value))
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert says in answer.get_json()["fields"]["fields.transfer_out_centre"]
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0
