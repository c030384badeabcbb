"""Catalogue search: jieba for Chinese words, pypinyin for ``gjj``/``gongjijin``, ranked hits.

The rules are in ``tracker.domain.search``; this module feeds them the libraries and the
catalogue. jieba's dictionary (about 350 000 words) is loaded once per process, lazily: in a
background thread started with the app (``warm_up``), or by the first search if that comes
sooner; every catalogue name and alias is added to it as a user word. The index is built
once per catalogue *version*: a fingerprint of what search reads (codes, names, summaries,
aliases) of the active services. Each search reads those few columns (one small query, which
the page needs anyway to show the hits); when the catalogue is reloaded or a service is
changed or withdrawn the fingerprint changes and the index is built again, in every worker.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin
from sqlalchemy.orm import joinedload

from ..domain import search as rules
from ..extensions import db
from ..models import Service

_lock = threading.Lock()
_tokenizer: Any = None
_warming = False
_user_words: set[str] = set()
_index: tuple[str, rules.Index] | None = None


def _jieba() -> Any:
    """The one jieba tokenizer of this process (a private one: the global stays untouched)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba  # type: ignore[import-untyped]  # no type hints shipped

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Start loading jieba's dictionary in a background thread (once per process), so the
    first search does not wait the second or two it takes; a search that comes sooner waits
    for the same load under the lock instead of starting another."""
    global _warming
    with _lock:
        if _warming or _tokenizer is not None:
            return
        _warming = True
    threading.Thread(target=_jieba, name="jieba-warm-up", daemon=True).start()


def _add_user_words(words: set[str]) -> None:
    tokenizer = _jieba()
    with _lock:
        for word in sorted(words - _user_words):
            tokenizer.add_word(word)
            _user_words.add(word)


def segment(text: str) -> list[str]:
    """Search mode: long words and the shorter words inside them."""
    return [w for w in _jieba().lcut_for_search(text) if w.strip()]


def cut(text: str) -> list[str]:
    """Accurate mode, for queries: one reading of the text."""
    return [w for w in _jieba().lcut(text) if w.strip()]


def spell(word: str) -> tuple[str, str]:
    full = "".join(lazy_pinyin(word, errors="ignore"))
    initials = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore"))
    return full.lower(), initials.lower()


def _fingerprint(rows: list[rules.Entry]) -> str:
    digest = hashlib.sha256()
    for e in rows:
        digest.update(repr(e).encode("utf-8"))
    return digest.hexdigest()


def _entries() -> list[rules.Entry]:
    rows = db.session.execute(
        sa.select(
            Service.code,
            Service.name_zh,
            Service.name_en,
            Service.summary_zh,
            Service.summary_en,
            Service.aliases,
        )
        .where(Service.active)
        .order_by(Service.code)
    )
    return [
        rules.Entry(
            key=r.code,
            name_zh=r.name_zh,
            name_en=r.name_en,
            summary_zh=r.summary_zh or "",
            summary_en=r.summary_en or "",
            aliases=tuple(str(a) for a in (r.aliases or ())),
        )
        for r in rows
    ]


def index() -> rules.Index:
    """The index for the catalogue as it is now; built again only when it changed."""
    global _index
    entries = _entries()
    version = _fingerprint(entries)
    current = _index
    if current is not None and current[0] == version:
        return current[1]
    words = {e.name_zh for e in entries} | {a for e in entries for a in e.aliases}
    _add_user_words({w for w in words if rules.is_cjk(w.replace(" ", ""))})
    built = rules.build_index(entries, segment, spell)
    _index = (version, built)
    return built


def reset() -> None:
    """Forget the index (tests; the fingerprint makes this unnecessary in the app)."""
    global _index
    _index = None


@dataclass
class Result:
    """One ranked hit: the service and its texts in marked pieces (the template escapes each
    piece and wraps matched ones in <mark>)."""

    service: Service
    rank: int
    score: float
    name_zh: list[tuple[str, bool]]
    name_en: list[tuple[str, bool]]
    summary_zh: list[tuple[str, bool]]
    summary_en: list[tuple[str, bool]]
    aliases: list[list[tuple[str, bool]]]  # the other names that matched, marked
    words: list[str]  # the catalogue words that matched

    @property
    def code(self) -> str:
        return self.service.code


def _display_marks(marks: frozenset[str]) -> set[str]:
    """The matched words and the words inside them (公积金转移 marks 公积金 and 转移)."""
    out = set(marks)
    for m in marks:
        if rules.is_cjk(m) and len(m) > 2:
            out |= {w for w in segment(m) if len(w) >= 2}
    longer = {m for m in out if len(m) > 1}
    return longer or out  # a lone 补 or 卡 is marked only when nothing longer matched


def search(query: str) -> list[Result]:
    """Active services matching ``query``, best first, with the matched words marked."""
    if not rules.normalize(query):
        return []
    idx = index()
    hits = rules.search(idx, query, cut)
    if not hits:
        return []
    services = {
        s.code: s
        for s in db.session.scalars(
            sa.select(Service)
            .where(Service.code.in_([h.key for h in hits]), Service.active)
            .options(joinedload(Service.department))
        )
    }
    results: list[Result] = []
    for rank, hit in enumerate(hits, start=1):
        svc = services.get(hit.key)
        if svc is None:  # withdrawn between the two reads
            continue
        words = _display_marks(hit.marks)
        entry = idx.entries[hit.key]
        names = f"{svc.name_zh} {svc.name_en}".lower()
        aliases = [
            pieces
            for pieces in (rules.mark(a, words) for a in entry.aliases)
            # worth showing only when it explains the match: a matched word the name lacks
            if any(hit and text.lower() not in names for text, hit in pieces)
        ]
        results.append(
            Result(
                service=svc,
                rank=rank,
                score=hit.score,
                name_zh=rules.mark(svc.name_zh, words),
                name_en=rules.mark(svc.name_en, words),
                summary_zh=rules.mark(svc.summary_zh or "", words),
                summary_en=rules.mark(svc.summary_en or "", words),
                aliases=aliases[:2],
                words=sorted(hit.marks),
            )
        )
    return results


def search_codes(query: str) -> list[str]:
    return [r.code for r in search(query)]
