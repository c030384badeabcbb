"""Open311 documents in both formats: JSON as the spec's arrays and objects, XML with the
spec's element names (built with the standard library's ElementTree, which escapes every
text; characters XML 1.0 cannot carry are dropped first)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we build XML, we never parse it
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response

FORMATS = ("json", "xml")

# Container element → element of each item (the spec's XML shapes).
ITEM_TAGS: Mapping[str, str] = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c(moment: datetime | None) -> str | None:
    """A moment in UTC with ``Z`` (an old validator rejects ``+08:00``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if child is None:
                continue
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def xml_bytes(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def document(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """``value`` as JSON, or as XML under ``root`` (a list's items take their tag from the
    root: ``services`` → ``service``)."""
    if fmt == "xml":
        return Response(xml_bytes(root, value), status, content_type="text/xml; charset=utf-8")
    body = json.dumps(_drop_none(value), ensure_ascii=False, separators=(",", ":"))
    return Response(body, status, content_type="application/json; charset=utf-8")


def errors(fmt: str, status: int, descriptions: list[str]) -> Response:
    """Open311 errors: ``[{"code", "description"}]`` or ``<errors><error>…``."""
    return document(
        fmt, "errors", [{"code": status, "description": d} for d in descriptions], status
    )


def format_of(path: str) -> str:
    """The format a request asked for by its suffix (XML only when it says so)."""
    return "xml" if path.rsplit("/", 1)[-1].lower().endswith(".xml") else "json"
