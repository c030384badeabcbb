"""A real Open311 client against a real HTTP server: ``georeport`` (PyPI, the maintained
Python 3 GeoReport v2 client) lists services, reads a definition, lists and fetches requests
in JSON and XML; a request is posted with ``requests`` exactly as the GeoReport v2 spec says
(form-encoded, ``api_key`` in the body), since georeport has no POST.

The app runs in a werkzeug server thread on 127.0.0.1 and a free port, on the test database.
georeport sends no ``api_key`` on GETs: the key travels as the password of HTTP Basic auth in
the root address (``http://open311:<key>@host/open311/v2``), as a stock client's URL can.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from flask import Flask
from georeport import GeoReport
from werkzeug.serving import make_server

from tests.builders import NOW, citizen, clerk, submit
from tracker.domain.workflow import Action
from tracker.services import cases as ops
from tracker.services.api_tokens import TokenScope, create_token
from tracker.web import wallclock

SERVICE = "mi-offsite-registration"


@pytest.fixture
def server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(wallclock, "now", lambda: NOW + timedelta(hours=1))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_lists_reads_and_fetches_and_a_spec_post_files(server, fmt):
    alice = citizen()
    earlier = submit(SERVICE, alice, "510100-mi", "510100-mi")
    ops.act(earlier.id, Action.REJECT, clerk("510100-mi"), NOW, reason="重复申请")
    key = create_token(
        name="georeport", scope=TokenScope.CITIZEN, now=NOW, created_by="test", user=alice
    ).secret
    root = f"http://open311:{key}@{server}/open311/v2"
    client = GeoReport(root, output_format=fmt)

    services = client.get_service_list()
    assert SERVICE in [s["service_code"] for s in services]
    definition = client.get_service_definition(SERVICE)
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    codes = [a["code"] for a in attributes]
    assert {"filing_type", "start_date", "phone", "material.id_card"} <= set(codes)

    # POST Service Request, as the spec describes it: form-encoded, the key in the body.
    posted = requests.post(
        f"http://{server}/open311/v2/requests.{fmt}",
        data={
            "api_key": key,
            "service_code": SERVICE,
            "address_id": "510100-mi",
            "attribute[insured_region]": "510100",
            "attribute[treatment_region]": "500112",
            "attribute[filing_type]": "long_term_residence",
            "attribute[start_date]": "2026-11-10",
            "attribute[phone]": "13800000000",
            "attribute[material.id_card]": "EL-123456",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    assert posted.headers["Content-Type"].startswith(
        "text/xml" if fmt == "xml" else "application/json"
    )
    if fmt == "json":
        new_id = posted.json()[0]["service_request_id"]
    else:
        import xmltodict

        new_id = xmltodict.parse(posted.content)["service_requests"]["request"][
            "service_request_id"
        ]

    listed = client.get_service_requests()
    if isinstance(listed, dict):  # xmltodict: one element is a dict, several a list
        listed = [listed]
    by_id = {r["service_request_id"]: r for r in listed}
    assert set(by_id) == {new_id, earlier.tracking_number}
    assert by_id[earlier.tracking_number]["status"] == "closed"
    assert by_id[earlier.tracking_number]["status_notes"] == "不予受理：重复申请"
    assert by_id[new_id]["status"] == "open"

    closed = client.get_service_requests(status="closed")
    closed = [closed] if isinstance(closed, dict) else closed
    assert [r["service_request_id"] for r in closed] == [earlier.tracking_number]

    fetched = client.get_service_request(new_id)
    assert fetched["service_request_id"] == new_id
    assert fetched["address_id"] == "510100-mi"
    assert fetched["agency_responsible"] == "成都市医疗保障事务服务中心"
    assert fetched["requested_datetime"] == "2026-11-02T03:00:00Z"


def test_without_the_key_georeport_gets_the_catalogue_but_no_requests(server):
    client = GeoReport(f"http://{server}/open311/v2")
    assert client.get_service_list()
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests()
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()[0]["code"] == 401
