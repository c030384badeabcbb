"""Issue #10, "Done when": an Open311 client files a case at a service-hall counter, a
back-office script with the office's token works it through ``/api/v1`` to completion, the
office's webhook receiver gets every event signed and in order (delivered by the same job the
worker runs), and the applicant sees it all in the portal.

Everything crosses real HTTP: the app runs in a werkzeug server thread on 127.0.0.1, the
receiver is a second HTTP server, and the clients are ``georeport`` (PyPI), ``requests`` and
``standardwebhooks`` (PyPI), as an outside system would use them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from flask import Flask
from georeport import GeoReport
from standardwebhooks.webhooks import Webhook
from werkzeug.serving import make_server

from tests.builders import NOW, citizen, clerk, login_as, office
from tests.webhook_receiver import receiver
from tracker.services import webhooks
from tracker.services.api_tokens import TokenScope, create_token
from tracker.web import wallclock

SERVICE = "mi-offsite-registration"
OFFICE = "510100-mi"


class Clock:
    def __init__(self) -> None:
        self.now = NOW + timedelta(hours=1)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(wallclock, "now", lambda: c.now)
    return c


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_open311_files_the_api_works_webhooks_follow_and_the_applicant_sees_it(app, server, clock):
    applicant = citizen()  # registered (实名注册) with a phone number
    operator = clerk(OFFICE)
    counter = create_token(
        name="成都医保柜台",
        scope=TokenScope.OFFICE,
        now=NOW,
        created_by="test",
        office=office(OFFICE),
    ).secret
    app.config.update(WEBHOOK_ALLOW_PRIVATE=True)

    with receiver() as hook:
        _, secret = webhooks.register_endpoint(
            office(OFFICE).id,
            hook.url,
            [],  # every event
            created_by=operator,
            created_by_name=operator.username,
            now=NOW,
            policy=webhooks.Policy(allow_private=True),
        )

        # 1. The counter's Open311 client reads the catalogue and files for the applicant.
        o311 = GeoReport(server.replace("http://", f"http://open311:{counter}@") + "/open311/v2")
        assert SERVICE in [s["service_code"] for s in o311.get_service_list()]
        definition = o311.get_service_definition(SERVICE)
        required = {a["code"] for a in definition["attributes"] if a["required"]}
        answers = {
            "insured_region": "510100",
            "treatment_region": "500112",
            "filing_type": "long_term_residence",
            "start_date": "2026-11-10",
            "phone": "13800000000",
            "material.id_card": "EL-123456",
        }
        assert required <= set(answers)
        filed = requests.post(
            f"{server}/open311/v2/requests.json",
            data={
                "api_key": counter,
                "service_code": SERVICE,
                "address_id": OFFICE,
                "phone": applicant.phone,
                "operator": operator.username,
                **{f"attribute[{k}]": v for k, v in answers.items()},
            },
            timeout=10,
        )
        assert filed.status_code == 201, filed.text
        number = filed.json()[0]["service_request_id"]
        listed = o311.get_service_requests(service_request_id=number)
        assert [r["status"] for r in listed] == ["open"]

        # 2. The back office works it through the JSON API, offered move by offered move.
        api = requests.Session()
        api.headers.update(
            {"Authorization": f"Bearer {counter}", "Tongban-Operator": operator.username}
        )
        done = []
        for wanted in ("accept", "start_processing", "approve", "deliver"):
            clock.advance(minutes=30)
            case = api.get(f"{server}/api/v1/cases/{number}", timeout=10)
            assert case.status_code == 200, case.text
            body = case.json()
            offered = [a if isinstance(a, str) else a["action"] for a in body["actions"]]
            if wanted not in offered:
                assert wanted in ("start_processing", "deliver"), (wanted, offered)
                continue
            move = {"action": wanted, "version": body["version"]}
            if wanted == "deliver":
                move["delivery_method"] = "online"
            moved = api.post(f"{server}/api/v1/cases/{number}/actions", json=move, timeout=10)
            assert moved.status_code == 200, moved.text
            done.append(wanted)
            stale = api.post(f"{server}/api/v1/cases/{number}/actions", json=move, timeout=10)
            assert stale.status_code in (409, 422), stale.text  # a replayed move changes nothing
        assert {"accept", "approve"} <= set(done)
        final = api.get(f"{server}/api/v1/cases/{number}", timeout=10).json()
        assert final["status"]["code"] == 11  # 办结（通过）

        # 3. The delivery job (the worker's) sends every event; the receiver verifies each.
        from tracker.jobs import run_webhooks

        with app.app_context():  # as the worker runs a job: an app context of its own
            report = run_webhooks()
        assert report.startswith(f"webhooks: {len(done) + 1} delivered"), report
        heard = []
        for got in hook.requests:
            assert got.answered == 200
            verified = Webhook(secret).verify(got.body, got.headers)
            heard.append(verified)
        assert [h["type"] for h in heard] == ["case.submit", *(f"case.{a}" for a in done)]
        assert len({r.headers["webhook-id"] for r in hook.requests}) == len(hook.requests)
        versions = [h["data"]["version"] for h in heard]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)
        assert all(h["data"]["tracking_number"] == number for h in heard)
        assert all(applicant.resident_id not in json.dumps(h) for h in heard)

        # Open311 says closed now, with the label in status_notes.
        closed = o311.get_service_request(number)
        assert closed["status"] == "closed" and "办结（通过）" in closed["status_notes"]

    # 4. The applicant sees the case, its end and its history in the portal.
    portal = app.test_client()
    login_as(portal, applicant)
    page = portal.get(f"/cases/{number}").get_data(as_text=True)
    assert "办结（通过）" in page and "受理" in page
    assert number in portal.get("/cases").get_data(as_text=True)
