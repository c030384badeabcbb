"""``say`` (tracker/web/__init__.py): messages from the domain and services in the page's
language, with catalogue names and nested messages in English too."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from tracker.domain.messages import applicant_message
from tracker.domain.text import N_, Named
from tracker.domain.workflow import Action
from tracker.web import notice, say


@contextmanager
def _in(app, lang: str):  # type: ignore[no-untyped-def]
    """A request in ``lang`` with an app context (and ``g``) of its own."""
    with app.app_context(), app.test_request_context("/", query_string={"lang": lang}):
        yield


def test_domain_messages_are_said_in_english(app):
    with _in(app, "en"):
        assert say(N_("账号或密码错误")) == "Wrong account or password"
        assert say(N_("请上传%(name)s", name=Named("居民身份证", "Resident identity card"))) == (
            "Please upload Resident identity card"
        )
        assert say("账号或密码错误") == "Wrong account or password"  # a plain msgid
        assert say("a string nobody translated") == "a string nobody translated"
        assert say(None) == ""


def test_domain_messages_stay_chinese_in_chinese(app):
    with _in(app, "zh"):
        assert say(N_("请上传%(name)s", name=Named("居民身份证", "Resident identity card"))) == (
            "请上传居民身份证"
        )


class _Note:
    def __init__(self, params, title="申请已受理", body="原文"):  # type: ignore[no-untyped-def]
        self.params, self.title, self.body = params, title, body


def test_a_notification_is_made_again_in_english(app):
    params = {
        "action": "accept",
        "service_zh": "社会保障卡补换",
        "service_en": "Social security card replacement",
        "tracking_number": "502611050000010",
        "reason": None,
        "due_on": "2026-11-25",
    }
    with _in(app, "en"):
        title, body = notice(_Note(params))
    assert title == "Application accepted"
    assert body == (
        "[Social security card replacement] Case 502611050000010: Your application was "
        "accepted.\nPromised completion date: Nov 25, 2026."
    )
    with _in(app, "zh"):
        title, body = notice(_Note(params))
    assert (title, body) == applicant_message(
        Action.ACCEPT,
        service_name="社会保障卡补换",
        tracking_number="502611050000010",
        due_on=date(2026, 11, 25),
    )


def test_an_old_notification_without_params_is_shown_as_stored(app):
    with _in(app, "en"):
        assert notice(_Note(None, body="旧的正文")) == ("Application accepted", "旧的正文")
