"""The supervisor's figures (tracker.services.dashboard) equal counts made directly from the
cases, for a scope and a range; rectification moves; the open-data file.

One demo database (120 cases through the real services) is seeded once for the module and
copied for each test (``template_db`` is overridden below)."""

from __future__ import annotations

import sqlite3
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import citizen, clerk, submit, supervisor
from tests.conftest import seeded_copy
from tracker.domain import clock
from tracker.domain import throughput as tp
from tracker.domain.errors import DomainError
from tracker.domain.states import COMPLETED_STATES, OPEN_STATES, CaseStatus
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import (
    AuditEntry,
    Case,
    ClockPause,
    Notification,
    Office,
    Rating,
    Rectification,
    User,
)
from tracker.services import cases as case_ops
from tracker.services import dashboard as dash
from tracker.services import rectification, workqueue
from tracker.services.calendar import get_calendar, local_date
from tracker.services.opendata import COLUMNS, export_open_data

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai, after the seed's last move
FIRST = TODAY - timedelta(days=70)  # before the first demo case


@pytest.fixture(scope="module")
def template_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_copy(template_db, tmp_path_factory, today=TODAY, cases=120, seed=5)


def cases() -> list[Case]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Case)))


def office_region() -> dict[int, str]:
    return {o.id: o.region_code for o in db.session.scalars(sa.select(Office))}


def completed_on(case: Case) -> date | None:
    if case.status in COMPLETED_STATES and case.completed_at is not None:
        return local_date(case.completed_at)
    return None


# ---- range figures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (FIRST, TODAY),
        (TODAY - timedelta(days=29), TODAY),
        (TODAY - timedelta(days=13), TODAY - timedelta(days=7)),
    ],
)
@pytest.mark.parametrize("area", [None, "*"])  # the fine grain, the area grain
def test_range_totals_equal_counts_from_the_cases(app, start, end, area):
    everything = cases()
    sel = dash.Selection.of(None, None, start, end, area=area)
    totals = dash.totals(sel)
    received = [c for c in everything if start <= c.received_on <= end]
    done = [c for c in everything if (d := completed_on(c)) and start <= d <= end]
    assert totals[tp.RECEIVED] == len(received) > 0
    assert dash.completed(totals) == len(done) > 0
    for status, metric in (
        (CaseStatus.APPROVED, tp.APPROVED),
        (CaseStatus.REFUSED, tp.REFUSED),
        (CaseStatus.APPROVED_TOLERATED, tp.APPROVED_TOLERATED),
    ):
        assert totals[metric] == sum(c.status is status for c in done)
    late = [c for c in done if c.due_on is not None and completed_on(c) > c.due_on]
    assert totals[tp.LATE] == len(late)
    assert totals[tp.ON_TIME] + totals[tp.LATE] == len(done)
    # Day by day too (what the chart draws).
    days = dash.by_day(sel)
    per_day = Counter(c.received_on for c in received)
    assert {d: c[tp.RECEIVED] for d, c in days.items() if c[tp.RECEIVED]} == dict(per_day)
    done_per_day = Counter(completed_on(c) for c in done)
    assert {d: dash.completed(c) for d, c in days.items() if dash.completed(c)} == dict(
        done_per_day
    )


def test_scope_sees_only_its_own_offices(app):
    everything = cases()
    region_of = office_region()
    sichuan, chongqing = dash.load_scope("510000"), dash.load_scope("500000")
    assert sichuan.offices and all(o.region_code.startswith("51") for o in sichuan.offices.values())
    assert all(o.region_code.startswith("50") for o in chongqing.offices.values())
    assert not set(sichuan.offices) & set(chongqing.offices)
    for scope, prefix, area in (
        (sichuan, "51", None),
        (chongqing, "50", None),
        (sichuan, "51", "510000"),
        (chongqing, "50", "500000"),
    ):
        sel = dash.Selection.of(scope.office_ids(), None, FIRST, TODAY, area=area)
        totals = dash.totals(sel)
        assert totals[tp.RECEIVED] == sum(
            region_of[c.receiving_office_id].startswith(prefix) for c in everything
        )
        assert dash.completed(totals) == sum(
            completed_on(c) is not None and region_of[c.competent_office_id].startswith(prefix)
            for c in everything
        )
        by_office = dash.by_office(sel, scope.office_ids())
        assert set(by_office) <= set(scope.offices)
    # The two provinces together are everything.
    both = [
        dash.totals(dash.Selection.of(s.office_ids(), None, FIRST, TODAY))
        for s in (sichuan, chongqing)
    ]
    assert both[0] + both[1] == dash.totals(dash.Selection.of(None, None, FIRST, TODAY))
    # A prefecture scope and the department filter narrow further.
    chengdu = dash.load_scope("510100")
    assert {o.region_code for o in chengdu.offices.values()} == {"510100"}
    hf = sichuan.office_ids(department="hf")
    assert hf and all(sichuan.offices[i].department_code == "hf" for i in hf)


