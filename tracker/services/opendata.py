"""Open data (政务数据开放): anonymised daily outcomes as a standalone SQLite file.

One row per day × region × service × outcome with a count, read from the daily rollup (never
from cases, never a person): the region is the office's region (receipts where the case was
filed, everything else where it was decided). Cells under ``min_cell`` are suppressed — the
count is NULL and ``suppressed`` is 1 — so that nobody can be singled out from a small
number. A ``columns`` table inside the file and a Markdown README beside it describe every
column, so the file can be published as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlite_utils

from ..domain import throughput as tp
from ..extensions import db
from ..models import DailyRollup, Office, Region, Service

# The outcomes published (no histograms, ratings or working-day sums: counts of cases only).
OUTCOMES = (
    tp.RECEIVED,
    tp.ACCEPTED,
    tp.NOT_ACCEPTED,
    tp.APPROVED,
    tp.APPROVED_TOLERATED,
    tp.REFUSED,
    tp.WITHDRAWN,
    tp.CANCELLED,
    tp.ON_TIME,
    tp.LATE,
)

COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("day", "TEXT", "日期（北京时间，YYYY-MM-DD）", "Day (Beijing time, YYYY-MM-DD)"),
    (
        "region_code",
        "TEXT",
        "行政区划代码（GB/T 2260）：收件计入收件地，其余计入办理地",
        "Region code (GB/T 2260): receipts count where filed, everything else where decided",
    ),
    ("region_name", "TEXT", "行政区划名称", "Region name"),
    ("service_code", "TEXT", "事项编码", "Service code"),
    ("service_name", "TEXT", "事项名称", "Service name"),
    (
        "outcome",
        "TEXT",
        "结果：" + "、".join(f"{m}（{tp.METRIC_LABELS[m][0]}）" for m in OUTCOMES),
        "Outcome: " + ", ".join(f"{m} ({tp.METRIC_LABELS[m][1]})" for m in OUTCOMES),
    ),
    (
        "count",
        "INTEGER",
        "办件数；小于阈值时为空（已抑制）",
        "Number of cases; empty when below the threshold (suppressed)",
    ),
    (
        "suppressed",
        "INTEGER",
        "1 表示该格小于阈值、数量已隐去；0 表示公开",
        "1 when the cell was below the threshold and its count withheld; 0 otherwise",
    ),
)


@dataclass(frozen=True)
class OpenDataReport:
    rows: int
    suppressed: int
    path: Path
    readme: Path


def _cells(
    start: date, end: date, office_ids: Collection[int] | None
) -> dict[tuple[date, str, int, str], int]:
    """Counts per (day, region, service, outcome), summed over the region's offices in SQL."""
    stmt = (
        sa.select(
            DailyRollup.day,
            Office.region_code,
            DailyRollup.service_id,
            DailyRollup.metric,
            sa.func.sum(DailyRollup.count),
        )
        .join(Office, Office.id == DailyRollup.office_id)
        .where(DailyRollup.day.between(start, end), DailyRollup.metric.in_(OUTCOMES))
        .group_by(DailyRollup.day, Office.region_code, DailyRollup.service_id, DailyRollup.metric)
    )
    if office_ids is not None:
        stmt = stmt.where(DailyRollup.office_id.in_(list(office_ids)))
    out: dict[tuple[date, str, int, str], int] = defaultdict(int)
    for day, region, service_id, metric, n in db.session.execute(stmt):
        out[(day, region, service_id, metric)] += int(n or 0)
    return out


def export_open_data(
    path: Path | str,
    *,
    start: date,
    end: date,
    min_cell: int = 5,
    office_ids: Collection[int] | None = None,
    scope_name: str = "全部地区",
) -> OpenDataReport:
    """Write ``path`` (replaced if it exists) and ``path.with_suffix(".md")``.

    ``office_ids`` limits the figures to those offices (a supervisor's scope); None: all.
    """
    path = Path(path)
    if start > end:
        raise ValueError("start must not be after end")
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    regions = {r.code: r.name_zh for r in db.session.scalars(sa.select(Region))}
    services = {s.id: (s.code, s.name_zh) for s in db.session.scalars(sa.select(Service))}
    rows, suppressed = [], 0
    for (day, region, service_id, metric), n in sorted(_cells(start, end, office_ids).items()):
        if n == 0:
            continue
        hidden = n < min_cell
        suppressed += hidden
        code, name = services[service_id]
        rows.append(
            {
                "day": day.isoformat(),
                "region_code": region,
                "region_name": regions.get(region, ""),
                "service_code": code,
                "service_name": name,
                "outcome": metric,
                "count": None if hidden else n,
                "suppressed": int(hidden),
            }
        )

    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    out = sqlite_utils.Database(path)
    try:
        table = out.table("daily_outcomes")
        table.create(
            {
                "day": str,
                "region_code": str,
                "region_name": str,
                "service_code": str,
                "service_name": str,
                "outcome": str,
                "count": int,
                "suppressed": int,
            },
            pk=("day", "region_code", "service_code", "outcome"),
            not_null={"day", "region_code", "service_code", "outcome", "suppressed"},
        )
        table.insert_all(rows, batch_size=1000)
        table.create_index(["region_code", "service_code", "day"])
        out.table("columns").insert_all(
            [
                {
                    "table_name": "daily_outcomes",
                    "position": i,
                    "column_name": name,
                    "type": kind,
                    "description_zh": zh,
                    "description_en": en,
                }
                for i, (name, kind, zh, en) in enumerate(COLUMNS, start=1)
            ],
            pk=("table_name", "column_name"),
        )
        out.table("metadata").insert_all(
            [
                {"key": "title", "value": "川渝通办 每日办件结果（匿名汇总）"},
                {"key": "scope", "value": scope_name},
                {"key": "start", "value": start.isoformat()},
                {"key": "end", "value": end.isoformat()},
                {"key": "min_cell", "value": str(min_cell)},
                {"key": "generated_at", "value": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            ],
            pk="key",
        )
    finally:
        out.close()
    readme = path.with_suffix(".md")
    readme.write_text(
        readme_text(
            path.name,
            start=start,
            end=end,
            min_cell=min_cell,
            scope_name=scope_name,
            rows=len(rows),
            suppressed=suppressed,
        ),
        encoding="utf-8",
    )
    return OpenDataReport(rows=len(rows), suppressed=suppressed, path=path, readme=readme)


def readme_text(
    filename: str,
    *,
    start: date,
    end: date,
    min_cell: int,
    scope_name: str,
    rows: int,
    suppressed: int,
) -> str:
    lines = [
        f"# {filename}：川渝通办每日办件结果（匿名汇总）",
        "",
        f"- 范围：{scope_name}，{start.isoformat()} 至 {end.isoformat()}（北京时间）",
        f"- 行数：{rows}，其中 {suppressed} 格因小于 {min_cell} 件而隐去数量（`count` 为空，"
        "`suppressed` 为 1）",
        "- 只有汇总计数：不含任何申请人姓名、身份证号、手机号或办件编号。",
        "- 来源：通办系统每日汇总表（与每一步办理记录在同一事务中更新）。",
        "",
        "## 表 `daily_outcomes`",
        "",
        "| 列 | 类型 | 说明 | Description |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {zh} | {en} |" for name, kind, zh, en in COLUMNS]
    lines += ["", "表 `columns` 即上表；表 `metadata` 记录范围、阈值和生成时间。", ""]
    return "\n".join(lines)
