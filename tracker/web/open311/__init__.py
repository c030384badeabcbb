"""Open311 GeoReport v2 at ``/open311/v2`` (docs/open311.md).

One guard for the blueprint: the catalogue (discovery, services, definitions) is public;
everything about requests needs an API key, given as ``api_key`` (query or form),
``Authorization: Bearer <key>`` or HTTP Basic auth with the key as the password. A key that
is presented must be live, on public endpoints too. No session cookie is read here, so the
blueprint is exempt from CSRF: nothing a browser sends by itself can act.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ...extensions import csrf, limiter
from ...services import api_tokens
from .. import wallclock
from ..conditional import revalidate
from . import render

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

PUBLIC = frozenset({"discovery", "services", "service_definition"})
MAX_KEY = 200


class Open311Error(Exception):
    """An answer in the Open311 error format."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, descriptions)
        self.status, self.descriptions = status, list(descriptions)


def presented_key() -> str | None:
    """The key from ``api_key``, else ``Authorization`` (Bearer, or Basic's password)."""
    key = request.args.get("api_key") or (
        request.form.get("api_key") if request.method == "POST" else None
    )
    if key:
        return key
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "bearer":
        return auth.token or None
    if auth.type == "basic":
        return auth.password or None
    return None


def _rate_key() -> str:
    key = presented_key()
    if key:
        return "open311-key:" + api_tokens.digest(key[:MAX_KEY])[:24]
    return "open311-ip:" + (request.remote_addr or "")


def _rate_limit() -> str:
    return str(current_app.config["OPEN311_RATE_LIMIT"])


def endpoint_name() -> str:
    """The view's name without its format (``requests_json`` → ``requests``)."""
    name = (request.endpoint or "").rpartition(".")[2]
    return name.rsplit("_", 1)[0] if name.endswith(("_json", "_xml")) else name


@bp.before_request
def _guard() -> None:
    g.open311_token = None
    key = presented_key()
    if key is None:
        if endpoint_name() in PUBLIC:
            return
        raise Open311Error(401, _("需要 API 密钥（api_key 参数、Bearer 或 Basic 认证）"))
    token = api_tokens.authenticate(key[:MAX_KEY], wallclock.now())
    if token is None:
        raise Open311Error(401, _("API 密钥无效、已过期或已吊销"))
    g.open311_token = token
    g.personal_data = True  # Cache-Control: no-store on every keyed answer


bp.after_request(revalidate)


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error) -> Any:
    response = render.errors(render.format_of(request.path), exc.status, exc.descriptions)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="open311", charset="UTF-8"'
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    return http_error(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Any:
    """A fault of ours: logged with an id, answered in the Open311 format (no traceback)."""
    error_id = uuid.uuid4().hex[:12]
    logging.getLogger("tracker.errors").exception(
        "unhandled Open311 error %s on %s %s", error_id, request.method, request.path
    )
    return render.errors(
        render.format_of(request.path), 500, [_("服务器内部错误，错误编号 %(id)s", id=error_id)]
    )


def http_error(exc: HTTPException) -> Any:
    """Any HTTP error under ``/open311/v2`` (also those no route matched, via the app's
    handler) in the Open311 format."""
    status = exc.code or 500
    descriptions = {
        400: _("请求有误"),
        404: _("没有这个资源；地址形如 /open311/v2/services.json 或 .xml"),
        405: _("不支持这个 HTTP 方法"),
        413: _("请求太大"),
        429: _("请求过于频繁，请稍后再试"),
    }
    response = render.errors(
        render.format_of(request.path), status, [descriptions.get(status, exc.name)]
    )
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    for header in ("Retry-After",):
        value = exc.get_response().headers.get(header)
        if value:
            response.headers[header] = value
    return response


def route(
    rule: str, name: str, methods: tuple[str, ...] = ("GET",)
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view at ``<rule>.json`` and ``<rule>.xml`` (endpoints ``<name>_json`` and
    ``<name>_xml``); the view gets the format as its first argument."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        for fmt in render.FORMATS:

            def bound(fmt: str = fmt, **values: Any) -> Any:
                return view(fmt, **values)

            bp.add_url_rule(f"{rule}.{fmt}", f"{name}_{fmt}", bound, methods=list(methods))
        return view

    return register


limiter.limit(_rate_limit, key_func=_rate_key)(bp)

from . import views  # noqa: E402, F401  (the routes, registered on ``bp`` above)