def test_regions_below_the_scope(app):
    scope = dash.load_scope(None)
    chengdu_hf = next(o for o in scope.offices.values() if o.code == "510100-hf")
    yubei_hf = next(o for o in scope.offices.values() if o.code == "500112-hf")
    assert scope.child_region(None, chengdu_hf) == "510000"
    assert scope.child_region("510000", chengdu_hf) == "510100"
    assert scope.child_region("500000", yubei_hf) == "500112"
    assert scope.child_region("510100", chengdu_hf) is None  # the office sits in it
    assert scope.child_region("500000", chengdu_hf) is None  # not below it at all
    sichuan = dash.load_scope("510000")
    assert sichuan.covers_region("510100") and sichuan.covers_region("510000")
    assert not sichuan.covers_region("500112") and not sichuan.covers_region("999999")
    assert not dash.load_scope("510100").covers_region("510000")  # no looking upwards


@pytest.mark.parametrize("region", [None, "510000", "500000", "510100", "500112"])
@pytest.mark.parametrize(
    ("department", "service"),
    [(None, None), ("hf", None), ("mi", None), (None, "first"), (None, "last")],
)
def test_the_area_grain_says_what_the_fine_grain_says(app, region, department, service):
    """Every selection a page makes of a region (or everything) — all services, one
    department, one service — sums the same from the area grain as from the fine grain:
    totals, per day, per child region, per office and per service."""
    scope = dash.load_scope(region)
    service_id = (
        None if service is None else sorted(scope.services)[0 if service == "first" else -1]
    )
    office_ids = scope.office_ids(department=department)
    services = None if service_id is None else [service_id]
    area, subset = dash.area_key(region=region, department=department, service_id=service_id)
    assert area == (region or "*")
    for start, end in ((FIRST, TODAY), (TODAY - timedelta(days=29), TODAY - timedelta(days=3))):
        fine = dash.Selection.of(office_ids, services, start, end)
        coarse = dash.Selection.of(office_ids, services, start, end, area=area, subset=subset)
        assert dash.totals(coarse) == dash.totals(fine)
        assert dash.by_day(coarse) == dash.by_day(fine)
        per_office = dash.by_office(fine, office_ids)
        children: dict[str, list[int]] = {}
        for i in office_ids:
            child = scope.child_region(region, scope.offices[i])
            if child is not None:
                children.setdefault(child, []).append(i)
        per_region = {
            code: dash.merge(per_office.get(i, Counter()) for i in ids)
            for code, ids in children.items()
        }
        assert dash.by_region(coarse, children) == {k: v for k, v in per_region.items() if v}
        assert dash.by_office(coarse, office_ids) == per_office
        if department is None:
            assert dash.by_service(coarse, list(scope.services)) == dash.by_service(
                fine, list(scope.services)
            )
    if service is None and region in (None, "510000", "500000"):  # it compares something
        whole = dash.Selection.of(office_ids, services, FIRST, TODAY)
        assert dash.totals(whole)[tp.RECEIVED] > 0


def test_an_office_or_a_department_with_a_service_has_no_area_key():
    assert dash.area_key(office_id=7) == ("o:7", "*")
    assert dash.area_key(office_id=7, department="hf") == ("o:7", "*")
    assert dash.area_key(office_id=7, service_id=3)[0] is None
    assert dash.area_key(region="510000", department="hf", service_id=3)[0] is None
    assert dash.area_key(region="510000", department="hf") == ("510000", "d:hf")
    assert dash.area_key(service_id=3) == ("*", "s:3")


# ---- the state of things now ----------------------------------------------------------------


