"""Open311 GeoReport v2 at /open311/v2: every endpoint and error in both formats, the keys'
scopes, the status/notes/agency/due-date mapping, and filing (docs/open311.md)."""

from __future__ import annotations

import base64
import json
import shutil
import xml.etree.ElementTree as ET  # noqa: S405 - parses only our own answers
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.builders import NOW, citizen, clerk, office, submit, supervisor
from tests.conftest import config_for
from tracker import create_app
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import AuditEntry, Case
from tracker.services import cases as ops
from tracker.services.api_tokens import TokenScope, create_token, revoke
from tracker.web import wallclock

V2 = "/open311/v2"
SERVICE = "mi-offsite-registration"
CD_MI = "510100-mi"
ANSWERS = {
    "attribute[insured_region]": "510100",
    "attribute[treatment_region]": "500112",
    "attribute[filing_type]": "long_term_residence",
    "attribute[start_date]": "2026-11-10",
    "attribute[phone]": "13800000000",
    "attribute[material.id_card]": "EL-123456",
}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(hours=1))


def key_for(scope: TokenScope, **holder: Any) -> str:
    return create_token(name="open311", scope=scope, now=NOW, created_by="test", **holder).secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def xml(response: Any) -> ET.Element:
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)  # noqa: S314 - our own answer


def as_json(response: Any) -> Any:
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.get_data(as_text=True))


def errors_in(response: Any, fmt: str) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in as_json(response)]
    root = xml(response)
    assert root.tag == "errors"
    return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root]


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    alice, bob = citizen(), citizen()
    mine = submit(SERVICE, alice, CD_MI, CD_MI)
    theirs = submit(SERVICE, bob, "500112-mi", "500112-mi")
    return {
        "alice": alice,
        "bob": bob,
        "mine": mine,
        "theirs": theirs,
        "alice_key": key_for(TokenScope.CITIZEN, user=alice),
        "office_key": key_for(TokenScope.OFFICE, office=office(CD_MI)),
        "supervisor_key": key_for(TokenScope.SUPERVISOR, user=supervisor("510000")),
    }


# ---- discovery and the catalogue (public) ------------------------------------------------


def test_discovery_in_both_formats(client):
    data = as_json(client.get(f"{V2}/discovery.json"))
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert data["changeset"].endswith("Z")
    root = xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/url") == "http://localhost/open311/v2"


def test_services_list_the_active_catalogue_in_both_formats(client):
    listed = as_json(client.get(f"{V2}/services.json"))
    codes = [s["service_code"] for s in listed]
    assert SERVICE in codes and codes == sorted(codes)
    mine = next(s for s in listed if s["service_code"] == SERVICE)
    assert mine["service_name"] == "异地就医登记备案"
    assert mine["metadata"] is True and mine["type"] == "realtime"
    assert mine["group"] == "医疗保障"
    root = xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert {s.findtext("metadata") for s in root.findall("service")} == {"true"}


def test_names_follow_the_request_language(client):
    listed = as_json(client.get(f"{V2}/services.json?lang=en"))
    mine = next(s for s in listed if s["service_code"] == SERVICE)
    assert mine["service_name"] == "Cross-province medical-treatment registration"
    definition = as_json(client.get(f"{V2}/services/{SERVICE}.json?lang=en"))
    filing = next(a for a in definition["attributes"] if a["code"] == "filing_type")
    assert {"key": "long_term_residence", "name": "Long-term residence elsewhere"} in filing[
        "values"
    ]


def test_a_definition_is_built_from_the_service_form_fields(client):
    definition = as_json(client.get(f"{V2}/services/{SERVICE}.json"))
    assert definition["service_code"] == SERVICE
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [a["order"] for a in definition["attributes"]] == list(
        range(1, len(definition["attributes"]) + 1)
    )
    filing = attributes["filing_type"]
    assert filing["datatype"] == "singlevaluelist" and filing["required"] is True
    assert {"key": "long_term_residence", "name": "异地长期居住"} in filing["values"]
    assert attributes["start_date"]["datatype"] == "datetime"
    assert "YYYY-MM-DD" in attributes["start_date"]["datatype_description"]
    assert attributes["residence_address"]["datatype"] == "text"
    assert attributes["residence_address"]["required"] is False
    assert attributes["phone"]["datatype"] == "string"
    assert attributes["phone"]["description"].startswith("联系电话：")  # label and help text
    regions = {v["key"] for v in attributes["insured_region"]["values"]}
    assert {"510100", "500112"} <= regions
    # E-licence materials are attributes; materials that need a file are not (no uploads).
    assert attributes["material.id_card"]["required"] is True
    assert "material.personal_commitment" not in attributes
    assert "competent_office" not in attributes  # received where decided

    root = xml(client.get(f"{V2}/services/{SERVICE}.xml"))
    assert root.tag == "service_definition"
    xml_attrs = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in xml_attrs] == list(attributes)
    filing_xml = next(a for a in xml_attrs if a.findtext("code") == "filing_type")
    assert filing_xml.findtext("required") == "true"
    assert filing_xml.findtext("values/value/key") == filing["values"][0]["key"]


