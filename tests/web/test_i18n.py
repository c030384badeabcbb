"""The English interface: the catalogue is complete and sound, and ``?lang=en`` uses it.

The source strings (msgids) are Chinese; tracker/translations/en/LC_MESSAGES/messages.po holds
the English. ``test_catalogue_covers_every_string_in_the_code`` fails whenever someone wraps a
new string in ``_()`` without translating it: see docs/i18n.md for the two commands to run.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The same extraction as `make messages`: babel.cfg, the lazy keywords, the same ignored dirs.
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "N_")  # N_: tracker/domain/text.py
IGNORED_DIRS = (".*", "__pycache__")

PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")
# Curly quotes and apostrophes too: the CJK font draws them full-width in English text.
CJK = re.compile(r"[\u2018\u2019\u201c\u201d\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
MARKUP = re.compile(r"[<>&]")
IN_ATTRIBUTE = re.compile(r"""[\w-]+="\{\{\s*(?:_|gettext)\(\s*'([^']*)'""")


def _catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if message.pluralizable else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def _extract() -> Catalog:
    """What `pybabel extract -F babel.cfg -k _l -k lazy_gettext` finds in the code now."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(EXTRA_KEYWORDS))

    def keep_dir(path: str) -> bool:
        return not any(fnmatch(Path(path).name, pattern) for pattern in IGNORED_DIRS)

    found = Catalog(locale=None)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=keep_dir,
    ):
        found.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return found


def test_every_message_is_translated_and_keeps_its_placeholders():
    catalog = _catalogue()
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy: pybabel compile would skip it"
    messages = _messages(catalog)
    assert len(messages) > 300
    problems = []
    for m in messages:
        where = f"{m.id!r} ({m.locations[0][0] if m.locations else 'no location'})"
        strings = _strings(m)
        if m.fuzzy:
            problems.append(f"{where}: fuzzy")
        if not all(s.strip() for s in strings):
            problems.append(f"{where}: empty translation")
            continue
        expected = set().union(*(PLACEHOLDER.findall(i) for i in _ids(m)))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != expected:
                problems.append(
                    f"{where}: placeholders {sorted(PLACEHOLDER.findall(s))} "
                    f"!= {sorted(expected)} in {s!r}"
                )
            if CJK.search(s):
                problems.append(f"{where}: Chinese text or full-width punctuation left in {s!r}")
            if PLACEHOLDER.sub("", s).count("%") != PLACEHOLDER.sub("", _ids(m)[0]).count("%"):
                problems.append(f"{where}: a bare % in {s!r} (write %% for a literal percent)")
            if MARKUP.search(s):
                problems.append(f"{where}: <, > or & in {s!r} (templates insert it unescaped)")
    assert not problems, "\n".join(problems)


def test_translations_used_in_attributes_have_no_double_quote():
    """``{{ _('…') }}`` is inserted as markup: a " in the English would end the attribute."""
    catalog = _catalogue()
    used = {
        msgid
        for path in (ROOT / "templates").rglob("*.html")
        for msgid in IN_ATTRIBUTE.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 10
    bad = [
        (msgid, entry.string)
        for msgid in sorted(used)
        if (entry := catalog.get(msgid)) is not None and '"' in entry.string
    ]
    assert not bad


def _missing(found: Catalog, catalog: Catalog) -> list[Message]:
    """Each extracted string with no entry in ``catalog``, or singular there where the code
    needs a plural (or the other way round)."""
    missing = []
    for m in _messages(found):
        entry = catalog.get(m.id, m.context)
        if entry is None or entry.pluralizable != m.pluralizable:
            missing.append(m)
    return missing


def test_catalogue_covers_every_string_in_the_code():
    found = _extract()
    assert len(_messages(found)) > 300  # the extraction itself works (babel.cfg, keywords)
    missing = _missing(found, _catalogue())
    listing = "\n".join(
        f"  {m.id!r}  ({', '.join(f'{path}:{line}' for path, line in m.locations[:3])})"
        for m in missing
    )
    assert not missing, (
        f"{len(missing)} interface string(s) are not in {PO.relative_to(ROOT)}. Run `make messages`, "
        f"translate the new entries (docs/i18n.md), then run the tests again:\n{listing}"
    )


def test_the_coverage_check_can_fail():
    found = Catalog(locale=None)
    found.add("办件编号", None, [("templates/x.html", 1)])  # translated: fine
    found.add("一个还没有翻译的新字符串", None, [("templates/x.html", 2)])
    found.add(("%(num)s 条未读", "%(num)s 条未读"), None, [("templates/x.html", 3)])
    found.add(("办件", "办件"), None, [("templates/x.html", 4)])  # singular in the catalogue
    assert [m.id for m in _missing(found, _catalogue())] == [
        "一个还没有翻译的新字符串",
        ("%(num)s 条未读", "%(num)s 条未读"),
        ("办件", "办件"),
    ]


# Interface text from templates/base.html (the header, navigation and footer of every page).
BASE_ZH = (
    "跳到主要内容",
    "川渝跨省通办服务平台",
    "首页",
    "事项目录",
    "办件查询",
    "我的办件",
    "登录",
    "注册",
    "政务服务便民热线",
    "演示系统",
)
BASE_EN = (
    "Skip to main content",
    "Sichuan–Chongqing Cross-Province Service Portal",
    "Home",
    "Service catalogue",
    "Case tracking",
    "My cases",
    "Log in",
    "Register",
    "Government service hotline",
    "Demo system",
)

PAGES_EN = {
    "/": (
        "Apply in one place, handled in both",
        "Search for a service",
        "Track a case",
        "Fully online",
        "Accept here, decide there",
        "Joint handling",
        "Three ways a service is handled",
        "Promised time limit",
        "Statutory time limit",
    ),
    "/services/hf-transfer": (
        "Statutory time limit",
        "Promised time limit",
        "Apply online",
        "Application materials",
        "Responsible department",
        "working day",
    ),
    "/login": (
        "Log in",
        "Login help",
        "Mobile number / ID card number / username",
        "Password",
        "No account yet?",
    ),
    "/register": (
        "Register with your real name",
        "Confirm password",
        "Before you register",
        "ID card number",
        "Mobile number",
    ),
}


@pytest.mark.parametrize("path", sorted(PAGES_EN))
def test_english_pages_use_the_catalogue(client, path):
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in BASE_EN + PAGES_EN[path]:
        assert text in html, text
    for text in BASE_ZH:
        assert text not in html, text
    assert "%(" not in html  # every placeholder was filled


def test_the_english_choice_is_remembered(client):
    client.get("/", query_string={"lang": "en"})
    assert "Case tracking" in client.get("/login").get_data(as_text=True)
    html = client.get("/login", query_string={"lang": "zh"}).get_data(as_text=True)
    assert "办件查询" in html and "Case tracking" not in html


@pytest.mark.parametrize("path", sorted(PAGES_EN))
def test_chinese_is_the_default(client, path):
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    for text in BASE_ZH:
        assert text in html, text
    for text in ("Case tracking", "Service catalogue", "Log in", "Statutory time limit"):
        assert text not in html, text