@pytest.mark.parametrize("today", [TODAY, TODAY + timedelta(days=10), TODAY + timedelta(days=40)])
def test_overdue_and_at_risk_equal_counts_from_the_cases(app, today):
    everything = cases()
    scope = dash.load_scope("510000")
    until = dash.risk_until(today, 3)
    now = dash.current(scope.office_ids(), None, today, until)
    open_here = [
        c
        for c in everything
        if c.status in OPEN_STATES and c.custody_office_id in scope.offices and c.act_by is not None
    ]
    overdue = sum(c.act_by < today for c in open_here)
    at_risk = sum(today <= c.act_by <= until for c in open_here)
    assert sum(c.overdue for c in now.values()) == overdue
    assert sum(c.at_risk for c in now.values()) == at_risk
    if today > TODAY:
        assert overdue > 0
    lines = [line for o in scope.office_ids() for line in dash.overdue_cases(o, None, today)]
    assert sorted(line.tracking_number for line in lines) == sorted(
        c.tracking_number for c in open_here if c.act_by < today
    )
    # in working days, as the queue counts them (not calendar days)
    calendar = get_calendar()
    assert all(line.act_by < today for line in lines)
    assert all(line.days == calendar.working_days_between(line.act_by, today) for line in lines)
    assert any(line.days != (today - line.act_by).days for line in lines) or not lines


@pytest.mark.parametrize("today", [TODAY, TODAY + timedelta(days=10), TODAY + timedelta(days=40)])
def test_a_queue_s_due_counts_equal_its_filtered_lists(app, today):
    """The clerk queue's badge counts come from the open-case histogram; each equals the
    number of cases its filter lists (counted from the cases)."""
    everything = cases()
    until = dash.risk_until(today, 3)
    busiest = Counter(c.custody_office_id for c in everything if c.status in OPEN_STATES)
    clerk_id = db.session.scalar(sa.select(User.id).limit(1))
    for office_id, _ in busiest.most_common(5):
        page = workqueue.office_queue(
            office_id, workqueue.QueueFilters(), user_id=clerk_id, today=today, risk_until=until
        )
        assert page.total == busiest[office_id]
        for due in workqueue.DUE_FILTERS:
            listed = workqueue.office_queue(
                office_id,
                workqueue.QueueFilters(due=due),
                user_id=clerk_id,
                today=today,
                risk_until=until,
            )
            assert page.counts[f"due:{due}"] == listed.total, (office_id, due)
        assert sum(page.counts[f"due:{d}"] for d in workqueue.DUE_FILTERS) <= page.total


def test_open_work_per_clerk_and_unassigned_per_office_equal_counts_from_the_cases(app):
    scope = dash.load_scope("510000")
    # Two clerks of the busiest Sichuan office claim some of its open cases.
    open_cases = [
        c for c in cases() if c.status in OPEN_STATES and c.custody_office_id in scope.offices
    ]
    office_id = Counter(c.custody_office_id for c in open_cases).most_common(1)[0][0]
    mine = [c.id for c in open_cases if c.custody_office_id == office_id]
    code = db.session.get(Office, office_id).code
    first, second = clerk(code), clerk(code)
    for i, case_id in enumerate(mine[:3]):
        case_ops.assign(case_id, first, first if i < 2 else second, NOW)
    everything = cases()
    open_here = [
        c for c in everything if c.status in OPEN_STATES and c.custody_office_id in scope.offices
    ]
    grouped = dash.open_by_assignee(scope.office_ids())
    assert grouped == dict(Counter((c.custody_office_id, c.assignee_id) for c in open_here))
    assert dash.unassigned_open(grouped) == dict(
        Counter(c.custody_office_id for c in open_here if c.assignee_id is None)
    )
    loads = dash.workload(scope.office_ids(), dash.Selection.of(None, None, FIRST, TODAY), grouped)
    assigned = Counter(c.assignee_id for c in open_here if c.assignee_id is not None)
    assert assigned, "the demo data should have assigned open cases"
    assert {x.user_id: x.open_cases for x in loads if x.open_cases} == dict(assigned)


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 11, 20),
        date(2026, 11, 22),
        date(2026, 10, 5),
        date(2026, 10, 9),
        date(2026, 10, 12),
        date(2026, 2, 24),
    ],
)
def test_backlog_boundaries_match_counting_working_days_case_by_case(app, today):
    """The bucket a receipt day falls in by the precomputed boundaries is the bucket of its
    age counted day by day (weekends, the National Day holiday and its make-up days)."""
    cal = get_calendar()
    b5, b10, b20 = dash.backlog_boundaries(today)

    def by_boundary(d: date) -> int:
        return 0 if d >= b5 else 1 if d >= b10 else 2 if d >= b20 else 3

    def by_counting(d: date) -> int:
        age = cal.working_days_between(d, today)
        return next(
            i
            for i, (lo, hi) in enumerate(dash.BACKLOG_BUCKETS)
            if age >= lo and (hi is None or age <= hi)
        )

    for back in range(0, 60):
        d = today - timedelta(days=back)
        assert by_boundary(d) == by_counting(d), d


