"""Catalogue search rules, pure: how a query becomes units, how a service scores, what to mark.

The word segmenter (jieba) and the pinyin converter (pypinyin) are passed in as functions by
``tracker.services.search``; nothing here imports a library or touches the database, so every
rule below can be tested with tiny fakes.

A query is cut into *units* (Chinese words, English words, pinyin words). A unit matches a
service through its name (weight 10), an alias (7) or its summary (2), by one of:
exact word; Chinese substring of a name or alias; a pinyin spelling or pinyin initials of a
catalogue word (``gjj``, ``gongjijin`` → 公积金); an English stem or stem prefix
(``housing`` ~ ``house``); a word of the small synonym table (丢了 → 遗失); or, for a Chinese
word the catalogue does not know, its pieces (公积金转移 → 公积金 + 转移). Services are ranked
by how many of the query's units they cover, then by the sum of the weights.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_QUERY = 50

NAME, ALIAS, SUMMARY = 10.0, 7.0, 2.0
SUBSTRING = 0.8  # a Chinese unit found inside a longer word of the field
PREFIX = 0.8  # an English stem that is a prefix of the field's stem
SYNONYM = 0.9
PINYIN = 0.95
PHRASE_BONUS = 5.0  # the whole query appears as typed in the name or an alias
KEEP_BELOW_TOP = 0.25  # results scoring under this share of the best are dropped


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say how, not what: dropped from a query unless nothing else is left.
STOP_ZH = _words(
    "的 了 吗 呢 啊 吧 和 与 及 或 在 去 到 给 把 被 我 你 他 她 我们 想 要 想要 需要 可以 能 能否"
    " 怎么 怎样 如何 哪里 哪儿 在哪 什么 怎么办 办 办理 申请 手续 流程 材料 需要 一下 请问 咨询"
    " 如何办理 怎么办理 网上 线上 在线 业务 服务 事项"
)
STOP_EN = _words(
    "a an the to of for in on at my me i we you your how do does can could where what which is"
    " are be get apply application applying want need online service services please with and"
    " or from"
)

# Words people say → words the catalogue uses. Small and general; per-service other names
# belong in services.json "aliases".
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "丢": ("遗失", "补换"),
    "丢了": ("遗失", "补换"),
    "丢失": ("遗失", "补换"),
    "掉了": ("遗失", "补换"),
    "补办": ("补换", "补领"),
    "补": ("补换", "补领"),
    "换": ("换领", "补换"),
    "坏了": ("损坏", "补换"),
    "过期": ("有效期满", "换领"),
    "到期": ("有效期满", "换领"),
    "迁": ("迁移",),
    "搬家": ("迁移", "迁居"),
    "转": ("转移",),
    "转出": ("转移",),
    "转入": ("转移",),
    "转走": ("转移",),
    "取": ("提取",),
    "取出": ("提取",),
    "报账": ("报销",),
    "lost": ("replacement",),
    "lose": ("replacement",),
    "replace": ("replacement",),
    "move": ("transfer",),
    "moving": ("transfer",),
    "withdraw": ("withdrawal",),
    "cash": ("withdrawal",),
    "refund": ("reimbursement",),
}

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:'[a-z]+)?")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ances",
    "ance",
    "ences",
    "ence",
    "ings",
    "ing",
    "ers",
    "er",
    "ed",
    "es",
    "s",
    "e",
)

Segment = Callable[[str], list[str]]  # Chinese text → words (search mode: long and short ones)
Spell = Callable[[str], tuple[str, str]]  # Chinese word → (full pinyin, initials), lowercase


def is_cjk(text: str) -> bool:
    return bool(text) and re.fullmatch(rf"[{_CJK}]+", text) is not None


def normalize(query: str) -> str:
    """Width-folded, lower case, one space between words, none between Chinese characters."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    text = text.replace("’", "'").replace("-", " ").replace("_", " ")
    text = " ".join(text.split())[:MAX_QUERY]
    return _SPACE_BETWEEN_CJK.sub("", text)


