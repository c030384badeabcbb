"""Fixtures: ``app`` (SQLite copied from a migrated, catalogue-loaded template), ``pg_app``
(a PostgreSQL database of its own, created and dropped per test module), ``client``."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from tracker import create_app
from tracker.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (its own ``g`` and database session), as in a
    real server, even while the test holds an app context open for its own database work."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from flask.globals import _cv_app

        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            db.session.rollback()  # the test's own session must not keep an old snapshot


def config_for(url: str) -> type[TestingConfig]:
    return type("Cfg", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})


def prepare(app: Flask) -> None:
    """Migrate (the real migrations, not create_all) and load the real catalogue."""
    import flask_migrate

    from tracker.services.catalogue import load_catalogue

    with app.app_context():
        flask_migrate.upgrade()
        load_catalogue()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tracker.sqlite"
    prepare(create_app(config_for(f"sqlite:///{path}")))
    return path


def seeded_copy(
    template_db: Path, factory: pytest.TempPathFactory, *, today: object, cases: int, seed: int
) -> Path:
    """A copy of the template with demo data made through the services (for modules that
    only read: seed once per module, copy per test)."""
    from tracker.services.demo import seed_demo

    path = factory.mktemp("seeded") / "tracker.sqlite"
    shutil.copy(template_db, path)
    app = create_app(config_for(f"sqlite:///{path}"))
    with app.app_context():
        seed_demo(today=today, cases=cases, seed=seed)  # type: ignore[arg-type]
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def app(template_db: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "tracker.sqlite"
    shutil.copy(template_db, path)
    app = create_app(config_for(f"sqlite:///{path}"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


def _pg_admin():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL} under CI=true: {exc}")
        pytest.skip(
            f"PostgreSQL unreachable at {PG_ADMIN_URL}; PostgreSQL tests skipped "
            "(they run under CI=true)"
        )
    return engine


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database with the catalogue; dropped afterwards."""
    import sqlalchemy as sa

    admin = _pg_admin()
    name = f"tongban_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        prepare(create_app(config_for(url)))
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[Flask]:
    app = create_app(config_for(pg_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of its own (15, flushed before and after); under CI=true
    Redis must be reachable, elsewhere the test is skipped and says why."""
    import redis

    url = f"{REDIS_URL}/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable at {REDIS_URL} under CI=true: {exc}")
        pytest.skip(
            f"Redis unreachable at {REDIS_URL}; Redis tests skipped (they run under CI=true)"
        )
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def pytest_report_header(config: pytest.Config) -> str:
    return f"CI={'true' if IN_CI else 'false'}: PostgreSQL tests {'must run' if IN_CI else 'skip when unreachable'}"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile each ``tracker/translations/*/LC_MESSAGES/messages.po`` whose ``.mo`` is missing
    or older (the ``.mo`` is not committed; ``make`` does the same), so ``pytest`` alone works
    on a fresh clone. Written to a temporary file first, then moved into place."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    translations = Path(__file__).resolve().parent.parent / "tracker" / "translations"
    for po in sorted(translations.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        os.replace(partial, mo)