def test_backlog_per_office_equals_counts_from_the_cases(app):
    everything = cases()
    scope = dash.load_scope(None)
    today = TODAY + timedelta(days=5)
    cal = get_calendar()
    expected: Counter[int] = Counter()
    for c in everything:
        if c.status in OPEN_STATES:
            age = cal.working_days_between(c.received_on, today)
            expected[0 if age <= 5 else 1 if age <= 10 else 2 if age <= 20 else 3] += 1
    got = dash.backlog(scope.office_ids(), None, today)
    total = [sum(v[i] for v in got.values()) for i in range(4)]
    assert total == [expected[i] for i in range(4)]
    assert sum(total) == sum(c.status in OPEN_STATES for c in everything) > 0


def test_mean_and_median_working_days_per_service_from_the_histogram(app):
    """Per service, the rollup's mean and (exact) median of working days from acceptance to
    completion equal those computed case by case from the cases and their pauses."""
    everything = cases()
    cal = get_calendar()
    pauses: dict[int, list[ClockPause]] = {}
    for p in db.session.scalars(sa.select(ClockPause)):
        pauses.setdefault(p.case_id, []).append(p)
    used: dict[int, list[int]] = {}
    paused: Counter[int] = Counter()
    for c in everything:
        done = completed_on(c)
        if done is None or c.clock_start_on is None:
            continue
        spans = [
            clock.Pause(p.started_on, p.ended_on, p.kind)  # type: ignore[arg-type]
            for p in pauses.get(c.id, [])
            if p.ended_on and p.ended_on > c.clock_start_on
        ]
        used.setdefault(c.service_id, []).append(
            clock.working_days_used(c.clock_start_on, spans, done, cal)
        )
        paused[c.service_id] += sum(
            cal.working_days_between(max(p.start, c.clock_start_on), p.end or done)
            for p in spans
            if p.kind == "supplement"
        )
    services = list(dash.load_scope(None).services)
    per_service = dash.by_service(dash.Selection.of(None, None, FIRST, TODAY), services)
    assert per_service == dash.by_service(  # the area grain says the same
        dash.Selection.of(None, None, FIRST, TODAY, area="*"), services
    )
    assert len(used) >= 3
    for service_id, days in used.items():
        c = per_service[service_id]
        assert tp.median_working_days(c) == statistics.median(days), service_id
        assert tp.mean_working_days(c) == pytest.approx(statistics.mean(days))
        assert c[tp.PAUSED_DAYS] == paused[service_id]


def test_late_completions_list_the_late_cases_with_their_reasons(app):
    everything = cases()
    sel = dash.Selection.of(None, None, FIRST, TODAY)
    late = [c for c in everything if (d := completed_on(c)) and c.due_on and d > c.due_on]
    assert late, "the demo data should have late completions"
    office_id = Counter(c.competent_office_id for c in late).most_common(1)[0][0]
    lines = dash.late_completions(office_id, None, sel)
    assert sorted(line.tracking_number for line in lines) == sorted(
        c.tracking_number for c in late if c.competent_office_id == office_id
    )
    assert all(line.days and line.days > 0 for line in lines)
    sel = dash.Selection.of([office_id], None, FIRST, TODAY)
    assert dash.by_office(sel, [office_id])[office_id][tp.LATE] == len(lines)


def test_free_text_is_redacted():
    text = "张伟来电13900000001，身份证11010519491231002X，账号 6222 0000; 2026-11-02补正"
    out = dash.redact(text, ["张伟"])
    assert "张伟" not in out and "13900000001" not in out and "11010519491231002X" not in out
    assert "2026-11-02" in out  # dates stay readable
    assert dash.redact("139 0000 0001") == "*" * 13


# ---- rectification ------------------------------------------------------------------------


def bad_ratings_in_scope(prefix: str) -> list[Rating]:
    region_of = office_region()
    return [
        r
        for r in db.session.scalars(sa.select(Rating).where(Rating.score <= 2))
        if region_of[r.office_id].startswith(prefix)
    ]


