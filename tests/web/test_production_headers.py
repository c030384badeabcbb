"""What a production-configured app sends that a development one does not (SECURITY.md catalogue
row 18; issue 13 items 6 and 8): HSTS on every response, and cookies marked Secure.

The app is built from ``ProductionConfig`` itself (a subclass only points it at a copy of the
migrated test database), with ``SECRET_KEY`` in the environment as production requires.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from config import ProductionConfig
from tracker import create_app
from tracker.extensions import db

ONE_YEAR = 365 * 86400
PAGES = ("/", "/login", "/healthz", "/no-such-page", "/static/no-such-file.css")


@pytest.fixture
def production_app(
    template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    """``production_app(HSTS_SECONDS=0, …)``: a ProductionConfig app with these settings."""
    secret = "production-test-secret-key-0123456789"  # noqa: S105 (a test's key)
    monkeypatch.setenv("SECRET_KEY", secret)
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        path = tmp_path / f"prod{len(made)}.sqlite"
        shutil.copy(template_db, path)
        attrs = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": secret,
            "RATELIMIT_ENABLED": False,
            **settings,
        }
        app = create_app(type("Prod", (ProductionConfig,), attrs))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_production_sends_hsts_on_every_response(production_app):  # type: ignore[no-untyped-def]
    app = production_app()
    assert app.config.get("HSTS_SECONDS") == ONE_YEAR
    client = app.test_client()
    for path in PAGES:
        response = client.get(path)
        assert response.headers.get("Strict-Transport-Security") == (
            f"max-age={ONE_YEAR}; includeSubDomains"
        ), path
        response.close()
    response = client.post("/healthz")  # 405 too
    assert response.status_code == 405
    assert "Strict-Transport-Security" in response.headers


def test_hsts_can_be_left_to_the_proxy(production_app):  # type: ignore[no-untyped-def]
    client = production_app(HSTS_SECONDS=0).test_client()
    for path in PAGES:
        response = client.get(path)
        assert "Strict-Transport-Security" not in response.headers, path
        response.close()


def test_development_and_testing_send_no_hsts(app, template_db, tmp_path):  # type: ignore[no-untyped-def]
    from config import DevelopmentConfig

    path = tmp_path / "dev.sqlite"
    shutil.copy(template_db, path)
    dev = create_app(
        type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    )
    for each in (app, dev):  # (``app`` is the testing config's)
        assert not each.config.get("HSTS_SECONDS")
        response = each.test_client().get("/")
        assert "Strict-Transport-Security" not in response.headers
    with dev.app_context():
        db.engine.dispose()


def _lang_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return str(cookies[0])


def test_the_language_cookie_is_secure_in_production(production_app):  # type: ignore[no-untyped-def]
    client = production_app().test_client()
    for path in ("/", "/login", "/no-such-page"):
        cookie = _lang_cookie(client.get(path, query_string={"lang": "en"}))
        assert cookie.startswith("lang=en;")
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie


def test_the_language_cookie_works_over_plain_http_in_development(app):  # type: ignore[no-untyped-def]
    cookie = _lang_cookie(app.test_client().get("/", query_string={"lang": "en"}))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "secure" not in flags and {"httponly", "samesite=lax"} <= flags, cookie
