"""The order an applicant sees offices in: the likely one first, then by province (their own
province first), each province's offices in region-code order. Pure: the caller passes each
office's region and the regions' parents."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

LIKELY = ""  # the group key of the suggested office


def region_chain(code: str | None, parents: Mapping[str, str | None]) -> list[str]:
    """``code`` and its ancestors, nearest first (a district, its city, its province)."""
    chain: list[str] = []
    while code and code not in chain:
        chain.append(code)
        code = parents.get(code)
    return chain


def province_of(code: str, parents: Mapping[str, str | None]) -> str:
    chain = region_chain(code, parents)
    return chain[-1] if chain else code


def likely_office(
    offices: Sequence[T],
    region_of: Callable[[T], str],
    home: str | None,
    parents: Mapping[str, str | None],
) -> T | None:
    """The office nearest the applicant's registered region (its own region, else its city);
    none when only the province — or nothing — is shared."""
    chain = region_chain(home, parents)[:-1] or region_chain(home, parents)[:1]
    for code in chain:
        for office in offices:
            if region_of(office) == code:
                return office
    return None


def grouped_offices(
    offices: Sequence[T],
    region_of: Callable[[T], str],
    home: str | None,
    parents: Mapping[str, str | None],
) -> tuple[list[tuple[str, list[T]]], T | None]:
    """[(group key, offices)]: the likely office under ``LIKELY``, then one group per province
    code, the applicant's province first; and the likely office (to preselect)."""
    likely = likely_office(offices, region_of, home, parents)
    home_province = province_of(home, parents) if home else None
    by_province: dict[str, list[T]] = {}
    for office in sorted(offices, key=region_of):
        if office is likely:
            continue
        by_province.setdefault(province_of(region_of(office), parents), []).append(office)
    order = sorted(by_province, key=lambda p: (p != home_province, p))
    groups = [(p, by_province[p]) for p in order]
    if likely is not None:
        groups.insert(0, (LIKELY, [likely]))
    return groups, likely