def test_accept_here_decide_there_asks_for_the_competent_office(client):
    definition = as_json(client.get(f"{V2}/services/hf-retirement-withdrawal.json"))
    competent = next(a for a in definition["attributes"] if a["code"] == "competent_office")
    assert competent["datatype"] == "singlevaluelist" and competent["required"] is True
    assert {"key": "510100-hf", "name": "成都住房公积金管理中心"} in competent["values"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404(client, fmt):
    response = client.get(f"{V2}/services/no-such-service.{fmt}")
    assert response.status_code == 404
    assert errors_in(response, fmt) == [(404, "没有这个事项：no-such-service")]
    long = client.get(f"{V2}/services/{'x' * 5000}.{fmt}")
    assert long.status_code == 404 and errors_in(long, fmt)[0][0] == 404


@pytest.mark.parametrize(
    "path",
    ["services.csv", "services", "requests.yaml", "requests/1.html", "nothing.json", "v3.xml"],
)
def test_an_unknown_format_or_endpoint_is_404_in_the_open311_format(client, path):
    response = client.get(f"{V2}/{path}")
    assert response.status_code == 404
    fmt = "xml" if path.endswith(".xml") else "json"
    assert errors_in(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_method_is_405_in_the_open311_format(client, fmt):
    response = client.put(f"{V2}/requests.{fmt}")
    assert response.status_code == 405
    assert errors_in(response, fmt)[0][0] == 405
    assert "POST" in response.headers["Allow"]
    assert client.post(f"{V2}/services.{fmt}").status_code == 405


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_fault_of_ours_is_a_500_in_the_open311_format_without_details(client, fmt, monkeypatch):
    from tracker.services import open311

    def broken(codes):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    monkeypatch.setattr(open311, "services_for", broken)
    response = client.get(f"{V2}/services.{fmt}")
    assert response.status_code == 500
    [(code, text)] = errors_in(response, fmt)
    assert code == 500 and "错误编号" in text and "secret" not in text


# ---- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_need_a_key(client, world, fmt):
    tn = world["mine"].tracking_number
    for path in (f"requests.{fmt}", f"requests/{tn}.{fmt}", f"tokens/{tn}.{fmt}"):
        response = client.get(f"{V2}/{path}")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        code, text = errors_in(response, fmt)[0]
        assert code == 401 and "API 密钥" in text
        assert tn not in response.get_data(as_text=True).replace(path, "")
    assert client.get(f"{V2}/servicerequestupdates.{fmt}").status_code == 401
    assert client.post(f"{V2}/requests.{fmt}", data={"service_code": SERVICE}).status_code == 401


def test_a_key_is_accepted_as_parameter_bearer_or_basic_password(client, world):
    key, tn = world["alice_key"], world["mine"].tracking_number
    url = f"{V2}/requests/{tn}.json"
    basic = base64.b64encode(f"open311:{key}".encode()).decode()
    for response in (
        client.get(f"{url}?api_key={key}"),
        client.get(url, headers=bearer(key)),
        client.get(url, headers={"Authorization": f"Basic {basic}"}),
    ):
        assert response.status_code == 200
        assert as_json(response)[0]["service_request_id"] == tn
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_revoked_or_expired_key_is_401(app, client, world, fmt, monkeypatch):
    url = f"{V2}/requests.{fmt}"
    assert client.get(url, headers=bearer("tb_not-a-key")).status_code == 401
    assert client.get(url, headers=bearer("x" * 5000)).status_code == 401
    # A key presented on a public endpoint must be live too.
    assert client.get(f"{V2}/services.{fmt}?api_key=tb_wrong").status_code == 401
    issued = create_token(
        name="short", scope=TokenScope.CITIZEN, now=NOW, created_by="t", user=world["alice"], days=1
    )
    assert client.get(url, headers=bearer(issued.secret)).status_code == 200
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(days=2))
    expired = client.get(url, headers=bearer(issued.secret))
    assert expired.status_code == 401 and errors_in(expired, fmt)[0][0] == 401
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(hours=1))
    revoke(
        db.session.scalars(sa.select(type(issued.token)).filter_by(id=issued.token.id)).one().id,
        NOW,
        "test",
    )
    assert client.get(url, headers=bearer(issued.secret)).status_code == 401


