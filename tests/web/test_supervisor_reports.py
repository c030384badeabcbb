"""The supervisor's filter form and report builders, without a database: a hand-made scope
and counters in, tables and cards out. Labels follow the interface language."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from tracker.domain import throughput as tp
from tracker.services import dashboard as dash
from tracker.web.supervisor.forms import ExtensionDecisionForm, FilterForm, Filters
from tracker.web.supervisor.reports import clock, overview, ratings, workload
from tracker.web.supervisor.reports.common import Links
from tracker.web.supervisor.tables import Link

TODAY = date(2026, 11, 20)

SCOPE = dash.Scope(
    region_code="510000",
    regions={
        "510000": dash.RegionRef("510000", None, "province", "四川省", "Sichuan"),
        "510100": dash.RegionRef("510100", "510000", "prefecture", "成都市", "Chengdu"),
        "510300": dash.RegionRef("510300", "510000", "prefecture", "自贡市", "Zigong"),
    },
    all_offices={
        1: dash.OfficeRef(1, "510100-hf", "成都公积金", "Chengdu HF", "510100", "hf"),
        2: dash.OfficeRef(2, "510300-hf", "自贡公积金", "Zigong HF", "510300", "hf"),
        3: dash.OfficeRef(3, "500100-hf", "重庆公积金", "Chongqing HF", "500100", "hf"),
    },
    services={7: dash.ServiceRef(7, "hf-retirement", "退休提取", "Retirement withdrawal", "hf")},
    departments={"hf": dash.DepartmentRef("hf", "公积金", "Housing fund")},
)
LINKS = Links(
    region=lambda code: f"/r/{code}",
    office=lambda i: f"/o/{i}",
    service=lambda i: f"/s/{i}",
    office_service=lambda o, s: f"/o/{o}/s/{s}",
    clock="/clock",
    ratings=lambda **kw: "/ratings",
    rectification=lambda i: f"/x/{i}",
)


def filters(**args: str) -> Filters:
    return FilterForm(MultiDict(args)).filters(SCOPE, TODAY)


@pytest.mark.parametrize(
    "args",
    [
        {"from": "2026-13-45", "to": "abc"},
        {"from": "2026-11-20", "to": "2026-01-01"},
        {"from": "2020-01-01", "to": "2026-11-20"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "\x00", "to": "\xff"},
        {"from": "9" * 5000},
        {"from": "2026-11-20T00:00"},
    ],
)
def test_an_odd_range_falls_back_to_the_last_30_days(args):
    f = filters(**args)
    assert (f.start, f.end) == (TODAY - timedelta(days=29), TODAY)


def test_filters_keep_good_values_and_drop_unknown_ones():
    f = filters(
        **{
            "from": "2026-11-09",
            "to": "2026-11-15",
            "group": "service",
            "dept": "hf",
            "service": "7",
        }
    )
    assert (f.start, f.end, f.group, f.dept, f.service) == (
        date(2026, 11, 9),
        date(2026, 11, 15),
        "service",
        "hf",
        7,
    )
    odd = filters(group="' OR 1=1--", dept="x';DROP", service="99999999999999999999")
    assert (odd.group, odd.dept, odd.service) == ("region", None, None)
    assert filters(service="-1").service is None
    assert filters(to="2027-01-05").end == TODAY  # never past today
    assert filters().args(service=7) == {"from": "2026-10-22", "to": "2026-11-20", "service": "7"}


def test_the_extension_form_reads_a_decision_a_reason_and_a_version():
    form = ExtensionDecisionForm(
        MultiDict({"decision": "refuse", "reason": "  不同意\n\t理由 ", "version": "3"})
    )
    assert (form.approve(), form.reason_text(), form.expected_version()) == (
        False,
        "不同意 理由",
        3,
    )
    odd = ExtensionDecisionForm(MultiDict({"decision": "maybe", "version": "x"}))
    assert (odd.approve(), odd.reason_text(), odd.expected_version()) == (None, "", None)


def part(kind: str, key: str | int, offices: tuple[int, ...], **counts: int) -> dash.Part:
    return dash.Part(kind, key, offices, Counter(counts))


def test_breakdown_lists_active_rows_notes_the_hidden_regions_and_totals_everything(app):
    parts = [
        part("region", "510100", (1,), received=4, accepted=3),
        part("region", "510300", (2,)),
    ]  # nothing in the range, nothing due: hidden
    now = {(1, 7): dash.Current(overdue=1, at_risk=2)}
    with app.test_request_context("/"):
        table = overview.breakdown(SCOPE, LINKS, "region", parts, now, [1, 2])
    assert [row[0] for row in table.rows] == [Link("成都市", "/r/510100")]
    assert table.rows[0][1:3] == [4, 3] and table.rows[0][-2:] == [1, 2]
    assert table.note == "另有 1 个地区区间内没有办件，未列出。"
    assert table.foot is not None and table.foot[0] == "合计" and table.foot[1] == 4
    # Something due now keeps an office's row even with an empty range.
    with app.test_request_context("/"):
        due = overview.breakdown(
            SCOPE,
            LINKS,
            "office",
            [part("office", 2, (2,))],
            {(2, 7): dash.Current(overdue=0, at_risk=1)},
            [2],
        )
    assert [row[0].text for row in due.rows] == ["自贡公积金"]


def test_rating_cards_count_bad_ratings(app):
    totals = Counter({tp.rating_metric(5): 6, tp.rating_metric(2): 2, tp.rating_metric(1): 1})
    summary = dash.RectificationSummary(total=3, followed_up=1, by_stage={}, overdue_open=0)
    with app.test_request_context("/"):
        cards = ratings.cards(totals, summary, LINKS)
    assert [(c.label, c.value) for c in cards][:2] == [("评价", "9"), ("差评", "3")]


def test_report_labels_follow_the_interface_language(app):
    totals = Counter({tp.rating_metric(5): 6, tp.rating_metric(2): 2, tp.rating_metric(1): 1})
    summary = dash.RectificationSummary(total=3, followed_up=1, by_stage={}, overdue_open=0)
    with app.test_request_context("/?lang=en"):
        cards = ratings.cards(totals, summary, LINKS)
        office_table, _ = ratings.count_tables(SCOPE, LINKS, [1], {1: totals}, {7: totals})
    assert [(c.label, c.value) for c in cards][:2] == [("Rating", "9"), ("Bad ratings", "3")]
    assert office_table.title == "Service ratings by office"
    assert office_table.rows[0][0] == Link("Chengdu HF", "/o/1")
    assert str(office_table.rows[0][-1]) == "33.3%"  # 3 bad of 9


def test_clock_service_rows_show_paused_days_per_completed_case(app):
    c = Counter(
        {tp.ON_TIME: 3, tp.LATE: 1, tp.APPROVED: 4, tp.PAUSED_DAYS: 6, tp.SUPPLEMENT_REQUESTS: 2}
    )
    with app.test_request_context("/"):
        table = clock.services_table(SCOPE, LINKS, {7: c})
    row = table.rows[0]
    assert row[1:4] == [4, 3, 1] and str(row[4]) == "75.0%" and str(row[-1]) == "1.50"
    assert table.foot is not None and table.foot[0] == "合计"


def test_workload_lists_clerks_with_work_and_notes_the_idle_ones(app):
    """The demo has a clerk for every office (400 and more): the workload page listed them all,
    868 rows and 330 000 px on a phone (issue 14's look at every page). A clerk with nothing
    open and nothing completed in the range is left out and counted under the table, as the
    overview's breakdown does for regions without cases."""
    busy = dash.ClerkLoad(1, "clerk.cd.hf", "张", 1, 2, {TODAY: 3})
    open_only = dash.ClerkLoad(2, "clerk.zg.hf", "李", 2, 1, {})
    idle = [dash.ClerkLoad(10 + i, f"clerk.{i}", "王", 1, 0, {}) for i in range(3)]
    loads = [busy, *idle, open_only]
    with app.test_request_context("/"):
        table = workload.clerks_table(SCOPE, loads, key="workload", title="经办人员工作量")
        matrix = workload.matrix_table(loads, [TODAY])
    assert [row[0] for row in table.rows] == ["clerk.cd.hf", "clerk.zg.hf"]
    assert table.note == "另有 3 名经办人员此刻没有在办、区间内也没有办结，未列出。"
    assert table.foot is not None and table.foot[3:5] == [3, 3]
    assert [row[0] for row in matrix.rows] == ["clerk.cd.hf", "clerk.zg.hf"]


def test_the_idle_clerks_note_is_in_english_too(app):
    idle = [dash.ClerkLoad(10 + i, f"clerk.{i}", "王", 1, 0, {}) for i in range(3)]
    with app.test_request_context("/?lang=en"):
        table = workload.clerks_table(SCOPE, idle, key="workload", title="")
    assert table.rows == [] and table.note.startswith("3 more clerks")