def stem(word: str) -> str:
    """A crude English stem: ``housing``/``house`` → ``hous``; ``licence``/``license`` alike."""
    w = word.lower().removesuffix("'s").replace("'", "")
    if w == "license" or w == "licenses":
        w = "licence"
    for _ in range(2):
        for suffix in _SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= 4:
                w = w[: -len(suffix)]
                break
        else:
            break
    return w


def english_words(text: str) -> list[str]:
    return _LATIN_WORD.findall(normalize(text).replace("'s", ""))


# ---- the index --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What the index reads of a service."""

    key: str
    name_zh: str
    name_en: str
    summary_zh: str = ""
    summary_en: str = ""
    aliases: tuple[str, ...] = ()


@dataclass
class Index:
    entries: dict[str, Entry]
    # Chinese word → service key → (weight, the word); English stem → key → (weight, word)
    zh: dict[str, dict[str, float]] = field(default_factory=dict)
    en: dict[str, dict[str, tuple[float, str]]] = field(default_factory=dict)
    # pinyin spelling or initials → Chinese catalogue words
    pinyin: dict[str, set[str]] = field(default_factory=dict)
    # the texts a Chinese substring may be found in: key → [(weight, text)]
    texts: dict[str, list[tuple[float, str]]] = field(default_factory=dict)


def _post_zh(index: Index, word: str, key: str, weight: float) -> None:
    if len(word) < 1 or not is_cjk(word):
        return
    slot = index.zh.setdefault(word, {})
    slot[key] = max(slot.get(key, 0.0), weight)


def _post_en(index: Index, word: str, key: str, weight: float) -> None:
    s = stem(word)
    if len(s) < 2 or s in STOP_EN:
        return
    slot = index.en.setdefault(s, {})
    if slot.get(key, (0.0, ""))[0] < weight:
        slot[key] = (weight, word)


def build_index(entries: Iterable[Entry], segment: Segment, spell: Spell) -> Index:
    """Every word of every name, alias and summary, with its best weight per service."""
    index = Index(entries={e.key: e for e in entries})
    for e in index.entries.values():
        fields: list[tuple[float, str]] = [(NAME, e.name_zh), (NAME, e.name_en)]
        fields += [(ALIAS, a) for a in e.aliases]
        fields += [(SUMMARY, e.summary_zh), (SUMMARY, e.summary_en)]
        index.texts[e.key] = [(w, normalize(t)) for w, t in fields if t]
        for weight, text in fields:
            norm = normalize(text)
            for run in _RUN.findall(norm):
                if is_cjk(run):
                    words = {run, *segment(run)}
                    for word in words:
                        _post_zh(index, word, e.key, weight)
                        if weight >= ALIAS and len(word) >= 2:
                            full, initials = spell(word)
                            for k in {full, initials}:
                                if len(k) >= 2:
                                    index.pinyin.setdefault(k, set()).add(word)
                else:
                    for w in _LATIN_WORD.findall(run.replace("'s", "")):
                        _post_en(index, w, e.key, weight)
            # an English alias typed as one word (HPF) or spaced ("provident fund")
            if weight == ALIAS and not is_cjk(norm.replace(" ", "")):
                _post_en(index, norm.replace(" ", ""), e.key, weight)
    return index


def split_by_vocabulary(text: str, vocabulary: Callable[[str], bool]) -> list[str] | None:
    """Cut ``text`` into the fewest pieces that are all in the vocabulary; None if none does."""
    n = len(text)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        done = best[i]
        if done is None:
            continue
        for j in range(n, i, -1):
            piece = text[i:j]
            if vocabulary(piece):
                candidate = [*done, piece]
                current = best[j]
                if current is None or len(candidate) < len(current):
                    best[j] = candidate
    return best[n]


# ---- matching ---------------------------------------------------------------------------