def test_each_key_lists_only_its_scope(client, world):
    mine, theirs = world["mine"].tracking_number, world["theirs"].tracking_number

    def listed(key: str) -> set[str]:
        data = as_json(client.get(f"{V2}/requests.json", headers=bearer(key)))
        return {r["service_request_id"] for r in data}

    assert listed(world["alice_key"]) == {mine}
    assert listed(world["office_key"]) == {mine}
    assert listed(world["supervisor_key"]) == {mine}
    assert listed(key_for(TokenScope.CITIZEN, user=world["bob"])) == {theirs}
    assert listed(key_for(TokenScope.OFFICE, office=office("510100-hf"))) == set()
    assert listed(key_for(TokenScope.SUPERVISOR, user=supervisor(None))) == {mine, theirs}
    # Asking by number for another's case finds nothing, exactly like no case at all.
    for fmt in ("json", "xml"):
        for path in (f"requests/{theirs}.{fmt}", f"tokens/{theirs}.{fmt}"):
            response = client.get(f"{V2}/{path}", headers=bearer(world["alice_key"]))
            assert response.status_code == 404
            assert theirs not in response.get_data(as_text=True)
            assert errors_in(response, fmt) == errors_in(
                client.get(
                    f"{V2}/{path.replace(theirs, '519901010000000')}",
                    headers=bearer(world["alice_key"]),
                ),
                fmt,
            )
    listed_by_id = as_json(
        client.get(
            f"{V2}/requests.json?service_request_id={mine},{theirs}",
            headers=bearer(world["alice_key"]),
        )
    )
    assert [r["service_request_id"] for r in listed_by_id] == [mine]


def test_descriptions_and_reasons_go_only_to_keys_that_see_the_case(client, world):
    tn = world["mine"].tracking_number
    alice = as_json(client.get(f"{V2}/requests/{tn}.json", headers=bearer(world["alice_key"])))
    assert "备案类型" in alice[0]["description"]
    office_view = as_json(
        client.get(f"{V2}/requests/{tn}.json", headers=bearer(world["office_key"]))
    )
    assert office_view[0]["description"] == alice[0]["description"]
    sup = as_json(client.get(f"{V2}/requests/{tn}.json", headers=bearer(world["supervisor_key"])))
    assert "description" not in sup[0]
    for view in (alice[0], sup[0]):
        body = json.dumps(view, ensure_ascii=False)
        assert world["alice"].resident_id not in body
        assert world["alice"].real_name not in body


# ---- one request: the mapping --------------------------------------------------------------


def test_a_received_request_maps_to_open311_fields(client, world):
    case: Case = world["mine"]
    item = as_json(
        client.get(f"{V2}/requests/{case.tracking_number}.json", headers=bearer(world["alice_key"]))
    )[0]
    assert item["service_request_id"] == case.tracking_number
    assert item["status"] == "open" and item["status_notes"] == "已接件"
    assert item["service_code"] == SERVICE and item["service_name"] == "异地就医登记备案"
    assert item["agency_responsible"] == "成都市医疗保障事务服务中心"
    assert item["address_id"] == CD_MI and item["address"] == "成都市医疗保障事务服务中心"
    assert item["requested_datetime"] == "2026-11-02T02:00:00Z"
    assert item["updated_datetime"].endswith("Z")
    assert "expected_datetime" not in item  # not accepted: no due date yet
    assert "lat" not in item and "long" not in item
    assert "即办" in item["service_notice"] or "工作日" in item["service_notice"]
    root = xml(
        client.get(f"{V2}/requests/{case.tracking_number}.xml", headers=bearer(world["alice_key"]))
    )
    assert root.tag == "service_requests"
    request_xml = root.find("request")
    assert request_xml is not None
    assert {child.tag: child.text for child in request_xml} == {
        k: (v if not isinstance(v, bool) else str(v).lower()) for k, v in item.items()
    }


