"""The interface language: which one a request is shown in, and how the choice is remembered
(issue 14 item 3; docs/i18n.md).

In order, the first that names a configured language wins:

1. ``?lang=`` on the address (a link to a page in one language; also sets the cookie);
2. the signed-in person's account (``users.locale``, set by the header's switch);
3. the browser's ``lang`` cookie (the switch before login);
4. the browser's ``Accept-Language`` (a first visit);
5. Chinese.

The switch in the header is a small POST form (CSRF-protected, no JavaScript needed) sent to
``/language`` with the page's own address as ``next``; only addresses on this site are
followed (``safe_next``). Signing in: the account's language, if it has one, wins over the
cookie (and the cookie follows it); an account without one keeps the browser's choice.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, current_app, g, request
from flask_babel import refresh
from flask_login import current_user
from werkzeug.wrappers import Response

from ..models import User
from ..services import accounts

COOKIE = "lang"
COOKIE_DAYS = 365


def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module's docstring for the order)."""
    languages = _languages()
    for chosen in (
        request.args.get("lang"),
        g.get("account_locale"),
        request.cookies.get(COOKIE),
    ):
        if chosen in languages:
            return str(chosen)
    g.locale_from_header = True
    return str(request.accept_languages.best_match(languages) or languages[0])


def remember_in_browser(code: str) -> None:
    """Set the ``lang`` cookie on this request's response."""
    g.lang_cookie = code


def without_lang(target: str) -> str:
    """``target`` (a path on this site, with its query) without any ``lang=`` in its query:
    the language just chosen must not be overridden by the one the page was opened with."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def switch_next() -> str:
    """Where the header's switch comes back to: this address (path and query) for a page that
    was opened (GET); for the answer to a form (a POST showing its errors, whose address takes
    no GET) the page the form was on, when the browser says so and it is on this site, else
    the home page."""
    if request.method in ("GET", "HEAD"):
        full = request.full_path
        return full[:-1] if full.endswith("?") else full
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return urlunsplit(("", "", referrer.path, referrer.query, ""))
    return "/"


def switch(code: str, target: str) -> str:
    """The header's switch: remember ``code`` on the account (when signed in) and in the
    browser; the address to go back to. ``code`` was checked by the caller."""
    if current_user.is_authenticated:
        accounts.remember_locale(current_user.id, code, _languages())
        g.account_locale = code
    remember_in_browser(code)
    return without_lang(target)


def after_sign_in(user: User) -> None:
    """A session has just begun for ``user``: the account's language wins when it has one;
    otherwise the browser's explicit choice (its cookie) is kept on the account."""
    languages = _languages()
    if user.locale in languages:
        g.account_locale = user.locale
        remember_in_browser(str(user.locale))
    else:
        chosen = request.args.get("lang") or request.cookies.get(COOKIE)
        if chosen in languages:
            accounts.remember_locale(user.id, str(chosen), languages)
            g.account_locale = chosen
    refresh()  # what this request says from now on (the flash after login) follows it


def init_language(app: Flask) -> None:
    """Register after the session hooks (a timed-out session has ended by then)."""
    app.jinja_env.globals["switch_next"] = switch_next

    @app.before_request
    def _account_language() -> None:
        if request.endpoint == "static" or request.path.startswith("/api/"):
            return  # the API has no browser session
        if current_user.is_authenticated:
            g.account_locale = current_user.locale

    @app.after_request
    def _language_cookie(response: Response) -> Response:
        if request.path.startswith("/api/"):
            return response  # the API sets no cookie
        asked = request.args.get("lang")
        code = g.get("lang_cookie") or (asked if asked in app.config["LANGUAGES"] else None)
        if code:
            # Marked like the session cookie: Secure wherever that one is (production).
            response.set_cookie(
                COOKIE,
                code,
                max_age=COOKIE_DAYS * 86400,
                samesite="Lax",
                httponly=True,
                secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
            )
        if g.get("locale_from_header"):
            response.vary.add("Accept-Language")
        return response