def test_rectification_rate_and_moving_an_item_through_every_stage(app):
    db.session.rollback()
    scope = dash.load_scope("510000")
    sel = dash.Selection.of(scope.office_ids(), None, FIRST, TODAY)
    bad = bad_ratings_in_scope("51")
    assert bad, "the demo data should have bad ratings in Sichuan"
    summary = dash.rectification_summary(scope.office_ids(), sel, TODAY)
    assert summary.total == len(bad) and summary.followed_up == 0 and summary.rate == 0
    item = dash.rectifications(scope.office_ids(), sel, TODAY)[0]
    sup = supervisor("510000")
    office_clerk = clerk(db.session.get(Office, item.office_id).code)  # the rated office

    moved = rectification.advance(
        item.id, office_clerk, "已电话核实：等待时间确实较长", NOW, expected_stage="verify"
    )
    assert moved.stage == "rectify"
    summary = dash.rectification_summary(scope.office_ids(), sel, TODAY)
    assert summary.followed_up == 1
    assert summary.rate == pytest.approx(1 / len(bad))

    for stage, note, who in (
        ("rectify", "已调整窗口排班", office_clerk),
        ("reply", "已向申请人反馈整改情况", office_clerk),
        ("follow_up", "回访申请人，表示认可", sup),
        ("review", "复核无误，同意办结", sup),
    ):
        moved = rectification.advance(item.id, who, note, NOW, expected_stage=stage)
    assert moved.stage == "closed" and moved.closed_at == NOW
    assert [h["stage"] for h in moved.history] == [
        "verify",
        "rectify",
        "reply",
        "follow_up",
        "review",
    ]
    assert moved.history[-1]["note"] == "复核无误，同意办结"
    assert moved.history[0]["by"] == office_clerk.username
    assert moved.history[-1]["by"] == sup.username
    with pytest.raises(DomainError):
        rectification.advance(item.id, sup, "再推进一次", NOW)
    audited = {
        who.id: db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "rectification_move", AuditEntry.user_id == who.id
            )
        )
        for who in (office_clerk, sup)
    }
    assert audited == {office_clerk.id: 3, sup.id: 2}
    # the office's reply reached the applicant
    case = db.session.get(Case, moved.case_id)
    replies = db.session.scalars(
        sa.select(Notification.body).where(
            Notification.user_id == case.applicant_id, Notification.case_id == case.id
        )
    ).all()
    assert any("已向申请人反馈整改情况" in body for body in replies)


def test_the_supervisor_sends_an_item_back_to_the_office_with_a_new_deadline(app):
    db.session.rollback()
    scope = dash.load_scope("510000")
    sel = dash.Selection.of(scope.office_ids(), None, FIRST, TODAY)
    item = dash.rectifications(scope.office_ids(), sel, TODAY)[0]
    office_clerk = clerk(db.session.get(Office, item.office_id).code)
    for stage in ("verify", "rectify", "reply"):
        rectification.advance(item.id, office_clerk, "本部门已处理完毕", NOW, expected_stage=stage)
    with pytest.raises(DomainError):  # the office does not do supervision's follow-up call
        rectification.advance(item.id, office_clerk, "自己回访自己", NOW)
    later = NOW + timedelta(days=3)
    back = rectification.advance(
        item.id, supervisor("510000"), "回访：申请人仍不满意", later, send_back=True
    )
    assert back.stage == "rectify" and back.history[-1]["sent_back"] is True
    assert back.due_on == get_calendar().add_working_days(local_date(later), 5)


def test_rectification_moves_need_a_note_the_right_scope_and_the_current_stage(app):
    db.session.rollback()
    scope = dash.load_scope("510000")
    sel = dash.Selection.of(scope.office_ids(), None, FIRST, TODAY)
    item = dash.rectifications(scope.office_ids(), sel, TODAY)[0]
    with pytest.raises(DomainError) as exc:
        rectification.advance(
            item.id, clerk(db.session.get(Office, item.office_id).code), "  ", NOW
        )
    assert exc.value.code == "note_required"
    outsider = supervisor("500000")
    with pytest.raises(rectification.RectificationNotFound):
        rectification.advance(item.id, outsider, "越权推进的尝试", NOW)
    with pytest.raises(rectification.StaleRectification):
        rectification.advance(
            item.id, supervisor(None), "看到的是旧阶段", NOW, expected_stage="reply"
        )
    db.session.rollback()
    fresh = db.session.get(Rectification, item.id)
    assert fresh is not None and fresh.stage == "verify" and fresh.history == []
    denied = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.user_id == outsider.id)
    ).all()
    assert [a.action for a in denied] == ["denied"]


# ---- open data -----------------------------------------------------------------------------


