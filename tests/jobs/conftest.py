"""Helpers for tests that run real worker processes: a database file of their own (a copy of
the migrated template), the queue's storage, and ``flask --app wsgi tracker …`` children."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from config import TestingConfig
from tests.conftest import IN_CI
from tracker import create_app
from tracker.extensions import db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Stack:
    """A database and a queue shared by the test's app and its child processes."""

    db_path: Path
    jobs_url: str
    name: str
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def app(self) -> Flask:
        cfg = type(
            "Cfg",
            (TestingConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.db_path}",
                "JOBS_URL": self.jobs_url,
                "JOBS_NAME": self.name,
            },
        )
        return create_app(cfg)

    def start(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with (self.logs / log).open("ab") as out:  # the child keeps its own copy
            proc = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
                [sys.executable, "-m", "flask", "--app", "wsgi", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.children.append(proc)
        return proc

    def worker(self, log: str = "worker.log", *extra: str) -> subprocess.Popen[bytes]:
        return self.start("tracker", "worker", "--workers", "2", *extra, log=log)

    def log(self, name: str = "worker.log") -> str:
        path = self.logs / name
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _stack(template_db: Path, tmp_path: Path, jobs_url: str, name: str) -> Stack:
    db_path = tmp_path / "tracker.sqlite"
    shutil.copy(template_db, db_path)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "JOBS_", "WEBHOOK_", "DATABASE_URL", "TRACKER_"))
    }
    env.update(
        TRACKER_CONFIG="development",
        DATABASE_URL=f"sqlite:///{db_path}",
        JOBS_URL=jobs_url,
        JOBS_NAME=name,
        WEBHOOK_ALLOW_PRIVATE="1",
        WEBHOOK_TIMEOUT_SECONDS="5",
        WEBHOOK_CLAIM_SECONDS="8",
        PYTHONUNBUFFERED="1",
    )
    return Stack(db_path, jobs_url, name, tmp_path, env)


@pytest.fixture
def sqlite_stack(template_db: Path, tmp_path: Path) -> Iterator[Stack]:
    stack = _stack(template_db, tmp_path, f"sqlite:///{tmp_path / 'jobs.sqlite'}", "tongban-test")
    try:
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture
def redis_stack(template_db: Path, tmp_path: Path) -> Iterator[Stack]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable at {REDIS_URL} under CI=true: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL} (the test runs under CI=true)")
    name = f"tongban-test-{uuid.uuid4().hex[:10]}"  # a namespace of its own
    stack = _stack(template_db, tmp_path, REDIS_URL, name)
    try:
        yield stack
    finally:
        stack.stop_all()
        from tracker.jobs import make_huey

        make_huey(REDIS_URL, name, str(tmp_path)).storage.flush_all()


@pytest.fixture
def stack_app(request: pytest.FixtureRequest) -> Iterator[tuple[Stack, Flask]]:
    stack: Stack = request.getfixturevalue(request.param)
    app = stack.app()
    with app.app_context():
        yield stack, app
        db.session.remove()
        db.engine.dispose()