@dataclass
class UnitMatch:
    score: float = 0.0
    covered: float = 0.0  # 0..1: how much of the unit this service explains
    marks: set[str] = field(default_factory=set)

    def better(self, other: UnitMatch) -> UnitMatch:
        return other if (other.covered, other.score) > (self.covered, self.score) else self


@dataclass
class Hit:
    key: str
    score: float
    covered: float
    marks: frozenset[str]


Matcher = Callable[[str], dict[str, UnitMatch]]


def _zh_word(index: Index, word: str, factor: float = 1.0) -> dict[str, UnitMatch]:
    """A Chinese word: exact catalogue word, else inside a name, alias or summary."""
    found: dict[str, UnitMatch] = {}
    for key, weight in index.zh.get(word, {}).items():
        found[key] = UnitMatch(weight * factor, 1.0, {word})
    for key, texts in index.texts.items():
        for weight, text in texts:
            if word in text:
                m = UnitMatch(weight * factor * SUBSTRING, 1.0, {word})
                found[key] = found.get(key, UnitMatch()).better(m)
    return found


def _merge(parts: Sequence[dict[str, UnitMatch]]) -> dict[str, UnitMatch]:
    """Pieces of one unit: the unit is covered in proportion to the pieces found."""
    merged: dict[str, UnitMatch] = {}
    for part in parts:
        for key, m in part.items():
            slot = merged.setdefault(key, UnitMatch())
            slot.score += m.score / len(parts)
            slot.covered += m.covered / len(parts)
            slot.marks |= m.marks
    return merged


def _best(*options: dict[str, UnitMatch]) -> dict[str, UnitMatch]:
    out: dict[str, UnitMatch] = {}
    for option in options:
        for key, m in option.items():
            out[key] = out.get(key, UnitMatch()).better(m)
    return out


def match_zh(index: Index, word: str) -> dict[str, UnitMatch]:
    direct = _zh_word(index, word)
    synonyms = [_zh_word(index, s, SYNONYM) for s in SYNONYMS.get(word, ())]
    options = [direct, *synonyms]
    if len(word) >= 3 or not direct:
        pieces = split_by_vocabulary(word, lambda p: p in index.zh and p != word)
        if pieces and len(pieces) > 1:
            options.append(_merge([match_zh(index, p) for p in pieces]))
    return _best(*options)


def _en_stem(index: Index, s: str, factor: float) -> dict[str, UnitMatch]:
    found: dict[str, UnitMatch] = {}
    for doc_stem, posting in index.en.items():
        if doc_stem == s:
            f = factor
        elif len(s) >= 3 and (
            doc_stem.startswith(s) or (len(doc_stem) >= 4 and s.startswith(doc_stem))
        ):
            f = factor * PREFIX
        else:
            continue
        for key, (weight, word) in posting.items():
            found[key] = found.get(key, UnitMatch()).better(UnitMatch(weight * f, 1.0, {word}))
    return found


def match_pinyin(index: Index, word: str) -> dict[str, UnitMatch]:
    """``gjj`` / ``gongjijin`` → 公积金; ``gjjzy`` → 公积金 + 转移."""
    if word in index.pinyin:
        return _best(*(_zh_word(index, zh, PINYIN) for zh in index.pinyin[word]))
    pieces = split_by_vocabulary(word, lambda p: p in index.pinyin)
    if pieces and len(pieces) > 1:
        return _merge([match_pinyin(index, p) for p in pieces])
    return {}


def match_latin(index: Index, word: str) -> dict[str, UnitMatch]:
    english = _en_stem(index, stem(word), 1.0)
    synonyms = [_en_stem(index, stem(s), SYNONYM) for s in SYNONYMS.get(word, ())]
    return _best(english, *synonyms, match_pinyin(index, word))


@dataclass
class Query:
    text: str  # normalized
    units: list[tuple[str, str]]  # (kind "zh" | "latin", word)