def test_accepted_then_rejected_cases_carry_due_date_and_reason(client, world):
    alice = world["alice"]
    accepted = submit("hf-transfer", alice, "510100-hf", "510100-hf")
    hf_clerk = clerk("510100-hf")
    ops.act(accepted.id, Action.ACCEPT, hf_clerk, NOW)
    rejected = submit(SERVICE, alice, CD_MI, CD_MI)
    ops.act(rejected.id, Action.REJECT, clerk(CD_MI), NOW, reason="材料与<事项>不符 & 重复")
    db.session.expire_all()
    due = db.session.get(Case, accepted.id).due_on
    assert due is not None
    key = world["alice_key"]
    items = {
        r["service_request_id"]: r
        for r in as_json(client.get(f"{V2}/requests.json", headers=bearer(key)))
    }
    one = items[accepted.tracking_number]
    assert one["status"] == "open" and one["status_notes"] == "已受理"
    # The end of the due day in Beijing, in UTC.
    assert one["expected_datetime"] == f"{due.isoformat()}T15:59:59Z"
    assert due.isoformat() in one["service_notice"]
    two = items[rejected.tracking_number]
    assert two["status"] == "closed"
    assert two["status_notes"] == "不予受理：材料与<事项>不符 & 重复"
    root = xml(client.get(f"{V2}/requests/{rejected.tracking_number}.xml", headers=bearer(key)))
    assert root.findtext("request/status_notes") == "不予受理：材料与<事项>不符 & 重复"
    raw = client.get(f"{V2}/requests/{rejected.tracking_number}.xml", headers=bearer(key))
    assert b"&lt;\xe4\xba\x8b\xe9\xa1\xb9&gt;" in raw.get_data()  # escaped, not markup
    sup = as_json(
        client.get(
            f"{V2}/requests/{rejected.tracking_number}.json",
            headers=bearer(world["supervisor_key"]),
        )
    )
    assert sup[0]["status_notes"] == "不予受理"  # no reason for a supervisor key


def test_the_status_filter_and_the_service_filter(client, world):
    alice, key = world["alice"], world["alice_key"]
    rejected = submit(SERVICE, alice, CD_MI, CD_MI)
    ops.act(rejected.id, Action.REJECT, clerk(CD_MI), NOW, reason="不符")
    other = submit("hf-transfer", alice, "510100-hf", "510100-hf")

    def ids(query: str) -> set[str]:
        response = client.get(f"{V2}/requests.json?{query}", headers=bearer(key))
        assert response.status_code == 200, response.get_data(as_text=True)
        return {r["service_request_id"] for r in as_json(response)}

    mine = world["mine"].tracking_number
    assert ids("status=closed") == {rejected.tracking_number}
    assert ids("status=open") == {mine, other.tracking_number}
    assert ids("status=open,closed") == {mine, other.tracking_number, rejected.tracking_number}
    assert ids("service_code=hf-transfer") == {other.tracking_number}
    assert ids(f"service_code=hf-transfer,{SERVICE}&status=open") == {
        mine,
        other.tracking_number,
    }
    assert ids("service_code=no-such-service") == set()
    # service_request_id overrides every other filter (the spec says so).
    assert ids(f"service_request_id={rejected.tracking_number}&status=open") == {
        rejected.tracking_number
    }


def test_the_date_range_defaults_to_the_last_90_days(client, world, monkeypatch):
    key = world["alice_key"]
    old = submit(SERVICE, world["alice"], CD_MI, CD_MI, now=NOW - timedelta(days=120))

    def ids(query: str = "") -> set[str]:
        return {
            r["service_request_id"]
            for r in as_json(client.get(f"{V2}/requests.json?{query}", headers=bearer(key)))
        }

    mine = world["mine"].tracking_number
    assert ids() == {mine}
    assert ids("start_date=2026-06-01T00:00:00Z&end_date=2026-08-01T00:00:00Z") == {
        old.tracking_number
    }
    assert ids("start_date=2026-06-01T00:00:00Z") == {old.tracking_number}  # +90 days
    assert ids("end_date=2026-11-02T10:00:00%2B08:00") == {mine}  # -90 days
    assert ids("end_date=2026-11-02T10:00:00 08:00") == {mine}  # a + that became a space
    assert ids("start_date=2026-11-02T02:00:01Z") == set()


