"""A Sichuan supervisor's morning in Chromium: the dashboard with its chart and tables, a
drill-down region → office → overdue and late cases, a CSV download, and one bad rating's
rectification moved a stage along with a note."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import PASSWORD, clerk, supervisor
from tests.conftest import seeded_copy
from tracker.extensions import db
from tracker.models import Office, Rectification
from tracker.services import rectification
from tracker.web import wallclock

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=120, seed=5)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)


def log_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_dashboard_drill_down_and_csv_download(page, app, tmp_path: Path):
    sup = supervisor("510000")
    log_in(page, sup.username)
    page.goto(page.base + "/supervisor/")
    assert page.get_by_role("heading", name="办件总览").is_visible()
    # The chart is drawn (bars for received and completed) with its table beside it.
    chart = page.locator("svg.sv-chart").first
    assert chart.is_visible()
    assert chart.locator("rect[fill='#1a56a8']").count() > 5
    assert chart.locator("rect[fill^='url(#']").count() > 5
    assert page.locator("#t-daily tbody tr").count() == 30
    assert page.get_by_role("img", name="四川省每日收件与办结").is_visible()
    received = page.locator(".sv-card").filter(has_text="收件").first.locator(".sv-card-value")
    assert int(received.inner_text()) > 0

    # CSV of the breakdown table, downloaded by the browser.
    with page.expect_download() as info:
        page.locator("#breakdown-title").locator("xpath=..").locator("..").get_by_role(
            "link", name="下载 CSV"
        ).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    assert "分地区办件情况" in download.suggested_filename
    saved = tmp_path / "by_region.csv"
    download.save_as(saved)
    text = saved.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    assert "成都市" in text.decode("utf-8")

    # Drill down: the region (Chengdu), then its housing-fund centre.
    page.locator("#t-by_region").get_by_role("link", name="成都市").click()
    page.wait_for_url("**/supervisor/regions/510100**")
    assert page.get_by_role("heading", name="成都市", exact=True).is_visible()
    page.locator("#t-by_region").get_by_role("link", name="成都住房公积金管理中心").click()
    page.wait_for_url("**/supervisor/offices/**")
    assert page.get_by_role("heading", name="成都住房公积金管理中心", exact=True).is_visible()
    assert page.get_by_role("heading", name="当前逾期办件").is_visible()
    assert page.locator("#t-overdue tbody tr").count() > 0
    assert page.get_by_role("heading", name="区间内超期办结的办件").is_visible()
    crumbs = page.get_by_role("navigation", name="当前位置")
    assert crumbs.get_by_role("link", name="成都市").is_visible()
    assert page.problems == [], page.problems


def test_rectification_moves_one_stage_with_a_note(page, app):
    db.session.rollback()
    item = next(
        r
        for r in db.session.scalars(sa.select(Rectification).order_by(Rectification.id))
        if db.session.get(Office, r.office_id).region_code.startswith("51")
    )
    # 核实, 整改 and 反馈 are the rated office's (tests/browser/test_case_end.py clicks them)
    office_clerk = clerk(db.session.get(Office, item.office_id).code)
    for stage in ("verify", "rectify", "reply"):
        rectification.advance(item.id, office_clerk, "本部门已处理完毕", NOW, expected_stage=stage)
    sup = supervisor("510000")
    log_in(page, sup.username)
    page.goto(page.base + "/supervisor/ratings")
    assert page.get_by_role("heading", name="差评整改（未办结）").is_visible()
    page.locator(f"a[href^='/supervisor/rectifications/{item.id}?']").click()
    page.wait_for_url(f"**/supervisor/rectifications/{item.id}**")
    assert page.locator(".sv-steps [aria-current=step]").inner_text().strip() == "回访"

    page.get_by_role("button", name="保存并进入“复核”").click()  # empty: the browser asks first
    assert page.url.split("?")[0].endswith(f"/rectifications/{item.id}")
    page.get_by_label("本阶段做了什么").fill("已电话回访：申请人认可整改")
    page.get_by_role("button", name="保存并进入“复核”").click()
    page.wait_for_load_state()
    assert page.get_by_text("整改事项进入“复核”阶段").is_visible()
    assert page.locator(".sv-steps [aria-current=step]").inner_text().strip() == "复核"
    history = page.locator(".sv-history")
    assert history.get_by_text("已电话回访：申请人认可整改").is_visible()
    assert history.get_by_text(sup.username).is_visible()
    db.session.rollback()
    fresh = db.session.get(Rectification, item.id)
    assert fresh is not None and fresh.stage == "review" and len(fresh.history) == 4
    assert page.problems == [], page.problems
