"""WTForms' own messages in the page's language, without re-reading their catalogue on every
request (docs/performance.md: Flask-WTF parses wtforms' .mo file once per request that builds
a form; ours is read once per language per process)."""

from __future__ import annotations

from typing import Any

import pytest
from babel import support
from flask import Flask
from flask_babel import refresh
from wtforms import IntegerField

from tracker.web.fields import Form


class _Number(Form):
    class Meta:
        csrf = False

    n = IntegerField("n")


def _message(app: Flask, lang: str) -> str:
    with app.test_request_context(f"/?lang={lang}", method="POST", data={"n": "abc"}):
        refresh()  # the test's app context outlives one request: forget its language
        form = _Number()
        form.validate()
        return form.n.errors[0]


def test_wtforms_messages_follow_the_page_language(app: Flask) -> None:
    assert _message(app, "en") == "Not a valid integer value."
    assert _message(app, "zh") != "Not a valid integer value."


def test_wtforms_catalogue_is_read_once_per_language(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[object] = []
    real = support.Translations.load.__func__  # type: ignore[attr-defined]

    def counting(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("domain") == "wtforms":
            loads.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", classmethod(counting))
    for lang in ("zh", "en"):
        for _ in range(3):
            answer = client.post(f"/track?lang={lang}", data={"number": "x", "last4": "1"})
            assert answer.status_code == 422
    assert len(loads) <= 2