def test_open_data_has_no_personal_data_and_suppresses_small_cells(app, tmp_path):
    db.session.rollback()
    path = tmp_path / "open.sqlite"
    report = export_open_data(path, start=FIRST, end=TODAY, min_cell=5)
    assert report.rows > 0 and report.suppressed > 0
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT day, region_code, region_name, service_code, service_name, "
            "outcome, count, suppressed FROM daily_outcomes"
        ).fetchall()
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM columns WHERE table_name = 'daily_outcomes' ORDER BY position"
            )
        ]
        real_columns = [r[1] for r in conn.execute("PRAGMA table_info(daily_outcomes)")]
    finally:
        conn.close()
    assert columns == real_columns == [name for name, *_ in COLUMNS]
    assert all(s in (0, 1) for *_, s in rows)
    assert all(n is None for *_, n, s in rows if s == 1)
    assert all(n is not None and n >= 5 for *_, n, s in rows if s == 0)
    assert {r[5] for r in rows} <= {
        "received",
        "accepted",
        "not_accepted",
        "approved",
        "approved_tolerated",
        "refused",
        "withdrawn",
        "cancelled",
        "on_time",
        "late",
    }
    # Nothing that names anybody: no applicant's name, phone, ID number, no tracking number.
    people = db.session.scalars(sa.select(User).where(User.phone.is_not(None))).all()
    secrets = {s for u in people for s in (u.real_name, u.phone, u.resident_id) if s}
    secrets |= set(db.session.scalars(sa.select(Case.tracking_number)))
    blob = path.read_bytes().decode("utf-8", "ignore") + report.readme.read_text("utf-8")
    assert not [s for s in secrets if s in blob]
    readme = report.readme.read_text("utf-8")
    assert path.with_suffix(".md") == report.readme
    assert all(f"| `{name}` |" in readme for name, *_ in COLUMNS)

    # With no threshold, the file adds up to the dashboard's own totals.
    full = export_open_data(tmp_path / "all.sqlite", start=FIRST, end=TODAY, min_cell=1)
    conn = sqlite3.connect(full.path)
    try:
        received = conn.execute(
            "SELECT SUM(count) FROM daily_outcomes WHERE outcome = 'received'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert full.suppressed == 0
    assert received == dash.totals(dash.Selection.of(None, None, FIRST, TODAY))[tp.RECEIVED]


def test_open_data_for_a_scope_has_only_its_regions(app, tmp_path):
    db.session.rollback()
    scope = dash.load_scope("500000")
    report = export_open_data(
        tmp_path / "cq.sqlite", start=FIRST, end=TODAY, min_cell=1, office_ids=scope.office_ids()
    )
    conn = sqlite3.connect(report.path)
    try:
        regions = {r[0] for r in conn.execute("SELECT DISTINCT region_code FROM daily_outcomes")}
    finally:
        conn.close()
    assert regions and all(code.startswith("50") for code in regions)


def test_the_rectification_summary_counts_the_period_only(app):
    """差评 n, followed up m, overdue k: all three of the items opened in the range; an old
    item still open past its deadline belongs to the period it was opened in."""
    db.session.rollback()
    scope = dash.load_scope("510000")
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    case_ops.act(case.id, Action.ACCEPT, cd, NOW - timedelta(days=2))
    case_ops.act(case.id, Action.APPROVE, cd, NOW - timedelta(days=2))
    case_ops.rate(case.id, db.session.get(User, case.applicant_id), 1, "太慢", NOW)
    items = [
        r
        for r in db.session.scalars(sa.select(Rectification).order_by(Rectification.id))
        if r.office_id in scope.offices
    ]
    assert len(items) >= 2
    old, recent = items[0], items[-1]
    start = TODAY - timedelta(days=10)
    old.created_at = datetime(2026, 9, 1, 3, tzinfo=UTC)  # before the range
    old.due_on = date(2026, 9, 10)  # long overdue, never moved
    recent.created_at = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=3)
    recent.due_on = TODAY - timedelta(days=1)  # overdue, opened in the range
    db.session.commit()
    sel = dash.Selection.of(scope.office_ids(), None, start, TODAY)
    lo, hi = sel.utc_bounds
    in_range = [r for r in items if lo <= r.created_at.replace(tzinfo=UTC) < hi]
    summary = dash.rectification_summary(scope.office_ids(), sel, TODAY)
    assert summary.total == len(in_range)
    expected_overdue = [
        r for r in in_range if r.stage != "closed" and r.due_on is not None and r.due_on < TODAY
    ]
    assert recent in expected_overdue and old not in in_range
    assert summary.overdue_open == len(expected_overdue)