BAD_DATES = [
    ("start_date=2026-11-01", "须带时区"),
    ("start_date=yesterday", "W3C"),
    ("start_date=2026-13-01T00:00:00Z", "W3C"),
    ("end_date=" + "9" * 100, "太长"),
    ("start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z", "不能早于"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z", "90 天"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("query", "says"), BAD_DATES)
def test_bad_dates_are_400(client, world, fmt, query, says):
    for endpoint in ("requests", "servicerequestupdates"):
        response = client.get(f"{V2}/{endpoint}.{fmt}?{query}", headers=bearer(world["alice_key"]))
        assert response.status_code == 400
        [(code, text)] = errors_in(response, fmt)
        assert code == 400 and says in text


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "status=open,closed,open",
        "service_request_id=" + ",".join(["5126110200000"] * 101),
        "service_request_id=" + "1" * 33,
        "service_request_id=" + "1" * 100_000,
        "service_code=" + "x" * 65,
    ],
)
def test_bad_filters_are_400(client, world, fmt, query):
    response = client.get(f"{V2}/requests.{fmt}?{query}", headers=bearer(world["alice_key"]))
    assert response.status_code == 400
    assert errors_in(response, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_oversize_or_odd_request_id_is_404(client, world, fmt):
    for odd in ("1" * 33, "x" * 3000, "%27%20OR%201%3D1--", "-1", "0"):
        for endpoint in ("requests", "tokens"):
            response = client.get(
                f"{V2}/{endpoint}/{odd}.{fmt}", headers=bearer(world["alice_key"])
            )
            assert response.status_code == 404
            assert errors_in(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_names_its_request(client, world, fmt):
    tn = world["mine"].tracking_number
    response = client.get(f"{V2}/tokens/{tn}.{fmt}", headers=bearer(world["alice_key"]))
    assert response.status_code == 200
    if fmt == "json":
        assert as_json(response) == [{"service_request_id": tn, "token": tn}]
    else:
        root = xml(response)
        assert root.findtext("request/service_request_id") == tn
        assert root.findtext("request/token") == tn


# ---- filing --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_citizen_key_files_a_request(client, world, fmt):
    response = client.post(
        f"{V2}/requests.{fmt}",
        data={
            "api_key": world["alice_key"],
            "service_code": SERVICE,
            "address_id": CD_MI,
            "lat": "30.6",
            "long": "104.0",
            **ANSWERS,
            "attribute[start_date]": "2026-11-09T16:30:00Z",  # 2026-11-10 in Beijing
            "attribute[status]": "approved",  # not a field of the service: ignored
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    if fmt == "json":
        [answer] = as_json(response)
        tn, notice = answer["service_request_id"], answer["service_notice"]
    else:
        root = xml(response)
        tn = root.findtext("request/service_request_id") or ""
        notice = root.findtext("request/service_notice") or ""
    assert notice
    db.session.expire_all()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == tn)).one()
    assert case.applicant_id == world["alice"].id
    assert case.receiving_office.code == case.competent_office.code == CD_MI
    assert case.status.value == "received"
    assert case.form_data["start_date"] == "2026-11-10"
    assert "status" not in case.form_data
    assert [(a.material_code, a.e_licence_number) for a in case.attachments] == [
        ("id_card", "EL-123456")
    ]
    fetched = as_json(client.get(f"{V2}/requests/{tn}.json", headers=bearer(world["alice_key"])))
    assert fetched[0]["status"] == "open" and fetched[0]["address_id"] == CD_MI


def test_an_office_key_files_for_a_registered_citizen_operated_by_its_clerk(client, world):
    operator = clerk(CD_MI)
    response = client.post(
        f"{V2}/requests.json",
        data={
            "service_code": SERVICE,
            "phone": world["bob"].phone,
            "operator": operator.username,
            **ANSWERS,
        },
        headers=bearer(world["office_key"]),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    tn = as_json(response)[0]["service_request_id"]
    db.session.expire_all()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == tn)).one()
    assert case.applicant_id == world["bob"].id and case.receiving_office.code == CD_MI
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "open311.file")
    ).one()
    assert entry.user_id == operator.id and entry.target == f"case:{tn}"
    assert entry.detail["operator"] == operator.username and entry.detail["scope"] == "office"


def test_accept_here_decide_there_files_with_the_competent_office_attribute(client, world):
    response = client.post(
        f"{V2}/requests.json",
        data={
            "api_key": world["alice_key"],
            "service_code": "hrss-ss-card-replacement",
            "address_id": "500112-hrss",
            "attribute[competent_office]": "510100-hrss",
            "attribute[issuing_region]": "510100",
            "attribute[reason]": "lost",
            "attribute[delivery_method]": "counter",
            "attribute[phone]": "13800000000",
            "attribute[material.id_card]": "EL-123456",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    tn = as_json(response)[0]["service_request_id"]
    db.session.expire_all()
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == tn)).one()
    assert (case.receiving_office.code, case.competent_office.code) == (
        "500112-hrss",
        "510100-hrss",
    )


