"""The counters behind a breakdown table: per service, per office, or per region directly below
a region (with the offices sitting in that region itself). One or two grouped queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .grain import Selection, by_office, by_region, by_service, merge
from .scope import Scope


@dataclass(frozen=True)
class Part:
    """One row's key: ``kind`` "region" (``key`` a region code), "office" or "service" (an
    id); ``office_ids`` are the offices whose current figures add up to the row."""

    kind: str
    key: str | int
    office_ids: tuple[int, ...]
    counts: Counter[str] = field(compare=False)


def by_child_region(
    scope: Scope, sel: Selection, under: str | None, office_ids: list[int]
) -> tuple[list[Part], list[Part]]:
    """Regions directly below ``under`` (code order), and the offices in ``under`` itself."""
    members: dict[str, list[int]] = {}
    direct: list[int] = []
    for office_id in office_ids:
        child = scope.child_region(under, scope.offices[office_id])
        if child is None:
            direct.append(office_id)
        else:
            members.setdefault(child, []).append(office_id)
    if sel.area is not None:  # one row key per region: the area grain
        per_region = by_region(sel, members)
    else:
        per_office = by_office(sel, [i for ids in members.values() for i in ids])
        per_region = {
            code: merge(per_office.get(i, Counter()) for i in ids) for code, ids in members.items()
        }
    per_direct = by_office(sel, direct) if direct else {}
    regions = [
        Part("region", code, tuple(members[code]), per_region.get(code, Counter()))
        for code in sorted(members)
    ]
    offices = [Part("office", i, (i,), per_direct.get(i, Counter())) for i in direct]
    return regions, offices


def by_services(scope: Scope, sel: Selection) -> list[Part]:
    counts = by_service(sel, list(scope.services))
    return [
        Part("service", i, (), counts.get(i, Counter()))
        for i in sorted(scope.services, key=lambda i: scope.services[i].code)
    ]


def by_offices(sel: Selection, office_ids: list[int]) -> list[Part]:
    counts = by_office(sel, office_ids)
    return [Part("office", i, (i,), counts.get(i, Counter())) for i in office_ids]


def parts(
    scope: Scope, group: str, sel: Selection, under: str | None, office_ids: list[int]
) -> list[Part]:
    """The rows of a breakdown ``group`` ("region", "office" or "service") in table order."""
    if group == "service":
        return by_services(scope, sel)
    if group == "region":
        regions, offices = by_child_region(scope, sel, under, office_ids)
        return regions + offices
    return by_offices(sel, office_ids)
