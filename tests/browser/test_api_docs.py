"""The API reference page in Chromium: Swagger UI from vendored files draws every endpoint of
the OpenAPI document, with the app's CSP in force and no console error or CSP violation."""

from __future__ import annotations

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_the_reference_page_draws_the_document_under_the_csp(page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(page.base + "/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {
        "/api/v1/services",
        "/api/v1/cases",
        "/api/v1/cases/{tracking_number}/actions",
        "/api/v1/offices/{code}/queue",
        "/api/v1/stats/daily",
    } <= {p.replace("\u200b", "") for p in paths}
    assert page.locator("text=Tongban API").count() >= 1
    assert all(u.startswith(page.base) for u in requests), [
        u for u in requests if not u.startswith(page.base)
    ]
    assert page.problems == []
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs.png"))