FILING_ERRORS = [
    # (form without the key, key name, status, a word of the description)
    ({"address_id": CD_MI, **ANSWERS}, "alice_key", 400, "service_code"),
    ({"service_code": "nope", "address_id": CD_MI}, "alice_key", 400, "service_code"),
    ({"service_code": SERVICE, **ANSWERS}, "alice_key", 422, "address_id"),
    (
        {"service_code": SERVICE, "address_id": "no-such-office", **ANSWERS},
        "alice_key",
        422,
        "address_id",
    ),
    ({"service_code": SERVICE, "address_id": CD_MI}, "alice_key", 422, "attribute[filing_type]"),
    (
        {"service_code": SERVICE, "address_id": CD_MI, **ANSWERS, "attribute[filing_type]": "x"},
        "alice_key",
        422,
        "attribute[filing_type]",
    ),
    (
        {
            "service_code": SERVICE,
            "address_id": CD_MI,
            **ANSWERS,
            "attribute[material.id_card]": "<>",
        },
        "alice_key",
        422,
        "attribute[material.id_card]",
    ),
    (
        {"service_code": SERVICE, "address_id": CD_MI, **ANSWERS, "attribute[phone]": "x" * 2001},
        "alice_key",
        400,
        "太长",
    ),
    ({"service_code": SERVICE, "address_id": CD_MI, **ANSWERS}, "supervisor_key", 403, "督办"),
    ({"service_code": SERVICE, "phone": "13700000001", **ANSWERS}, "office_key", 400, "经办人"),
    (
        {"service_code": SERVICE, "phone": "13700000001", "operator": "nobody", **ANSWERS},
        "office_key",
        403,
        "经办人",
    ),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("form", "key", "status", "says"), FILING_ERRORS)
def test_filing_errors(client, world, fmt, form, key, status, says):
    before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    response = client.post(f"{V2}/requests.{fmt}", data=form, headers=bearer(world[key]))
    assert response.status_code == status, response.get_data(as_text=True)
    found = errors_in(response, fmt)
    assert {code for code, _ in found} == {status}
    assert any(says in text for _, text in found), found
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == before


def test_an_office_key_files_only_at_its_office_and_for_registered_citizens(client, world):
    operator = clerk(CD_MI).username
    base = {"service_code": SERVICE, "operator": operator, **ANSWERS}
    elsewhere = client.post(
        f"{V2}/requests.json",
        data={**base, "phone": world["bob"].phone, "address_id": "500112-mi"},
        headers=bearer(world["office_key"]),
    )
    assert elsewhere.status_code == 403
    unknown = client.post(
        f"{V2}/requests.xml",
        data={**base, "phone": "13911112222"},
        headers=bearer(world["office_key"]),
    )
    assert unknown.status_code == 422
    assert any("phone" in text for _, text in errors_in(unknown, "xml"))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_must_be_form_encoded(client, world, fmt):
    response = client.post(
        f"{V2}/requests.{fmt}",
        json={"service_code": SERVICE, "address_id": CD_MI},
        headers=bearer(world["alice_key"]),
    )
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in errors_in(response, fmt)[0][1]


def test_too_many_attributes_is_400(client, world):
    form = {f"attribute[a{i}]": "x" for i in range(101)}
    response = client.post(
        f"{V2}/requests.json",
        data={"service_code": SERVICE, "address_id": CD_MI, **form},
        headers=bearer(world["alice_key"]),
    )
    assert response.status_code == 400


