"""The catalogue as a person sees it in Chromium: Chinese first, searchable, no console errors."""

from __future__ import annotations


def test_home_search_and_service_page(page):
    page.goto(page.base + "/")
    assert page.title().endswith("通办")
    assert page.get_by_role("heading", name="住房公积金 3 项").is_visible()
    page.get_by_label("搜索办事事项").fill("户口")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/services?q=*")
    page.get_by_role("link", name="户口迁移").first.click()
    page.wait_for_url("**/services/psb-household-transfer")
    assert page.get_by_role("heading", name="户口迁移", level=1).is_visible()
    assert page.get_by_text("居民户口簿").first.is_visible()
    page.get_by_text("四川省").first.click()  # opens the offices list
    assert page.get_by_text("成都市公安局").first.is_visible()
    assert page.problems == []


def test_language_switch_and_phone_width(page):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(page.base + "/services/hf-transfer")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"
    # The switch is a form with a button per language (a POST); it comes back to this page.
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Cross-province housing-fund transfer").is_visible()
    assert page.url == page.base + "/services/hf-transfer"
    page.get_by_role("button", name="中文").click()
    assert page.get_by_role("heading", name="住房公积金异地转移接续").is_visible()
    assert page.problems == []
