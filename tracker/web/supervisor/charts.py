"""Charts drawn on the server as inline SVG: no script, no internet, allowed by the CSP
(presentation attributes only, never ``style=``). Readable in black and white: the two series
differ by pattern (solid vs hatched) as well as colour, and bar charts carry their values as
direct labels. Every chart has a data table beside it on the page.

Every fragment is a literal ``Markup`` template filled with ``.format``, which escapes what
it is given, so no text can break out of the SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

INK, MUTED, GRID = "#1f2329", "#4e5866", "#cfd6e0"
RECEIVED_FILL, COMPLETED_INK = "#1a56a8", "#136c3a"


def _nice_max(value: int) -> tuple[int, int]:
    """An axis maximum ≥ value and its tick step (1, 2 or 5 × 10ⁿ, at most five ticks)."""
    value = max(value, 1)
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**power
            if step * 5 >= value:
                return step * math.ceil(value / step), step
    return value, value


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open_svg(
    chart_id: str, w: int, h: int, title: str, desc: str, extra_class: str = ""
) -> Markup:
    return Markup(
        '<svg class="sv-chart{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg" '
        'font-family="sans-serif"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>'
    ).format(extra_class, w, h, w, h, chart_id, chart_id, chart_id, title, chart_id, desc)


@dataclass(frozen=True)
class Bucket:
    short: str  # axis label, e.g. "11-02"
    full: str  # e.g. "2026-11-02" or "2026-11-02 起一周"
    received: int
    completed: int


def throughput_svg(
    buckets: list[Bucket],
    *,
    chart_id: str,
    title: str,
    desc: str,
    received_label: str,
    completed_label: str,
) -> Markup:
    """Received (solid) and completed (hatched) bars per day or week, side by side."""
    w, h, left, right, top, bottom = 560, 280, 44, 8, 34, 42
    pw, ph = w - left - right, h - top - bottom
    top_value, step = _nice_max(max((max(b.received, b.completed) for b in buckets), default=0))
    hatch = f"{chart_id}-hatch"
    out = [
        _open_svg(chart_id, w, h, title, desc),
        Markup(
            '<defs><pattern id="{}" patternUnits="userSpaceOnUse" width="5" height="5" '
            'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
            '<line x1="0" y1="0" x2="0" y2="5" stroke="{}" stroke-width="3"/></pattern></defs>'
        ).format(hatch, COMPLETED_INK),
    ]
    # Legend (top left): the swatches are the bars' own fills; the second swatch follows
    # the first label's width (wide CJK glyphs, narrower Latin ones).
    second = left + max(80, 21 + sum(14 if ord(ch) > 0x2E80 else 8 for ch in received_label) + 16)
    out.append(
        Markup(
            '<g font-size="14" fill="{ink}"><rect x="{x0}" y="8" width="16" height="14" '
            'fill="{solid}"/><text x="{x1}" y="20">{received}</text>'
            '<rect x="{x2}" y="8" width="16" height="14" fill="url(#{hatch})" stroke="{green}"/>'
            '<text x="{x3}" y="20">{completed}</text></g>'
        ).format(
            ink=INK,
            x0=left,
            solid=RECEIVED_FILL,
            x1=left + 21,
            received=received_label,
            x2=second,
            hatch=hatch,
            green=COMPLETED_INK,
            x3=second + 21,
            completed=completed_label,
        )
    )
    # Grid (dashed; the base line solid) and the y axis.
    out.append(Markup('<g font-size="13" fill="{}" text-anchor="end">').format(MUTED))
    for tick in range(0, top_value + 1, step):
        y = top + ph - ph * tick / top_value
        out.append(
            Markup(
                '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{}" stroke-width="1" '
                'stroke-dasharray="{}"/><text x="{}" y="{}">{}</text>'
            ).format(
                left,
                w - right,
                GRID,
                "none" if tick == 0 else "3 3",
                left - 6,
                _f(y + 4),
                tick,
                y=_f(y),
            )
        )
    out.append(Markup("</g>"))
    if not buckets:
        out.append(
            Markup(
                '<text x="{}" y="{}" font-size="14" fill="{}" text-anchor="middle">{}</text>'
            ).format(w / 2, top + ph / 2, MUTED, _("区间内没有数据"))
        )
    else:
        band = pw / len(buckets)
        bar = min(band * 0.4, 18)
        every = max(1, math.ceil(len(buckets) / 6))
        out.append(Markup('<g font-size="13" fill="{}" text-anchor="middle">').format(INK))
        for i, b in enumerate(buckets):
            mid = left + band * i + band / 2
            for value, x, fill, stroke, label in (
                (b.received, mid - bar - 0.5, RECEIVED_FILL, "none", received_label),
                (b.completed, mid + 0.5, f"url(#{hatch})", COMPLETED_INK, completed_label),
            ):
                bh = ph * value / top_value
                out.append(
                    Markup(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
                        'stroke-width="1"><title>{} {} {}</title></rect>'
                    ).format(
                        _f(x),
                        _f(top + ph - bh),
                        _f(bar),
                        _f(bh),
                        fill,
                        stroke,
                        b.full,
                        label,
                        value,
                    )
                )
            if i % every == 0:
                out.append(
                    Markup('<text x="{}" y="{}">{}</text>').format(
                        _f(mid), h - bottom + 18, b.short
                    )
                )
        out.append(Markup("</g>"))
    out.append(
        Markup(
            '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{}" stroke-width="1"/></svg>'
        ).format(left, w - right, INK, y=top + ph)
    )
    return Markup("").join(out)


def hbar_svg(
    items: list[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    unit: str | None = None,
    show_share: bool = True,
) -> Markup:
    """One bar per item with its value written at the end of the bar (direct labels)."""
    row, label_w, w, pad = 32, 150, 560, 8
    h = pad * 2 + row * max(len(items), 1)
    total = sum(v for _, v in items)
    top_value = max((v for _, v in items), default=0) or 1
    bar_space = w - label_w - 140
    unit = _("件") if unit is None else unit
    out = [
        _open_svg(chart_id, w, h, title, desc, " sv-chart-h"),
        Markup('<g font-size="14" fill="{}">').format(INK),
    ]
    for i, (label, value) in enumerate(items):
        y = pad + row * i
        bw = max(bar_space * value / top_value, 1)
        share = (
            _("（%(pct)s%%）", pct=format(value / total * 100, ".1f"))
            if show_share and total
            else ""
        )
        out.append(
            Markup(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="20" fill="{}" stroke="{}" '
                'stroke-width="0.5"/><text x="{}" y="{}">{} {}{}</text>'
            ).format(
                label_w - 8,
                y + 21,
                label,
                label_w,
                y + 6,
                _f(bw),
                RECEIVED_FILL,
                INK,
                _f(label_w + bw + 6),
                y + 21,
                value,
                unit,
                share,
            )
        )
    out.append(Markup("</g></svg>"))
    return Markup("").join(out)