# ---- FixMyStreet's service request updates ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_updates_are_the_timeline(client, world, fmt):
    case = world["mine"]
    mi_clerk = clerk(CD_MI)
    ops.act(case.id, Action.ACCEPT, mi_clerk, NOW + timedelta(minutes=5))
    ops.act(case.id, Action.REFUSE, mi_clerk, NOW + timedelta(minutes=10), reason="不符合条件")

    def updates(key: str) -> list[dict[str, str]]:
        response = client.get(f"{V2}/servicerequestupdates.{fmt}", headers=bearer(key))
        assert response.status_code == 200
        if fmt == "json":
            return as_json(response)  # type: ignore[no-any-return]
        root = xml(response)
        assert root.tag == "service_request_updates"
        return [{c.tag: c.text or "" for c in u} for u in root.findall("request_update")]

    mine = updates(world["alice_key"])
    assert [u["service_request_id"] for u in mine] == [case.tracking_number] * 3
    assert [u["status"] for u in mine] == ["OPEN", "OPEN", "CLOSED"]
    assert [u["updated_datetime"] for u in mine] == [
        "2026-11-02T02:00:00Z",
        "2026-11-02T02:05:00Z",
        "2026-11-02T02:10:00Z",
    ]
    assert len({u["update_id"] for u in mine}) == 3
    assert mine[0]["description"].startswith("提交申请（已接件）")
    assert mine[2]["description"].endswith("：不符合条件")
    assert set(mine[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
    }
    sup = updates(world["supervisor_key"])
    assert [u["update_id"] for u in sup] == [u["update_id"] for u in mine]
    assert "不符合条件" not in sup[2]["description"]
    bob = updates(key_for(TokenScope.CITIZEN, user=world["bob"]))
    assert {u["service_request_id"] for u in bob} == {world["theirs"].tracking_number}


# ---- 429 -----------------------------------------------------------------------------------


@pytest.fixture
def limited_app(template_db, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    path = tmp_path / "limited.sqlite"
    shutil.copy(template_db, path)
    cfg = type(
        "Limited",
        (config_for(f"sqlite:///{path}"),),
        {"RATELIMIT_ENABLED": True, "OPEN311_RATE_LIMIT": "3 per minute"},
    )
    app = create_app(cfg)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_too_many_calls_are_429_per_key(limited_app, fmt):
    client = limited_app.test_client()
    codes = [client.get(f"{V2}/services.{fmt}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get(f"{V2}/services.{fmt}")
    assert response.status_code == 429
    assert errors_in(response, fmt)[0][0] == 429
    assert response.headers.get("Retry-After")
    key = key_for(TokenScope.CITIZEN, user=citizen())
    assert client.get(f"{V2}/requests.{fmt}", headers=bearer(key)).status_code == 200


# ---- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_scopes_filters_updates_and_filing_on_postgresql(pg_app):
    client = pg_app.test_client()
    alice = citizen()
    mine = submit(SERVICE, alice, CD_MI, CD_MI)
    ops.act(mine.id, Action.REJECT, clerk(CD_MI), NOW, reason="不符")
    office_key = key_for(TokenScope.OFFICE, office=office(CD_MI))
    operator = clerk(CD_MI).username
    posted = client.post(
        f"{V2}/requests.xml",
        data={"service_code": SERVICE, "phone": alice.phone, "operator": operator, **ANSWERS},
        headers=bearer(office_key),
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
    new = xml(posted).findtext("request/service_request_id")
    for status, expected in (("open", {new}), ("closed", {mine.tracking_number})):
        listed = as_json(
            client.get(f"{V2}/requests.json?status={status}", headers=bearer(office_key))
        )
        assert {r["service_request_id"] for r in listed} == expected
    other_office = key_for(TokenScope.OFFICE, office=office("500112-mi"))
    assert as_json(client.get(f"{V2}/requests.json", headers=bearer(other_office))) == []
    updates = as_json(client.get(f"{V2}/servicerequestupdates.json", headers=bearer(office_key)))
    assert [(u["service_request_id"], u["status"]) for u in updates] == [
        (mine.tracking_number, "OPEN"),
        (mine.tracking_number, "CLOSED"),
        (new, "OPEN"),
    ]


# ---- the guided pre-check (issue #16 item 2) through Open311 -------------------------------


def test_a_definition_offers_the_pre_check_questions_as_optional_lists(client):
    definition = as_json(client.get(f"{V2}/services/hf-transfer.json"))
    attributes = {a["code"]: a for a in definition["attributes"]}
    sealed = attributes["pc_account_sealed"]
    assert sealed["datatype"] == "singlevaluelist" and sealed["required"] is False
    assert sealed["variable"] is True
    assert [v["key"] for v in sealed["values"]] == ["yes", "no"]
    assert sealed["description"].startswith("情形引导：")
    assert [a["order"] for a in definition["attributes"]] == list(
        range(1, len(definition["attributes"]) + 1)
    )
    english = as_json(
        client.get(f"{V2}/services/hf-transfer.json", headers={"Accept-Language": "en"})
    )
    described = {a["code"]: a["description"] for a in english["attributes"]}
    assert described["pc_left_employer"].startswith("Pre-check: Have you left")


def test_answers_to_the_pre_check_are_sealed_with_the_request_and_decide_the_materials(
    client, world
):
    form = {
        "api_key": world["alice_key"],
        "service_code": SERVICE,
        "address_id": CD_MI,
        **ANSWERS,
        "attribute[filing_type]": "temporary",
        "attribute[pc_filing_type]": "temporary",
        "attribute[pc_paid_already]": "no",
    }
    response = client.post(f"{V2}/requests.json", data=form)
    assert response.status_code == 201, response.get_data(as_text=True)
    [answer] = as_json(response)
    db.session.expire_all()
    case = db.session.scalars(
        sa.select(Case).where(Case.tracking_number == answer["service_request_id"])
    ).one()
    assert case.precheck == {"filing_type": "temporary", "paid_already": "no"}
    assert case.situation_code == "51"
    assert "pc_filing_type" not in case.form_data and "filing_type" in case.form_data


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_pre_check_answer_that_contradicts_the_form_or_is_missing_is_422(client, world, fmt):
    base = {
        "api_key": world["alice_key"],
        "service_code": SERVICE,
        "address_id": CD_MI,
        **ANSWERS,  # filing_type: long_term_residence
    }
    contradicting = {**base, "attribute[pc_filing_type]": "temporary"}
    contradicting["attribute[pc_paid_already]"] = "no"
    response = client.post(f"{V2}/requests.{fmt}", data=contradicting)
    assert response.status_code == 422
    [(code, says)] = errors_in(response, fmt)
    assert code == 422 and says.startswith("attribute[filing_type]: ")

    half = {**base, "attribute[pc_filing_type]": "long_term_residence"}  # one of two answered
    response = client.post(f"{V2}/requests.{fmt}", data=half)
    assert response.status_code == 422
    assert any(d.startswith("attribute[pc_paid_already]: ") for _, d in errors_in(response, fmt))

    unknown = {**base, "attribute[pc_weather]": "sunny"}
    response = client.post(f"{V2}/requests.{fmt}", data=unknown)
    assert response.status_code == 422
    assert any(d.startswith("attribute[pc_weather]: ") for _, d in errors_in(response, fmt))
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2  # none filed


# ---- office fields (issue #16 item 3) ----------------------------------------------------------

HF_TRANSFER = {
    "service_code": "hf-transfer",
    "address_id": "500112-hf",
    "attribute[transfer_out_region]": "510100",
    "attribute[transfer_out_centre]": "510100-hf",
    "attribute[original_employer]": "成都市锦江区某贸易有限公司",
    "attribute[original_account]": "510100123456789",
    "attribute[transfer_in_account]": "500112987654321",
    "attribute[current_employer]": "重庆市渝北区某科技有限公司",
    "attribute[phone]": "13800000000",
    "attribute[material.id_card]": "EL-123456",
}


def test_an_office_field_lists_its_offices_and_takes_a_code(client, world):
    definition = as_json(client.get(f"{V2}/services/hf-transfer.json"))
    centre = next(a for a in definition["attributes"] if a["code"] == "transfer_out_centre")
    assert centre["datatype"] == "singlevaluelist"
    keys = {v["key"] for v in centre["values"]}
    assert {"510100-hf", "500112-hf"} <= keys and not any(k.endswith("-mi") for k in keys)
    filed = client.post(f"{V2}/requests.json", data={"api_key": world["alice_key"], **HF_TRANSFER})
    assert filed.status_code == 201, filed.get_data(as_text=True)
    tn = as_json(filed)[0]["service_request_id"]
    case = db.session.scalars(sa.select(Case).where(Case.tracking_number == tn)).one()
    assert case.form_data["transfer_out_centre"] == "510100-hf"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("value", ["成都住房公积金管理中心", "510100-mi", "500112-hf"])
def test_an_office_field_refuses_text_another_department_and_another_place(
    client, world, fmt, value
):
    before = db.session.scalar(sa.select(sa.func.count(Case.id)))
    refused = client.post(
        f"{V2}/requests.{fmt}",
        data={
            "api_key": world["alice_key"],
            **HF_TRANSFER,
            "attribute[transfer_out_centre]": value,
        },
    )
    assert refused.status_code == 422
    [(code, description)] = errors_in(refused, fmt)
    assert code == 422 and "attribute[transfer_out_centre]" in description
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == before
