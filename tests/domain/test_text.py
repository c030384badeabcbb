"""``N_``, ``Text`` and ``Named`` (tracker/domain/text.py): Chinese strings that remember how
they were made, so the web layer can say them in English."""

from __future__ import annotations

import json

from tracker.domain.text import N_, Named, Text


def test_a_text_is_the_chinese_string_and_keeps_its_msgid_and_values():
    text = N_("请上传%(name)s", name="身份证")
    assert text == "请上传身份证" and isinstance(text, str) and isinstance(text, Text)
    assert text.msgid == "请上传%(name)s" and text.params == {"name": "身份证"}
    assert json.dumps({"e": text}, ensure_ascii=False) == '{"e": "请上传身份证"}'


def test_a_text_without_values_is_its_msgid():
    text = N_("账号或密码错误")
    assert text == text.msgid == "账号或密码错误" and text.params == {}


def test_a_named_value_is_the_chinese_name_and_keeps_the_english():
    name = Named("居民身份证", "Resident identity card")
    assert name == "居民身份证" and name.en == "Resident identity card"
    assert N_("请上传%(name)s", name=name) == "请上传居民身份证"
