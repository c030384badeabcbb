"""The first pages: home, catalogue search, one service, health checks, errors."""

from __future__ import annotations

import re

import sqlalchemy as sa


def test_home_lists_the_catalogue_by_department_in_chinese(client):
    html = client.get("/").get_data(as_text=True)
    for text in (
        "医疗保障",
        "住房公积金",
        "异地就医登记备案",
        "住房公积金异地转移接续",
        "全程网办",
        "异地代收代办",
        "多地联办",
    ):
        assert text in html, text
    assert 'lang="zh-Hans"' in html
    assert "/services/hf-transfer" in html


def test_english_is_second(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Cross-province medical-treatment registration" in html
    assert client.get("/").headers  # the cookie keeps the choice
    assert "Cross-province medical-treatment registration" in client.get("/").get_data(as_text=True)


def test_service_page_shows_materials_offices_and_limits(client):
    html = client.get("/services/hrss-pension-transfer").get_data(as_text=True)
    assert "基本养老保险关系转移接续" in html
    assert "45" in html and "工作日" in html
    assert "居民身份证" in html
    assert "四川省" in html and "重庆市" in html
    assert "成都市人力资源和社会保障局" in html


def test_search_matches_names_and_escapes_wildcards(client):
    html = client.get("/services?q=公积金").get_data(as_text=True)
    html = re.sub(r"</?mark>", "", html)  # matched words are marked since issue #16
    assert "住房公积金异地转移接续" in html and "异地就医登记备案" not in html
    assert client.get("/services?q=%25").status_code == 200
    assert "异地就医登记备案" not in client.get("/services?q=%25").get_data(as_text=True)
    assert client.get("/services?q=' OR 1=1--").status_code == 200


def test_unknown_service_is_a_friendly_404(client):
    response = client.get("/services/no-such-service")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_health_endpoints(client, app, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}
    from tracker.extensions import db

    def unreachable(*a, **k):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_unexpected_error_shows_an_error_id_and_no_traceback(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in html and "Traceback" not in html
    assert "错误编号" in html or "error" in html.lower()


def test_staff_are_not_offered_links_that_refuse_them(app):
    """Found by a new-user trial: a clerk, supervisor or admin on the home page was offered
    "我的办件" (/cases) and on a service page "在线申请" (/services/<code>/apply), both 403."""
    from tests.builders import admin, clerk, login_as, supervisor

    for user in (clerk("510100-hf"), supervisor(None), admin()):
        browser = app.test_client()
        login_as(browser, user)
        home = browser.get("/").get_data(as_text=True)
        assert 'href="/cases"' not in home, user.role
        page = browser.get("/services/hf-retirement-withdrawal").get_data(as_text=True)
        assert "/services/hf-retirement-withdrawal/apply" not in page, user.role
        assert "工作人员账号不能在线申请" in page
    visitor = app.test_client().get("/services/hf-retirement-withdrawal").get_data(as_text=True)
    assert "/services/hf-retirement-withdrawal/apply" in visitor


def test_a_material_the_pre_check_decides_says_when_it_is_needed(client):
    html = client.get("/services/hf-transfer").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*>\s*2\s*</td>.*?</tr>", html, re.S).group(0)
    assert "原账户封存说明" in row
    assert "视情形" in row and "可选" not in row
    assert "否，原单位已注销或无法联系" in row
    english = client.get("/services/hf-transfer?lang=en").get_data(as_text=True)
    assert "Depends" in english and 'Required if you answer "No, ' in english.replace("&#34;", '"')
