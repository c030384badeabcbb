"""The catalogue search on /services and GET /api/v1/services?q= (issue #16 item 1)."""

from __future__ import annotations

import re

from tests.api.conftest import bearer, token_for
from tests.builders import citizen


def _cards(html: str) -> list[str]:
    """The result titles in page order, marks removed."""
    titles = re.findall(r'class="service-card-title">\s*<a href="/services/([^"]+)"', html)
    return titles


def test_the_page_ranks_and_marks(client):
    html = client.get("/services?q=公积金转移").get_data(as_text=True)
    assert _cards(html)[0] == "hf-transfer"
    assert "住房<mark>公积金</mark>异地<mark>转移</mark>接续" in html
    assert "按与您输入内容的相关程度排序" in html
    html = client.get("/services?q=gjj").get_data(as_text=True)
    assert "hf-transfer" in _cards(html)
    assert set(_cards(html)) == {"hf-transfer", "hf-loan-certificate", "hf-retirement-withdrawal"}


def test_an_alias_that_matched_is_shown(client):
    html = client.get("/services?q=医保备案").get_data(as_text=True)
    assert _cards(html)[0] == "mi-offsite-registration"
    assert "也称：" in html and "<mark>医保备案</mark>" in html


def test_everything_typed_is_escaped(client):
    html = client.get("/services?q=<script>alert(1)</script>公积金").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公积金" in html
    assert _cards(html)  # the Chinese part still finds the housing-fund services


def test_nothing_found_says_what_to_try(client):
    html = client.get("/services?q=护照").get_data(as_text=True)
    assert _cards(html) == []
    assert "未找到与“护照”相关的事项" in html
    assert "/services?q=%E5%85%AC%E7%A7%AF%E9%87%91%E8%BD%AC%E7%A7%BB" in html  # 公积金转移
    assert "gjj" in html and "12345" in html


def test_the_page_in_english(client):
    client.set_cookie("lang", "en")
    html = client.get("/services?q=housing fund transfer&lang=en").get_data(as_text=True)
    assert _cards(html)[0] == "hf-transfer"
    assert "Cross-province <mark>housing</mark>" in html or "<mark>housing</mark>" in html.lower()
    assert "按与您输入内容的相关程度排序" not in html
    html = client.get("/services?q=xyzzy&lang=en").get_data(as_text=True)
    assert "pinyin" in html and "未找到" not in html


def test_without_a_query_the_catalogue_is_grouped_as_before(client):
    html = client.get("/services").get_data(as_text=True)
    assert "按部门浏览" in html and "<mark>" not in html


def test_the_api_searches_too(app, client):
    secret = token_for(user=citizen())
    everything = client.get("/api/v1/services", headers=bearer(secret)).get_json()["services"]
    assert len(everything) >= 12 and all(s.get("match") is None for s in everything)
    found = client.get("/api/v1/services?q=公积金转移", headers=bearer(secret)).get_json()
    first = found["services"][0]
    assert first["code"] == "hf-transfer" and first["match"]["rank"] == 1
    assert "公积金" in first["match"]["words"]
    assert first["match"]["name_zh_marked"] == "住房<mark>公积金</mark>异地<mark>转移</mark>接续"
    found = client.get("/api/v1/services?q=gjj&lang=en", headers=bearer(secret)).get_json()
    assert {s["code"] for s in found["services"]} >= {"hf-transfer"}
    none = client.get("/api/v1/services?q=护照", headers=bearer(secret)).get_json()
    assert none == {"services": []}
    too_long = client.get("/api/v1/services?q=" + "x" * 51, headers=bearer(secret))
    assert too_long.status_code in (400, 422)


def test_odd_input_is_answered_not_a_500(client):
    for q in ("%", "'", "\\", "<>", "😀公积金", "公" * 60, "a" * 60, "　", "gjj" * 20, "--", "_"):
        answer = client.get("/services", query_string={"q": q})
        assert answer.status_code == 200, q
    html = client.get("/services", query_string={"q": "😀公积金"}).get_data(as_text=True)
    assert "hf-transfer" in html
