"""The supervisor's figure cache (docs/performance.md): figures read from the rollups are kept
by scope, selection, language and the rollups' last change, so a page asked again without a
change is answered from the cache, and a move shows on the very next page.

Also: the badges drawn once per language (``memo``, tracker/web/__init__.py) follow the
page's language."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.builders import NOW, citizen, clerk, login_as, submit, supervisor
from tests.conftest import IsolatedClient, config_for
from tracker import create_app
from tracker.domain.states import CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.services import cases as ops
from tracker.services import dashboard as dash
from tracker.web import wallclock


@pytest.fixture
def cached_app(template_db: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "tracker.sqlite"
    shutil.copy(template_db, path)
    config = type("Cached", (config_for(f"sqlite:///{path}"),), {"CACHE_TYPE": "SimpleCache"})
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rollup figures actually computed (not taken from the cache), by name."""
    calls: list[str] = []
    for name in ("totals", "by_day", "breakdown_parts"):
        real = getattr(dash, name)

        def counting(*args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(dash, name, counting)
    return calls


def received_total(client) -> int:  # type: ignore[no-untyped-def]
    """The 合计 of the dashboard's daily table, received column (its CSV, same figures)."""
    body = client.get("/supervisor/?format=csv&table=daily").get_data(as_text=True)
    total = next(line for line in body.splitlines() if line.startswith("合计"))
    return int(total.split(",")[1])


def test_a_page_asked_again_is_served_from_the_cache_and_a_move_shows_at_once(cached_app, computed):
    applicant = citizen()
    submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf")
    client = cached_app.test_client()
    login_as(client, supervisor("510000"))

    assert received_total(client) == 1
    assert sorted(computed) == ["breakdown_parts", "by_day", "totals"]
    computed.clear()
    assert received_total(client) == 1
    assert client.get("/supervisor/").status_code == 200
    assert computed == []  # nothing changed: every rollup figure came from the cache

    # A new case is a new event: the next page counts it, without waiting for any timeout.
    case = submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf")
    assert received_total(client) == 2
    assert sorted(computed) == ["breakdown_parts", "by_day", "totals"]
    # So is a move on an existing case (acceptance).
    page = client.get("/supervisor/").get_data(as_text=True)
    ops.act(case.id, Action.ACCEPT, clerk("510100-hf"), NOW)
    assert db.session.get(type(case), case.id).status is CaseStatus.ACCEPTED
    assert client.get("/supervisor/").get_data(as_text=True) != page


def test_figures_are_kept_apart_by_scope_and_filters(cached_app):
    applicant = citizen()
    submit("hf-retirement-withdrawal", applicant, "510100-hf", "510100-hf")
    sichuan, chongqing = cached_app.test_client(), cached_app.test_client()
    login_as(sichuan, supervisor("510000"))
    login_as(chongqing, supervisor("500000"))
    assert received_total(sichuan) == 1
    assert received_total(chongqing) == 0  # the same selection in another scope: not shared
    assert received_total(sichuan) == 1
    narrowed = sichuan.get(
        "/supervisor/?format=csv&table=daily&from=2026-10-01&to=2026-10-31"
    ).get_data(as_text=True)
    total = next(line for line in narrowed.splitlines() if line.startswith("合计"))
    assert int(total.split(",")[1]) == 0  # another range: another key


def test_the_cached_chart_follows_the_language(cached_app):
    submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    client = cached_app.test_client()
    login_as(client, supervisor("510000"))
    zh = client.get("/supervisor/?lang=zh").get_data(as_text=True)
    en = client.get("/supervisor/?lang=en").get_data(as_text=True)
    assert "每日收件与办结" in zh and "每日收件与办结" not in en
    assert "每日收件与办结" not in client.get("/supervisor/?lang=en").get_data(as_text=True)
    assert "每日收件与办结" in client.get("/supervisor/?lang=zh").get_data(as_text=True)


def test_the_rollup_version_moves_with_every_event(app):
    before = dash.rollup_version()
    submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    assert dash.rollup_version() != before


def test_the_rollup_version_moves_with_every_commit_on_postgresql(pg_app):
    before = dash.rollup_version()
    submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    after = dash.rollup_version()
    assert after != before and "@" in after  # the transaction snapshot is part of it


def test_badges_drawn_once_follow_the_page_language(app):
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    client = app.test_client()
    login_as(client, clerk("510100-hf"))
    for _ in range(2):  # the second round is drawn from the memo
        zh = client.get("/clerk/?lang=zh").get_data(as_text=True)
        en = client.get("/clerk/?lang=en").get_data(as_text=True)
        assert case.tracking_number in zh and case.tracking_number in en
        assert CaseStatus.RECEIVED.label_zh in zh and CaseStatus.RECEIVED.label_en in en
        assert 'class="badge badge-status status-received"' in en
        assert "个工作日" in zh and "个工作日" not in en


def test_working_days_between_is_the_same_from_the_cache() -> None:
    from datetime import date, timedelta

    from tracker.domain.calendar import WorkingCalendar

    cached = WorkingCalendar()
    start = date(2026, 1, 1)
    for offset in range(0, 300, 7):
        end = start + timedelta(days=offset)
        first = cached.working_days_between(start, end)
        fresh = WorkingCalendar().working_days_between(start, end)
        assert first == fresh == cached.working_days_between(start, end)
