"""The language a person chose is remembered (issue 14 item 3): on the account when signed
in, in the browser's cookie before, ``Accept-Language`` on a first visit, Chinese otherwise;
the header's switch (a POST form with a CSRF token) keeps the current address and follows
only addresses on this site."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.builders import PASSWORD, citizen, clerk, login_as
from tests.web.test_csrf import csrf_app, new_citizen, sign_in  # noqa: F401
from tracker.extensions import db
from tracker.models import User

ENGLISH = '<html lang="en">'
CHINESE = '<html lang="zh-Hans">'


def page_lang(client, path: str = "/", **headers: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(path, headers=headers).get_data(as_text=True)
    assert (ENGLISH in html) != (CHINESE in html), html[:300]
    return "en" if ENGLISH in html else "zh"


def stored_locale(user_id: int) -> str | None:
    db.session.remove()
    return db.session.scalar(sa.select(User.locale).where(User.id == user_id))


def switch(client, lang: str, next: str | None = "/", **extra):  # type: ignore[no-untyped-def]
    data = {"lang": lang, **extra}
    if next is not None:
        data["next"] = next
    return client.post("/language", data=data)


# ---- first visits ---------------------------------------------------------------------------


def test_chinese_without_any_hint(client):
    assert page_lang(client) == "zh"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("fr-FR,en;q=0.5,zh;q=0.9", "zh"),
        ("de-DE", "zh"),  # nothing we have: Chinese
        ("fr-FR,en-GB;q=0.7", "en"),
    ],
)
def test_a_first_visit_follows_accept_language(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})
    html = response.get_data(as_text=True)
    assert (ENGLISH if expected == "en" else CHINESE) in html
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_the_cookie_wins_over_accept_language(client):
    switch(client, "zh")
    assert page_lang(client, "/", **{"Accept-Language": "en-US"}) == "zh"


# ---- the switch -----------------------------------------------------------------------------


def test_every_page_has_the_switch_back_to_its_own_address(client):
    html = client.get("/services?q=%E6%88%B7%E7%B1%8D&page=1").get_data(as_text=True)
    form = re.search(
        r'<form class="lang-switch" method="post" action="/language".*?</form>', html, re.S
    )
    assert form, html[:2000]
    assert 'name="next" value="/services?q=%E6%88%B7%E7%B1%8D&amp;page=1"' in form.group(0)
    assert 'name="lang" value="zh"' in form.group(0) and 'name="lang" value="en"' in form.group(0)
    # Without a query there is no stray "?".
    assert 'name="next" value="/track"' in client.get("/track").get_data(as_text=True)


def test_switching_keeps_the_address_and_the_choice(client):
    response = switch(client, "en", "/services?q=x&page=2")
    assert response.status_code == 303
    assert response.headers["Location"] == "/services?q=x&page=2"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    assert page_lang(client, "/track") == "en"
    switch(client, "zh")
    assert page_lang(client, "/track") == "zh"


def test_the_language_the_page_was_opened_with_does_not_undo_the_switch(client):
    response = switch(client, "zh", "/services?lang=en&q=x")
    assert response.headers["Location"] == "/services?q=x"
    assert page_lang(client, response.headers["Location"]) == "zh"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/services",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "services",
        "",
    ],
)
def test_the_switch_never_sends_anyone_to_another_site(client, target):
    response = switch(client, "en", target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert page_lang(client) == "en"  # the choice itself still counts


def test_no_next_goes_home(client):
    response = switch(client, "en", None)
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("lang", ["fr", "", "zh_Hans", "EN"])
def test_an_unknown_language_is_refused(client, lang):
    response = switch(client, lang)
    assert response.status_code == 400
    assert client.get_cookie("lang") is None


def test_the_switch_is_not_a_get(client):
    # (``?lang=`` on any address shows that page in that language: test_i18n.py.)
    assert client.get("/language?next=/track").status_code == 405
    assert client.get_cookie("lang") is None


def test_the_switch_wants_a_csrf_token(csrf_app):  # noqa: F811
    client = csrf_app.test_client()
    person = new_citizen(csrf_app)
    sign_in(client, person.phone)
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 400
    with csrf_app.app_context():
        assert stored_locale(person.id) is None
    html = client.get("/cases").get_data(as_text=True)
    form = re.search(r'<form class="lang-switch".*?</form>', html, re.S)
    assert form, html[:2000]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0)).group(1)
    answer = client.post("/language", data={"lang": "en", "next": "/cases", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/cases"
    with csrf_app.app_context():
        assert stored_locale(person.id) == "en"


# ---- on the account -------------------------------------------------------------------------


def test_a_signed_in_switch_is_kept_on_the_account(app: Flask, client):
    person = citizen()
    login_as(client, person)
    assert page_lang(client, "/cases") == "zh"
    switch(client, "en", "/cases")
    assert stored_locale(person.id) == "en"
    assert page_lang(client, "/cases") == "en"
    # Another browser, whose cookie says Chinese: after login the account wins.
    other = app.test_client()
    switch(other, "zh")
    login_as(other, person)
    assert page_lang(other, "/cases") == "en"
    assert other.get_cookie("lang").value == "en"  # the browser follows the account
    # The account wins over a stale cookie while signed in, too.
    other.set_cookie("lang", "zh")
    assert page_lang(other, "/cases") == "en"


def test_the_welcome_after_login_is_in_the_account_language(client):
    person = citizen()
    person.locale = "en"
    db.session.commit()
    switch(client, "zh")
    response = client.post("/login", data={"login": person.phone, "password": PASSWORD})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ENGLISH in html and "您已登录" not in html


def test_an_account_without_a_language_keeps_the_browser_choice(app: Flask, client):
    person = clerk("510100-hf")
    switch(client, "en")
    login_as(client, person)
    assert page_lang(client, "/clerk/") == "en"
    assert stored_locale(person.id) == "en"  # now the account remembers it


def test_an_account_without_a_language_and_a_browser_without_a_choice(client):
    person = citizen()
    login_as(client, person)
    assert stored_locale(person.id) is None
    assert page_lang(client, "/cases") == "zh"
    assert page_lang(client, "/cases", **{"Accept-Language": "en"}) == "en"


def test_lang_on_the_address_shows_that_page_only(client):
    person = citizen()
    person.locale = "zh"
    db.session.commit()
    login_as(client, person)
    assert page_lang(client, "/cases?lang=en") == "en"
    assert page_lang(client, "/cases") == "zh"  # the account's choice stands
    assert stored_locale(person.id) == "zh"


def test_the_api_sets_no_language_cookie(client):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_the_please_log_in_notice_is_in_the_chosen_language(client):
    switch(client, "en")
    response = client.get("/cases")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ENGLISH in html and "请先登录" not in html
    assert "Please log in" in html


def switch_next_of(html: str) -> str:
    found = re.search(r'name="next" value="([^"]*)"', html)
    assert found, html[:2000]
    return found.group(1).replace("&amp;", "&")


def test_after_a_form_s_errors_the_switch_goes_back_to_the_form_s_page(client):
    """A form answered with its errors sits at the address it was posted to, which may take
    no GET (405): the switch goes back to the page the form was on (the trial found a 405)."""
    posted = client.post(
        "/track",
        data={"number": "x", "last4": "1"},
        headers={"Referer": "http://localhost/track?from=home"},
    )
    assert switch_next_of(posted.get_data(as_text=True)) == "/track?from=home"
    elsewhere = client.post(
        "/track", data={"number": "x"}, headers={"Referer": "https://evil.example/track"}
    )
    assert switch_next_of(elsewhere.get_data(as_text=True)) == "/"
    unknown = client.post("/track", data={"number": "x"})
    assert switch_next_of(unknown.get_data(as_text=True)) == "/"
