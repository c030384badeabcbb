"""Tongban (通办): a cross-province one-stop service-request tracker."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from config import ROOT, Config, ProductionConfig, get_config

from .extensions import babel, cache, csrf, db, limiter, login_manager, migrate


def create_app(config: type[Config] | str | None = None) -> Flask:
    cfg = config if isinstance(config, type) else get_config(config)
    if issubclass(cfg, ProductionConfig):
        cfg.check()
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(cfg)
    app.config.from_pyfile(str(Path(app.instance_path) / "settings.py"), silent=True)
    _trust_proxy(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from .web.converters import BoundedInt

    # Before any blueprint: every ``<int:…>`` is then bounded to what the database holds.
    app.url_map.converters["int"] = BoundedInt

    from . import crypto
    from .services import audit

    audit.configure(app.config)  # the audit log's key, without the service reading flask
    crypto.configure(app.config)  # the keys sealing personal data at rest (SECURITY.md #21)
    _init_extensions(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_headers(app)

    from .jobs import init_jobs

    init_jobs(app)

    from .cli import register_cli

    register_cli(app)
    if app.config.get("SEARCH_WARM_UP", True):
        from .services import search

        search.warm_up()  # jieba's dictionary loads in the background, not in the first search
    return app


PROXY_FIX_SETTINGS = ("for", "proto", "host", "port", "prefix")


def _trust_proxy(app: Flask) -> None:
    """Behind a reverse proxy (deploy/nginx): ``PROXY_FIX_X_FOR=1`` … say how many proxies
    set each ``X-Forwarded-*`` header. Off (all 0) by default: then those headers are the
    client's words and nothing reads them (``remote_addr`` is the peer, the scheme is the
    connection's) — a client reaching the app directly cannot pass for another address."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = {
        f"x_{name}": int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0)
        for name in PROXY_FIX_SETTINGS
    }
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)  # type: ignore[method-assign]


def _select_locale() -> str:
    from .web.language import select_locale

    return select_locale()


def _init_extensions(app: Flask) -> None:
    from .database import configure_engine
    from .routing import REPLICA, configure_replica

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(ROOT / "tracker" / "translations"),
    )
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from .domain.text import N_

    # Flashed as is and shown through ``say`` (base.html): in the reader's language.
    login_manager.login_message = N_("请先登录")
    login_manager.login_message_category = "info"
    with app.app_context():
        configure_engine(db.engine)
        replica = db.engines.get(REPLICA)
        if replica is not None:
            configure_engine(replica)
            configure_replica(replica)

    from . import models  # noqa: F401  (register tables)
    from .models import User

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        user_id, _, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_nonce != nonce or not user.is_active:
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from .web import register_template_helpers
    from .web.admin import bp as admin_bp
    from .web.auth import bp as auth_bp
    from .web.auth.sessions import init_sessions
    from .web.citizen import bp as citizen_bp
    from .web.clerk import bp as clerk_bp
    from .web.open311 import bp as open311_bp
    from .web.public import bp as public_bp
    from .web.supervisor import bp as supervisor_bp

    register_template_helpers(app)
    init_sessions(app)
    from .web.language import init_language

    init_language(app)  # after the session hooks: the account's language, once it is known
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(citizen_bp)
    app.register_blueprint(clerk_bp)
    app.register_blueprint(supervisor_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(admin_bp)

    from .web import api

    api.register(app)


# Pages behind a role: a signed-in user refused there (403), or sent to something that does
# not exist for them (404: other offices' cases, ids out of scope), is audited.
AUDITED_BLUEPRINTS = frozenset({"citizen", "clerk", "supervisor", "admin"})
# The machine interfaces: a call without a valid key (401) or refused (403) is audited,
# signed in or not; with a valid key, a thing out of its scope (404) too, naming the key.
INTERFACE_PREFIXES = ("/api/", "/open311/")


def _audit_denial(status: int) -> None:
    from flask_login import current_user

    from .services.audit import record_denial
    from .web import wallclock

    if not getattr(current_user, "is_authenticated", False) or g.get("denial_audited"):
        return
    db.session.rollback()
    try:
        record_denial(
            user_id=current_user.id,
            path=request.path,
            method=request.method,
            status=status,
            ip=request.remote_addr,
            now=wallclock.now(),
        )
    except Exception:  # the refusal still stands; a failed audit write is an error to see
        logging.getLogger("tracker.errors").exception(
            "could not audit a %s on %s %s", status, request.method, request.path
        )
        db.session.rollback()


def _audit_interface_refusal(response: Any) -> Any:
    status = response.status_code
    if status not in (401, 403, 404) or not request.path.startswith(INTERFACE_PREFIXES):
        return response
    token = g.get("api_token") or g.get("open311_token")
    if status == 404 and token is None:
        return response  # an unknown address, asked without a key: nothing was refused
    from .services.audit import record_denial
    from .web import wallclock

    db.session.rollback()
    try:
        record_denial(
            user_id=getattr(token, "user_id", None),
            path=request.path,
            method=request.method,
            status=status,
            ip=request.remote_addr,
            now=wallclock.now(),
            token_id=getattr(token, "id", None),
        )
    except Exception:  # the refusal still stands; a failed audit write is an error to see
        logging.getLogger("tracker.errors").exception(
            "could not audit a %s on %s %s", status, request.method, request.path
        )
        db.session.rollback()
    return response


def _register_errors(app: Flask) -> None:
    app.after_request(_audit_interface_refusal)
    log = logging.getLogger("tracker.errors")

    from .web.api.problems import from_http, is_api_request, problem_response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if is_api_request():  # the API answers in problem details, its unknown paths too
            return from_http(exc)
        if request.path.startswith("/open311/"):
            from .web.open311 import http_error

            return http_error(exc)  # a path no route matched: still Open311's error format
        if exc.code in (403, 404) and request.blueprint in AUDITED_BLUEPRINTS:
            _audit_denial(exc.code)
        return render_template("errors/http.html", error=exc), exc.code or 500

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):  # type: ignore[no-untyped-def]
        error_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", error_id, request.method, request.path)
        db.session.rollback()
        if is_api_request():
            return problem_response(
                500,
                _("服务器内部错误，错误编号 %(id)s", id=error_id),
                extra={"error_id": error_id},
            )
        return render_template("errors/500.html", error_id=error_id), 500


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HSTS_SECONDS"):
            response.headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains",
            )
        if g.get("personal_data"):
            response.headers["Cache-Control"] = "no-store"
        return response
