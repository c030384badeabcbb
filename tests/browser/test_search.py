"""A citizen finds the housing-fund transfer the way people ask (issue #16), in Chromium."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("query", ["公积金转移", "gjj"])
def test_a_citizen_finds_the_housing_fund_transfer(page, query):
    page.goto(page.base + "/services")
    page.get_by_label("按关键词搜索事项").fill(query)
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/services?q=*")
    results = page.locator(".search-results > li")
    assert results.count() >= 1
    titles = [
        t.strip() for t in page.locator(".search-results .service-card-title").all_inner_texts()
    ]
    assert "住房公积金异地转移接续" in titles
    if query == "公积金转移":
        assert titles[0] == "住房公积金异地转移接续"
    marks = page.locator(".search-results mark")
    assert marks.first.is_visible() and "公积金" in marks.all_inner_texts()
    page.get_by_role("link", name="住房公积金异地转移接续").click()
    page.wait_for_url("**/services/hf-transfer")
    assert page.get_by_role("heading", name="住房公积金异地转移接续", level=1).is_visible()
    assert page.problems == []


def test_search_on_a_phone_and_nothing_found(page):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(page.base + "/services?q=医保备案")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    first = page.locator(".search-results .service-card-title").first
    assert first.inner_text().strip() == "异地就医登记备案"
    page.goto(page.base + "/services?q=护照")
    assert page.get_by_text("未找到与“护照”相关的事项").is_visible()
    page.get_by_role("link", name="公积金转移").click()
    page.wait_for_url("**/services?q=*")
    assert page.locator(".search-results .service-card-title").first.inner_text().strip() == (
        "住房公积金异地转移接续"
    )
    assert page.problems == []


def test_the_apply_page_suggests_the_applicants_office_and_filters_the_list(page, app):
    from tests.builders import PASSWORD, citizen

    applicant = citizen(home="500112")
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(applicant.phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    answers = "pc_left_employer=yes&pc_account_sealed=yes&pc_account_opened=yes"  # pre-check
    page.goto(page.base + "/services/hf-transfer/apply?" + answers)
    competent = page.locator("#competent")
    assert competent.evaluate("s => s.options[s.selectedIndex].text") == "重庆市住房公积金管理中心"
    assert page.locator("input[name=phone]").input_value() == applicant.phone
    page.locator("#competent-filter").fill("成都")
    assert competent.evaluate("s => s.options[s.selectedIndex].text") == "成都住房公积金管理中心"
    shown = competent.evaluate("s => [...s.options].filter(o => o.value && !o.hidden).length")
    assert shown == 1
    page.locator("#competent-filter").fill("")
    assert competent.evaluate("s => [...s.options].filter(o => !o.hidden).length") > 50
    assert page.problems == []