def parse(query: str, cut: Segment) -> Query:
    """Units of a query: Chinese words by ``cut`` (accurate mode), Latin words as typed.

    Latin words next to each other that mean nothing alone but spell pinyin together
    (``gong ji jin``) are joined by ``search`` when it scores.
    """
    text = normalize(query)
    units: list[tuple[str, str]] = []
    for run in _RUN.findall(text):
        if is_cjk(run):
            units += [("zh", w) for w in cut(run) if w.strip()]
        else:
            units += [("latin", w) for w in _LATIN_WORD.findall(run.replace("'s", ""))]
    kept = [(k, w) for k, w in units if w not in STOP_ZH and w not in STOP_EN]
    return Query(text, kept or units)


def _unit(index: Index, kind: str, word: str) -> dict[str, UnitMatch]:
    return match_zh(index, word) if kind == "zh" else match_latin(index, word)


def search(index: Index, query: str, cut: Segment) -> list[Hit]:
    """Services that match, best first (most units covered, then the highest score)."""
    q = parse(query, cut)
    if not q.units:
        return []
    unit_matches = [_unit(index, kind, word) for kind, word in q.units]
    # Latin words that found nothing alone may be one pinyin word typed with spaces.
    latin = [w for k, w in q.units if k == "latin"]
    if len(latin) > 1 and any(
        not m for (k, _), m in zip(q.units, unit_matches, strict=True) if k == "latin"
    ):
        joined = match_pinyin(index, "".join(latin))
        if joined:
            others = [m for (k, _), m in zip(q.units, unit_matches, strict=True) if k != "latin"]
            unit_matches = [*others, joined]
    n = len(unit_matches)
    phrase = q.text.replace(" ", "")
    hits: list[Hit] = []
    for key in index.entries:
        score = covered = 0.0
        marks: set[str] = set()
        for matches in unit_matches:
            m = matches.get(key)
            if m is not None:
                score += m.score
                covered += m.covered
                marks |= m.marks
        for weight, text in index.texts[key]:
            if weight >= ALIAS and phrase and phrase in text.replace(" ", ""):
                score += PHRASE_BONUS
                covered = float(n)
                marks.add(q.text)
                break
        if score > 0:
            hits.append(Hit(key, round(score, 3), round(covered / n, 3), frozenset(marks)))
    hits.sort(key=lambda h: (-h.covered, -h.score, -_name_share(index, h), h.key))
    if hits:
        top = hits[0]
        hits = [
            h
            for h in hits
            if h.covered >= top.covered / 2 and h.score >= top.score * KEEP_BELOW_TOP
        ]
    return hits


def _name_share(index: Index, hit: Hit) -> float:
    """Ties go to the service whose name is most about the query (异地就医 → 登记备案, the
    shorter name, before 费用手工报销)."""
    name = index.entries[hit.key].name_zh
    return sum(len(m) for m in hit.marks if m in name) / max(len(name), 1)


# ---- marking ------------------------------------------------------------------------------


def mark(text: str, words: Iterable[str]) -> list[tuple[str, bool]]:
    """``text`` in pieces, each flagged when it is a matched word (case-insensitive; Latin
    words only at word boundaries). The caller escapes each piece and wraps flagged ones."""
    if not text:
        return []
    lowered = unicodedata.normalize("NFKC", text).lower()
    if len(lowered) != len(text):  # width folding changed the length: match as written
        lowered = text.lower()
    flags = [False] * len(text)
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        w = word.lower()
        bounded = r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"
        pattern = re.escape(w) if is_cjk(w) else bounded
        for found in re.finditer(pattern, lowered):
            if not any(flags[found.start() : found.end()]):
                for i in range(found.start(), found.end()):
                    flags[i] = True
    pieces: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or flags[i] != flags[start]:
            pieces.append((text[start:i], flags[start]))
            start = i
    return pieces


def has_mark(pieces: Sequence[tuple[str, bool]]) -> bool:
    return any(flag for _, flag in pieces)
