"""The JSON API at ``/api/v1`` (INTERFACES.md): bearer tokens, problem details, per-token rate
limits, an OpenAPI 3.1 document generated from the views' models.

One guard for the blueprint (``before_request``): every route but the document and its
reference page needs ``Authorization: Bearer <token>`` naming a live token (else 401); a write
must send JSON (or, for ``POST /cases``, multipart) within the size limit (else 415/413), and
malformed JSON is 400. Browser sessions play no part here: no session is read or written and
no cookie is set; CSRF does not apply (no ambient credential).

What each token may see is ``services/case_access`` (one rule shared with Open311); what it
may do is the workflow's ``available_actions`` for its actor, through the same services as
the pages.
"""

from __future__ import annotations

import hashlib
import json
import time

from flask import Blueprint, Flask, current_app, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ...extensions import csrf, limiter
from ...models import ApiToken
from ...services import api_tokens
from .. import wallclock
from ..conditional import revalidate
from .problems import ApiProblem, from_http, from_problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.docs"})
MULTIPART_ENDPOINTS = frozenset({"api.create_case"})
JSON_BODY_MAX = 256 * 1024
OPERATOR_HEADER = "Tongban-Operator"


def current_token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="tongban", error="invalid_token"'},
    )


NUL = "\x00"


def _refuse_nul() -> None:
    """NUL in a path, query or body: no field takes it, and PostgreSQL cannot even compare a
    string holding one (it would be a 500, not an answer)."""
    if NUL in request.path or any(
        NUL in key or NUL in value for key, value in request.args.items(multi=True)
    ):
        raise ApiProblem(400, _("请求中含有不允许的控制字符"), slug="bad-character")


def _check_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    multipart_ok = request.endpoint in MULTIPART_ENDPOINTS
    if request.mimetype == "multipart/form-data" and multipart_ok:
        if any(NUL in value for value in request.form.values()):
            raise ApiProblem(400, _("请求中含有不允许的控制字符"), slug="bad-character")
        return  # bounded by MAX_CONTENT_LENGTH; the files by services/uploads
    if request.mimetype != "application/json":
        raise ApiProblem(415, _("请以 application/json 发送请求内容"))
    length = request.content_length
    if length is not None and length > JSON_BODY_MAX:
        raise ApiProblem(413, _("请求内容超过大小限制"))
    request.max_content_length = JSON_BODY_MAX
    data = request.get_data(cache=True) or b""
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, _("请求内容不是有效的 JSON"), slug="malformed-json") from exc
    if b"\\u0000" in data or b"\x00" in data:
        raise ApiProblem(400, _("请求中含有不允许的控制字符"), slug="bad-character")


@bp.before_request
def _guard() -> None:
    g.personal_data = True  # Cache-Control: no-store on every answer
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    _refuse_nul()
    secret = _bearer()
    if secret is None:
        raise _unauthorized(_("请在 Authorization 头中以 Bearer 方式提供访问令牌"))
    token = api_tokens.authenticate(secret, wallclock.now())
    if token is None:
        raise _unauthorized(_("访问令牌无效、已过期或已吊销"))
    g.api_token = token
    _check_body()


bp.after_request(revalidate)


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    """The IETF draft's ``RateLimit-*`` fields beside Flask-Limiter's ``X-RateLimit-*``."""
    current = limiter.current_limit
    if current is not None:
        amount = current.limit.amount
        response.headers["RateLimit-Limit"] = str(amount)
        response.headers["RateLimit-Remaining"] = str(max(current.remaining, 0))
        response.headers["RateLimit-Reset"] = str(max(int(current.reset_at - time.time()), 0))
        response.headers["RateLimit-Policy"] = f"{amount};w={current.limit.get_expiry()}"
    return response


def _rate_key() -> str:
    """Per token (a digest of the bearer secret: the limiter runs before the guard), else per
    address."""
    secret = _bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "api-ip:" + (request.remote_addr or "unknown")


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "300 per minute"))


limiter.limit(_rate_limit, key_func=_rate_key)(bp)


@bp.errorhandler(ApiProblem)
def _problem(exc: ApiProblem) -> Response:
    return from_problem(exc)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    return from_http(exc)


def register(app: Flask) -> None:
    from . import cases, catalogue, docs, queue, stats  # noqa: F401  (register the routes)

    csrf.exempt(bp)
    app.register_blueprint(bp)
