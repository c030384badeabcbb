"""Sessions: started at login, ended by idle (30 min) and absolute (12 h) timeouts.

A signed-in session carries two timestamps (UTC, seconds): when it began and when it was
last used. Before every request a signed-in session older than ``SESSION_ABSOLUTE_HOURS``,
idle for more than ``SESSION_IDLE_MINUTES``, or missing its timestamps (it did not come from
our login) is ended. Logout and password change end every copy of every session through the
nonce in ``User.get_id()`` (the user loader compares it); nobody is given a remember-me
cookie, so staff never get one.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...models import User
from .. import wallclock

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"


def start_session(user: User, now: datetime) -> None:
    """A brand-new session for ``user``: nothing of the anonymous one survives (its cookie
    never becomes a signed-in cookie), and no remember-me cookie is issued."""
    session.clear()
    login_user(user, remember=False)
    session[LOGIN_AT] = now.timestamp()
    session[SEEN_AT] = now.timestamp()
    from ..language import after_sign_in

    after_sign_in(user)  # the account's language, or the browser's choice kept on it


def end_session() -> None:
    """Sign this browser out (other sessions are ended by ``accounts.end_sessions``)."""
    logout_user()
    session.clear()


def _expired(now: datetime) -> bool:
    started, seen = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        return True
    config = current_app.config
    moment = now.timestamp()
    return (
        moment - seen > config["SESSION_IDLE_MINUTES"] * 60
        or moment - started > config["SESSION_ABSOLUTE_HOURS"] * 3600
        or seen > moment + 300
    )  # a "last seen" in the future was not written by us


def init_sessions(app: Flask) -> None:
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    if not app.config.get("REMEMBER_COOKIE_SAMESITE"):
        app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True

    @app.before_request
    def _session_timeouts() -> None:
        if request.endpoint == "static" or request.path.startswith("/api/"):
            return  # the API authenticates by bearer token: no browser session there
        if not current_user.is_authenticated:
            return
        now = wallclock.now()
        if _expired(now):
            end_session()
            flash(_("登录已超时，请重新登录"), "warning")
            return
        session[SEEN_AT] = now.timestamp()
