"""GB/T 2260 region codes: six digits, province (PP0000), prefecture (PPCC00), county (PPCCDD)."""

from __future__ import annotations


def region_lineage(code: str) -> frozenset[str]:
    """The code with its prefecture and province codes (what a supervisor's scope can name)."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"not a GB/T 2260 code: {code!r}")
    return frozenset({code, code[:4] + "00", code[:2] + "0000"})


def in_scope(scope: str | None, code: str) -> bool:
    """Whether region ``code`` lies within ``scope`` (None: every region)."""
    return scope is None or scope in region_lineage(code)
