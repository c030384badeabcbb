"""Per-token rate limits (Flask-Limiter): ``RateLimit-*`` headers, 429 as problem details,
one token's use never spends another's allowance; in memory by default and in Redis when
``RATELIMIT_STORAGE_URI`` names it (run under CI=true, with a key prefix of its own)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import bearer, token_for
from tests.builders import citizen
from tests.conftest import IN_CI, config_for
from tracker import create_app
from tracker.extensions import db

REDIS_URL = "redis://127.0.0.1:6379/0"


def _limited(template_db: Any, tmp_path: Any, **settings: Any) -> Iterator[Flask]:
    path = tmp_path / "limited.sqlite"
    shutil.copy(template_db, path)
    cfg = type(
        "Limited",
        (config_for(f"sqlite:///{path}"),),
        {
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3 per minute",
            # a moving window: four requests never straddle a fixed window's reset
            "RATELIMIT_STRATEGY": "moving-window",
            **settings,
        },
    )
    app = create_app(cfg)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _spend_and_check(app: Flask) -> None:
    client = app.test_client()
    first, second = token_for(user=citizen()), token_for(user=citizen())
    answers = [client.get("/api/v1/services", headers=bearer(first)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert 0 <= int(answers[0].headers["RateLimit-Reset"]) <= 60
    assert answers[0].headers["RateLimit-Policy"] == "3;w=60"
    refused = answers[3]
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["status"] == 429 and refused.headers.get("Retry-After")
    assert client.get("/api/v1/services", headers=bearer(second)).status_code == 200


@pytest.fixture
def memory_app(template_db, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    yield from _limited(template_db, tmp_path, RATELIMIT_STORAGE_URI="memory://")


def test_each_token_has_its_own_allowance_in_memory(memory_app):
    _spend_and_check(memory_app)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable at {REDIS_URL} under CI=true: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}; runs under CI=true")
    prefix = f"tongban-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def test_limits_are_kept_in_redis_when_configured(template_db, tmp_path, redis_prefix):
    import redis

    for app in _limited(
        template_db,
        tmp_path,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=redis_prefix,
    ):
        _spend_and_check(app)
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*"))
    assert keys, "no rate-limit counter was written to Redis under the test's prefix"
