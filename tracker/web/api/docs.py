"""The OpenAPI document and its reference page (Swagger UI, vendored under
``static/vendor/swagger-ui-dist-<version>/``; no CDN). Both are public: they describe the API,
they hold no data."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template

from . import bp
from .spec import document


@bp.get("/openapi.json")
def openapi() -> Any:
    response = jsonify(document())
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def docs() -> str:
    return render_template("api/docs.html")
