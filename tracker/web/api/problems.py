"""RFC 9457 problem details: every error under ``/api`` answers ``application/problem+json``
with ``type``, ``title``, ``status``, ``detail`` (and ``fields`` for validation errors).

``type`` is a URI naming the kind of problem, relative to the API (``/api/v1/problems/…``);
the titles are person-visible text and go through gettext.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _titles() -> dict[int, str]:
    return {
        400: _("请求格式有误"),
        401: _("需要有效的访问令牌"),
        403: _("无权进行此操作"),
        404: _("资源不存在"),
        405: _("不支持该请求方法"),
        409: _("请求与当前状态冲突"),
        413: _("请求内容过大"),
        415: _("不支持的内容类型"),
        422: _("请求内容无法处理"),
        429: _("请求过于频繁"),
        500: _("服务器内部错误"),
    }


SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "too-many-requests",
    500: "server-error",
}


class ApiProblem(Exception):
    """Raise anywhere in an API view (or its guard) to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        slug: str | None = None,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or str(status))
        self.status = status
        self.detail = detail
        self.slug = slug
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    fields: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    title = _titles().get(status) or _("请求无法完成")
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or SLUGS.get(status, "error")),
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if fields:
        body["fields"] = dict(fields)
    body.update(extra or {})
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body = problem_body(status, detail, slug=slug, fields=fields, extra=extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def from_problem(exc: ApiProblem) -> Response:
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        fields=exc.fields,
        headers=exc.headers,
        extra=exc.extra,
    )


def from_http(exc: HTTPException) -> Response:
    """A werkzeug/Flask HTTP error (unknown path, wrong method, body too large, rate limit)."""
    status = exc.code or 500
    headers: dict[str, str] = {}
    if status == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    if status == 429:
        retry = exc.get_response().headers.get("Retry-After") if exc.response else None
        if retry:
            headers["Retry-After"] = retry
    detail = {
        404: _("没有这个接口或资源"),
        405: _("该接口不支持 %(method)s 方法", method=request.method),
        413: _("请求内容超过大小限制"),
        429: _("请求过于频繁，请稍后再试"),
    }.get(status)
    return problem_response(status, detail, headers=headers)
