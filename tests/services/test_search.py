"""Catalogue search as people ask: short forms, pinyin, English, spacing slips (issue #16).

QUERIES is the table: a query as a citizen would type it, and the service that must come
first (a set where the query really is ambiguous, e.g. ``gjj`` names every housing-fund
service). ``test_hit_rate`` prints the share of the table answered right and fails on any miss.
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker.domain import search as rules
from tracker.extensions import db
from tracker.models import Service
from tracker.services import search

HF = {"hf-transfer", "hf-loan-certificate", "hf-retirement-withdrawal"}

QUERIES: list[tuple[str, str | set[str]]] = [
    # Chinese, the way people say it
    ("公积金转移", "hf-transfer"),
    ("公积金转出", "hf-transfer"),
    ("住房公积金异地转移接续", "hf-transfer"),
    ("如何办理公积金转移", "hf-transfer"),
    ("换工作了公积金怎么转", "hf-transfer"),
    ("医保备案", "mi-offsite-registration"),
    ("我要办医保异地备案", "mi-offsite-registration"),
    ("跨省就医备案", "mi-offsite-registration"),
    ("异地就医", "mi-offsite-registration"),
    ("异地就医报销", "mi-manual-reimbursement"),
    ("医保报销", "mi-manual-reimbursement"),
    ("看病报销", "mi-manual-reimbursement"),
    ("退休提取公积金", "hf-retirement-withdrawal"),
    ("公积金提取", "hf-retirement-withdrawal"),
    ("退休了怎么取公积金", "hf-retirement-withdrawal"),
    ("公积金贷款证明", "hf-loan-certificate"),
    ("异地贷款", "hf-loan-certificate"),
    ("缴存证明", "hf-loan-certificate"),
    ("养老保险转移", "hrss-pension-transfer"),
    ("社保转移", "hrss-pension-transfer"),
    ("养老金转移", "hrss-pension-transfer"),
    ("失业金", "hrss-unemployment-transfer"),
    ("失业保险转移", "hrss-unemployment-transfer"),
    ("户口迁移", "psb-household-transfer"),
    ("迁户口", "psb-household-transfer"),
    ("落户", "psb-household-transfer"),
    ("驾照补办", "traffic-licence-replacement"),
    ("驾驶证丢了", "traffic-licence-replacement"),
    ("驾照到期换证", "traffic-licence-replacement"),
    ("营业执照", "amr-business-licence"),
    ("开公司", "amr-business-licence"),
    ("社保卡丢了怎么补", "hrss-ss-card-replacement"),
    ("社保卡", "hrss-ss-card-replacement"),
    ("残疾证迁移", "dpf-certificate-transfer"),
    ("残疾人证", "dpf-certificate-transfer"),
    # spacing and width slips
    ("公积金 转移", "hf-transfer"),
    ("公 积金转移", "hf-transfer"),
    (" 医保  备案 ", "mi-offsite-registration"),
    ("ＧＪＪ", HF),
    # pinyin and pinyin initials
    ("gjj", HF),
    ("gongjijin", HF),
    ("gong ji jin", HF),
    ("gjjzy", "hf-transfer"),
    ("gongjijinzhuanyi", "hf-transfer"),
    ("gong ji jin zhuan yi", "hf-transfer"),
    ("ybba", "mi-offsite-registration"),
    ("hkqy", "psb-household-transfer"),
    ("sbk", "hrss-ss-card-replacement"),
    ("shebaoka", "hrss-ss-card-replacement"),
    ("jiazhao", "traffic-licence-replacement"),
    # English
    ("housing fund transfer", "hf-transfer"),
    ("Housing-Fund Transfer", "hf-transfer"),
    ("provident fund withdrawal on retirement", "hf-retirement-withdrawal"),
    ("medical insurance registration", "mi-offsite-registration"),
    ("medical bills reimbursement", "mi-manual-reimbursement"),
    ("pension transfer", "hrss-pension-transfer"),
    ("unemployment insurance", "hrss-unemployment-transfer"),
    ("hukou", "psb-household-transfer"),
    ("driving licence replacement", "traffic-licence-replacement"),
    ("I lost my driver's license", "traffic-licence-replacement"),
    ("lost social security card", "hrss-ss-card-replacement"),
    ("how to get a business licence", "amr-business-licence"),
    ("disability certificate", "dpf-certificate-transfer"),
]

NOTHING = ["护照", "passport renewal", "xyzzy", "结婚证"]


def test_hit_rate(app):
    misses = []
    for query, expected in QUERIES:
        codes = search.search_codes(query)
        first = codes[0] if codes else None
        wanted = expected if isinstance(expected, set) else {expected}
        if first not in wanted:
            misses.append(f"{query!r}: first {first!r}, expected {expected!r} ({codes[:3]})")
    hits = len(QUERIES) - len(misses)
    print(f"\nsearch hit rate: {hits}/{len(QUERIES)} = {hits / len(QUERIES):.0%}")
    assert len(QUERIES) >= 40
    assert not misses, "\n".join(misses)


def test_the_housing_fund_transfer_is_found_by_pinyin_among_the_housing_fund_services(app):
    for query in ("gjj", "gongjijin", "GJJ"):
        codes = search.search_codes(query)
        assert set(codes) == HF, query


def test_queries_about_nothing_in_the_catalogue_find_nothing(app):
    for query in NOTHING:
        assert search.search_codes(query) == [], query
    assert search.search("") == [] and search.search("   ") == []


def test_matched_words_are_marked_in_the_name(app):
    [first, *_] = search.search("公积金转移")
    assert first.code == "hf-transfer"
    assert [text for text, hit in first.name_zh if hit] == ["公积金", "转移"]
    assert "".join(text for text, _ in first.name_zh) == "住房公积金异地转移接续"
    [first, *_] = search.search("housing fund transfer")
    marked = {text.lower() for text, hit in first.name_en if hit}
    assert {"housing", "fund", "transfer"} <= marked
    # an alias that matched is shown, marked
    [first, *_] = search.search("医保备案")
    assert any("".join(t for t, _ in a) == "医保备案" for a in first.aliases)


def test_the_index_follows_the_catalogue(app):
    search.search_codes("公积金")  # built
    built = search.index()
    assert search.index() is built  # not rebuilt per request
    svc = db.session.scalars(
        sa.select(Service).where(Service.code == "dpf-certificate-transfer")
    ).one()
    svc.aliases = [*(svc.aliases or []), "助残证明"]
    db.session.commit()
    assert search.index() is not built
    assert search.search_codes("助残证明")[0] == "dpf-certificate-transfer"
    svc.active = False
    db.session.commit()
    assert "dpf-certificate-transfer" not in search.search_codes("残疾证")


def test_catalogue_aliases_are_strings(app):
    for s in db.session.scalars(sa.select(Service)):
        assert s.aliases, s.code
        assert all(isinstance(a, str) and a.strip() == a and a for a in s.aliases), s.code


# ---- the pure rules, with fakes for jieba and pypinyin -------------------------------------


def _fake_segment(text: str) -> list[str]:
    words = ["住房", "公积金", "转移", "接续", "异地"]
    return [w for w in words if w in text] or [text]


def _fake_spell(word: str) -> tuple[str, str]:
    table = {"公积金": ("gongjijin", "gjj"), "转移": ("zhuanyi", "zy")}
    return table.get(word, ("", ""))


def test_rules_with_fakes():
    index = rules.build_index(
        [rules.Entry("t", "住房公积金异地转移接续", "Housing-fund transfer", aliases=("公积金",))],
        _fake_segment,
        _fake_spell,
    )
    for q in ("gjj", "gongjijin", "gjjzy", "公积金转移", "housing funds", "HOUSE"):
        assert [h.key for h in rules.search(index, q, _fake_segment)] == ["t"], q
    assert rules.search(index, "passport", _fake_segment) == []


def test_normalize_and_stem():
    assert rules.normalize(" 公积金  转移 ") == "公积金转移"
    assert rules.normalize("ＧＪＪ") == "gjj"
    assert rules.normalize("Housing-Fund") == "housing fund"
    assert rules.stem("housing") == rules.stem("house") == "hous"
    assert rules.stem("license") == rules.stem("licence")


def test_mark_keeps_every_character_and_respects_word_boundaries():
    pieces = rules.mark("<b>公积金</b> refund fund", ["公积金", "fund"])
    assert "".join(t for t, _ in pieces) == "<b>公积金</b> refund fund"
    assert [t for t, hit in pieces if hit] == ["公积金", "fund"]
