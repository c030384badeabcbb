"""Bulk generator for benchmarks: N cases with a realistic spread, straight into the real tables.

    python -m bench.generate --cases 100000 [--seed 1] [--today YYYY-MM-DD]

(into the database the app is configured for: ``DATABASE_URL``, else instance/tracker.sqlite).

It writes what the services would write for the same histories — each history is replayed
move by move through the domain's ``effects`` (tracker/domain/effects.py), the function the
case services persist, so status, custody, acceptance, clock start, pauses, due date, act-by
day and the daily counters are the services' own — cases with their version, events, clock
pauses, sub-tasks, attachments cited as e-licences, ratings with rectification items, and the
daily rollups (the fine grain summed once after the last batch, the area grain summed from it
in SQL at the end).

Fast by sharing the replays: a history is drawn and replayed once per *template* — up to
``TEMPLATES_PER_KEY`` per (service, day received, end state) — with the offices as stand-ins,
and every case that draws the template gets the same moves at the same times. Python then
writes one short row of ids per case (``bench_stage``: id, tracking number, template,
applicant, offices, first event id) by executemany on SQLite or COPY on PostgreSQL, and
INSERT ... SELECT statements join it with the templates into the real tables, one
transaction per batch; the daily counters of all cases are summed in one GROUP BY at the end.
The report ends with the wall seconds of each phase (where a shortfall comes from).
Applicant notifications are not generated (they are not read by any benchmarked page).

Spread: 180 days of history ending yesterday, weekday peaks (Monday highest), every service
of the catalogue weighted like the real programme (medical registration, household transfer
and retirement withdrawal first), offices of both provinces with 成都 and 渝北 busiest, every
state in realistic proportions by age, about five events per case.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time as clock_time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from tracker import crypto
from tracker.domain.effects import CaseChanges, Timing, act_by, effects, event_metrics, facts_after
from tracker.domain.errors import UnknownCalendarYear
from tracker.domain.identifiers import iso7064_mod11_2, mask_resident_id
from tracker.domain.ratings import BAD_SCORES, SCORES
from tracker.domain.rectification import FIRST_STAGE
from tracker.domain.states import CaseStatus, DeliveryMethod, HandlingMode, SubTaskStatus
from tracker.domain.workflow import Action, CaseFacts
from tracker.extensions import db
from tracker.models import Case, Office, Service, TrackingSequence, User
from tracker.passwords import hash_password
from tracker.services.calendar import SHANGHAI, known_working_days
from tracker.services.rollup import derive_areas

# China has observed no daylight saving since 1991: a fixed offset converts much faster.
BEIJING = timezone(timedelta(hours=8))

S = CaseStatus
SERVICE_WEIGHTS = {  # 川渝通办's first months: registration 53.8k, household 27k, retirement 20.2k
    "mi-offsite-registration": 54,
    "psb-household-transfer": 27,
    "hf-retirement-withdrawal": 20,
    "hf-transfer": 12,
    "hrss-pension-transfer": 10,
    "mi-manual-reimbursement": 8,
    "hf-loan-certificate": 6,
    "traffic-licence-replacement": 6,
    "amr-business-licence": 5,
    "hrss-unemployment-transfer": 4,
    "hrss-ss-card-replacement": 4,
    "dpf-certificate-transfer": 1,
}
BUSY_REGIONS = {"510100": 30.0, "500112": 20.0}  # 成都, 渝北; every other region weight 1
CLOSED_MIX = [
    (S.APPROVED, 78),
    (S.APPROVED_TOLERATED, 4),
    (S.REFUSED, 6),
    (S.NOT_ACCEPTED, 5),
    (S.RETRACTED, 3),
    (S.WITHDRAWN, 3),
    (S.CANCELLED, 1),
]
OPEN_MIX = [
    (S.RECEIVED, 20),
    (S.ACCEPTED, 15),
    (S.PROCESSING, 40),
    (S.SUPPLEMENT_REQUESTED, 12),
    (S.SUPPLEMENTED, 5),
    (S.SPECIAL_PROCEDURE, 4),
    (S.SPECIAL_PROCEDURE_ENDED, 4),
]
PASSWORD_HASH_NOTE = "bench-citizen"  # noqa: S105 (one shared hash: bench applicants never log in)


@dataclass(frozen=True)
class _Office:
    id: int
    region: str


@dataclass(frozen=True)
class _Service:
    id: int
    code: str
    mode: HandlingMode
    department: str
    competent_department: str
    promised_days: int
    statutory_days: int
    cooperations: tuple[tuple[str, str, str, int | None], ...]
    licences: tuple[str, ...]

    @classmethod
    def of(cls, s: Service) -> _Service:
        return cls(
            s.id,
            s.code,
            s.mode,
            s.department_code,
            s.competent_department_code,
            s.promised_days,
            s.statutory_days,
            tuple((c.department_code, c.role_zh, c.task_zh, c.limit_days) for c in s.cooperations),
            tuple(m.code for m in s.materials if m.e_licence and m.required),
        )


class _Timer:
    """``with report.timed("phase"):`` adds the block's wall time to that phase."""

    def __init__(self, phases: Counter[str], phase: str) -> None:
        self.phases, self.phase = phases, phase

    def __enter__(self) -> None:
        self.started = clock_time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self.phases[self.phase] += clock_time.perf_counter() - self.started


@dataclass
class BulkReport:
    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (SQLite's work included, not a server's)
    templates: int = 0  # distinct histories replayed through the domain
    database_bytes: int | None = None
    # Wall seconds per phase (what a shortfall is explained by): the statements by the table
    # they write, the replays, Python's per-case work, index rebuilds, statistics.
    phases: Counter[str] = field(default_factory=Counter)

    def timed(self, phase: str) -> _Timer:
        return _Timer(self.phases, phase)

    def phase_table(self) -> str:
        total = sum(self.phases.values()) or 1.0
        return "\n".join(
            f"  {name:32} {sec:8.2f} s {sec / total:6.1%}"
            for name, sec in self.phases.most_common()
        )

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        size = f", database {self.database_bytes / 2**20:,.0f} MiB" if self.database_bytes else ""
        cpu = self.cpu_seconds / self.cases * 1e6 if self.cases else 0.0
        return (
            f"{self.cases:,} cases, {self.events:,} events in {self.seconds:,.1f} s "
            f"({self.rate:,.0f} cases/s; CPU {cpu:,.0f} µs per case in this process; "
            f"{self.templates:,} histories replayed){size}"
        )


class _Workdays:
    """Working days as a sorted list, for O(log n) working-day arithmetic over the range."""

    def __init__(self, start: date, end: date) -> None:
        self.days, last = known_working_days(start, end)
        self.last_known = last or start

    # The domain's calendar protocol, so the clock rules run unchanged on this index.
    def is_working_day(self, d: date) -> bool:
        if d > self.last_known:
            raise UnknownCalendarYear(d.year)
        i = bisect.bisect_left(self.days, d)
        return i < len(self.days) and self.days[i] == d

    def next_working_day(self, d: date) -> date:
        i = bisect.bisect_right(self.days, d)
        if i >= len(self.days):
            raise UnknownCalendarYear(self.last_known.year + 1)
        return self.days[i]

    def add_working_days(self, start: date, n: int) -> date:
        if n == 0:
            return start
        i = bisect.bisect_right(self.days, start) + n - 1
        if i >= len(self.days):
            raise UnknownCalendarYear(self.last_known.year + 1)
        return self.days[i]

    def working_days_between(self, start: date, end: date) -> int:
        return max(0, bisect.bisect_right(self.days, end) - bisect.bisect_right(self.days, start))


# SQLite's page cache while loading (KiB; its default is 2 MiB): the rollups' and indexes'
# B-trees are written out of key order, and a small cache rereads their pages.
SQLITE_CACHE_KIB = -262_144


class _Writer:
    """executemany on SQLite, COPY on PostgreSQL; values already in the column order."""

    def __init__(self, engine: sa.Engine, report: BulkReport) -> None:
        """Its own raw connection: batches commit on their own, apart from the ORM session."""
        self.report = report
        self.dialect = engine.dialect.name
        self.pooled = engine.raw_connection()
        self.raw: Any = self.pooled.dbapi_connection
        if self.dialect == "sqlite":
            # Rows are consistent by construction: skip per-row FK lookups and fsync while
            # loading (both only settable outside a transaction); checked after the load.
            self.raw.execute("PRAGMA foreign_keys=OFF")
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        with self.report.timed("commits"):
            self.raw.commit() if self.dialect == "postgresql" else self.raw.execute("COMMIT")

    def close(self) -> None:
        if self.dialect == "sqlite":
            problems = self.raw.execute("PRAGMA foreign_key_check").fetchall()
            self.raw.execute("PRAGMA foreign_keys=ON")
            self.raw.execute("PRAGMA synchronous=NORMAL")
            if problems:
                raise RuntimeError(f"bulk load broke {len(problems)} foreign keys: {problems[:3]}")
        self.pooled.close()

    def execute(self, statement: str, phase: str = "work tables") -> None:
        with self.report.timed(phase):
            cursor = self.raw.cursor()
            cursor.execute(statement)
            cursor.close()

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        temporal: Sequence[int] = (),
    ) -> None:
        """``temporal``: positions of date/datetime values (SQLite stores them as text)."""
        if not rows:
            return
        with self.report.timed(f"{table} rows in"):
            self._insert(table, columns, rows, temporal)

    def _insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        temporal: Sequence[int],
    ) -> None:
        cursor = self.raw.cursor()
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
        else:
            if temporal:
                rows = [_sqlite_row(row, temporal) for row in rows]
            marks = ", ".join("?" * len(columns))
            # table and columns are this module's constants, not input
            sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  # nosec B608
                table, ", ".join(columns), marks
            )
            cursor.executemany(sql, rows)
        cursor.close()


_UPSERT_TAIL = (
    " ON CONFLICT (day, office_id, service_id, metric) "
    "DO UPDATE SET count = daily_rollups.count + excluded.count"
)


def _sqlite_row(row: Sequence[Any], temporal: Sequence[int]) -> list[Any]:
    out = list(row)
    for i in temporal:
        v = out[i]
        if v is not None:
            out[i] = (
                v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
                if isinstance(v, datetime)
                else v.isoformat()
            )
    return out


def _positions(columns: Sequence[str], names: set[str]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(columns) if c in names)


CASE_COLS = (
    "id",
    "tracking_number",
    "service_id",
    "applicant_id",
    "receiving_office_id",
    "competent_office_id",
    "custody_office_id",
    "status",
    "version",
    "mode",
    "promised_days",
    "submitted_at",
    "received_on",
    "accepted_at",
    "clock_start_on",
    "due_on",
    "due_pending_year",
    "completed_at",
    "extension_days",
    "formal_checked_at",
    "identity_checked_at",
    "delivered_at",
    "delivery_method",
    "applicant_phone_last4",
    "form_data",
    "updated_at",
    "act_by",
)
EVENT_COLS = (
    "id",
    "case_id",
    "at",
    "actor_role",
    "office_id",
    "action",
    "from_status",
    "to_status",
    "reason",
    "payload",
)
PAUSE_COLS = ("case_id", "kind", "started_on", "ended_on", "reason", "items")
SUBTASK_COLS = (
    "case_id",
    "office_id",
    "letter_number",
    "role_zh",
    "task_zh",
    "limit_days",
    "status",
    "was_accepted",
    "version",
    "created_at",
    "done_at",
)
RATING_COLS = ("case_id", "applicant_id", "office_id", "score", "comment", "created_at")
ATTACH_COLS = ("case_id", "material_code", "e_licence_number", "uploaded_by_id", "uploaded_at")
_TEMPORAL_NAMES = {
    "submitted_at",
    "received_on",
    "accepted_at",
    "clock_start_on",
    "due_on",
    "completed_at",
    "formal_checked_at",
    "identity_checked_at",
    "delivered_at",
    "updated_at",
    "act_by",
    "at",
    "started_on",
    "ended_on",
    "created_at",
    "done_at",
    "uploaded_at",
    "password_changed_at",
}
TEMPORAL = {
    cols: _positions(cols, _TEMPORAL_NAMES)
    for cols in (CASE_COLS, EVENT_COLS, PAUSE_COLS, SUBTASK_COLS, RATING_COLS, ATTACH_COLS)
}


def _citizens(
    writer: _Writer, first: int, count: int, rng: random.Random, now: datetime
) -> list[tuple[int, str]]:
    """Bench applicants (ids and phones); ID numbers are generated with valid check digits."""
    password = hash_password(PASSWORD_HASH_NOTE)
    rows, out = [], []
    for i in range(count):
        uid = first + i
        phone = f"16{uid:09d}"
        # Unique, valid ID numbers: the birth date and sequence follow from the user id.
        birth = date(1950, 1, 1) + timedelta(days=uid % 20000)
        body = f"510104{birth:%Y%m%d}{(uid // 20000) % 1000:03d}"
        rid = body + iso7064_mod11_2(body)
        rows.append(
            (
                uid,
                "citizen",
                phone,
                crypto.seal(rid, "users.resident_id"),  # sealed at rest, as the app stores it
                crypto.lookup(rid),
                mask_resident_id(rid),
                f"压测用户{uid}",
                password,
                True,
                f"bench{uid}",
                0,
                now,
                now,
            )
        )
        out.append((uid, phone))
    writer.insert(
        "users",
        (
            "id",
            "role",
            "phone",
            "resident_id",
            "resident_id_digest",
            "resident_id_masked",
            "real_name",
            "password_hash",
            "is_active_account",
            "session_nonce",
            "failed_logins",
            "created_at",
            "password_changed_at",
        ),
        rows,
        (11, 12),
    )
    return out


def generate(
    *, cases: int, seed: int = 1, today: date, batch: int = 20_000, citizens: int | None = None
) -> BulkReport:
    """Insert ``cases`` cases (with their history) received over the 180 days before ``today``.

    The report's time covers everything: indexes rebuilt and statistics gathered included."""
    started, cpu = clock_time.perf_counter(), clock_time.process_time()
    dropped = _drop_secondary_indexes_if_empty()
    report = BulkReport()
    try:
        _generate(report, cases=cases, seed=seed, today=today, batch=batch, citizens=citizens)
    finally:
        db.session.rollback()
        for index in dropped:  # rebuilt in one sorted pass: far cheaper than per-row upkeep
            with report.timed(f"index {index.name}"):
                index.create(db.session.connection())
        with report.timed("VACUUM ANALYZE / ANALYZE"):
            if db.engine.dialect.name == "postgresql":
                db.session.commit()
                # VACUUM as well: until the visibility map is set (autovacuum would, later),
                # PostgreSQL cannot answer counts from an index alone (a queue's counts read
                # 8,000 heap pages at 1M cases instead of 30 index pages). Outside a transaction.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM (ANALYZE)"))
            else:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
    report.seconds = clock_time.perf_counter() - started
    report.cpu_seconds = clock_time.process_time() - cpu
    return report


def _generate(
    report: BulkReport, *, cases: int, seed: int, today: date, batch: int, citizens: int | None
) -> None:
    rng = random.Random(seed)
    now = datetime.combine(today, time(8, 0), SHANGHAI).astimezone(UTC)
    services = {s.code: s for s in db.session.scalars(sa.select(Service))}
    offices = list(db.session.scalars(sa.select(Office)))
    if not services or not offices:
        raise RuntimeError("load the catalogue first")
    by_dept: dict[str, list[_Office]] = {}
    for o in offices:
        by_dept.setdefault(o.department_code, []).append(_Office(o.id, o.region_code))
    cum = {
        k: list(itertools.accumulate(BUSY_REGIONS.get(o.region, 1.0) for o in v))
        for k, v in by_dept.items()
    }
    svc_list = [_Service.of(services[c]) for c in SERVICE_WEIGHTS if c in services]
    svc_cum = list(itertools.accumulate(SERVICE_WEIGHTS[s.code] for s in svc_list))
    first_day = today - timedelta(days=180)
    workdays = _Workdays(first_day - timedelta(days=10), today + timedelta(days=400))
    days = [first_day + timedelta(days=i) for i in range(180)]
    day_weights = [[1.35, 1.1, 1.0, 1.0, 0.95, 0.15, 0.1][d.weekday()] for d in days]

    case_id = db.session.scalar(sa.select(sa.func.max(Case.id))) or 0
    event_id = db.session.scalar(sa.text("SELECT max(id) FROM case_events")) or 0
    first_user = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    serials: Counter[str] = Counter(
        {s.scope: s.last for s in db.session.scalars(sa.select(TrackingSequence))}
    )
    db.session.commit()
    writer = _Writer(db.engine, report)
    try:
        writer.begin()
        with report.timed("citizens"):
            people = _citizens(writer, first_user, citizens or max(100, cases // 20), rng, now)
        writer.commit()
        done = _batches(
            writer,
            _Plan(
                cases=cases,
                batch=batch,
                rng=rng,
                days=days,
                day_weights=day_weights,
                svc_list=svc_list,
                svc_cum=svc_cum,
                by_dept=by_dept,
                cum=cum,
                people=people,
                serials=serials,
                workdays=workdays,
                now=now,
                today=today,
                report=report,
                case_id=case_id,
                event_id=event_id,
            ),
        )
    finally:
        with report.timed("foreign key check"):
            writer.close()
    with report.timed("rectifications, sequences"):
        _rectifications_and_sequences(serials)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text(f"PRAGMA cache_size={SQLITE_CACHE_KIB}"))
    with report.timed("area_rollups derived"):
        derive_areas(db.session)  # the area grain, summed from the fine counters just written
        db.session.commit()
    if writer.dialect == "postgresql":
        for table in ("cases", "case_events", "users"):
            db.session.execute(
                sa.text(  # table comes from the literal tuple above
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), "  # noqa: S608, UP032  # nosec B608
                    "(SELECT coalesce(max(id), 1) FROM {0}))".format(table)
                )
            )
    db.session.commit()
    # The bulk rows were checked when the writer closed (their foreign keys were off); what
    # the session wrote since was checked as it went (tracker/database.py turns them on).
    report.cases = done


@dataclass
class _Plan:
    """What the generation loop draws from, prepared once."""

    cases: int
    batch: int
    rng: random.Random
    days: list[date]
    day_weights: list[float]
    svc_list: list[_Service]
    svc_cum: list[int]
    by_dept: dict[str, list[_Office]]
    cum: dict[str, list[float]]
    people: list[tuple[int, str]]
    serials: Counter[str]
    workdays: _Workdays
    now: datetime
    today: date
    report: BulkReport
    case_id: int
    event_id: int


def _offices(
    rng: random.Random,
    svc: _Service,
    by_dept: dict[str, list[_Office]],
    cum: dict[str, list[float]],
) -> tuple[_Office, _Office]:
    """(receiving, competent): the same office, except when accepted here and decided there,
    where the receiving office is another one, in the other province four times in five."""
    dept = svc.competent_department
    competent = rng.choices(by_dept[dept], cum_weights=cum[dept])[0]
    receiving = competent
    if svc.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE:
        pool, pool_cum = by_dept[svc.department], cum[svc.department]
        while (
            receiving.id == competent.id
            or receiving.region[:2] == competent.region[:2]
            and rng.random() < 0.8
        ):
            receiving = rng.choices(pool, cum_weights=pool_cum)[0]
    return receiving, competent


# Histories are drawn and replayed once per template: a few per (service, day, end state),
# shared by the cases that draw them (TEMPLATES_PER_KEY). Each case then costs Python one
# row of ids (``bench_stage``); its case row, events, pauses, ratings, attachments and the
# daily counters are written by INSERT ... SELECT joining that row with its template.
TEMPLATES_PER_KEY = 2
_SIDE_RECEIVING = frozenset(
    (Action.SUBMIT, Action.FORMAL_CHECK, Action.IDENTITY_CHECK, Action.FORWARD)
)
_CITIZEN_MOVES = frozenset(
    (Action.SUBMIT, Action.RETRACT, Action.WITHDRAW, Action.SUBMIT_SUPPLEMENT, Action.RATE)
)
_RECEIVING, _COMPETENT = -1, -2  # the offices' stand-ins while a template is replayed

TPL_CASE_COLS = (
    "tpl",
    "status",
    "version",
    "mode",
    "promised_days",
    "submitted_at",
    "received_on",
    "accepted_at",
    "clock_start_on",
    "due_on",
    "due_pending_year",
    "completed_at",
    "formal_checked_at",
    "identity_checked_at",
    "delivered_at",
    "delivery_method",
    "updated_at",
    "act_by",
    "custody",
    "score",
    "rated_at",
)
TPL_EVENT_COLS = (
    "tpl",
    "seq",
    "at",
    "actor_role",
    "side",
    "action",
    "from_status",
    "to_status",
    "payload",
)
TPL_PAUSE_COLS = ("tpl", "kind", "started_on", "ended_on", "reason")
TPL_METRIC_COLS = ("tpl", "day", "side", "metric", "amount")
STAGE_COLS = (
    "id",
    "tracking_number",
    "tpl",
    "service_id",
    "applicant_id",
    "receiving",
    "competent",
    "last4",
    "event_base",
)
TPL_TEMPORAL = {
    cols: _positions(cols, _TEMPORAL_NAMES | {"rated_at", "day"})
    for cols in (TPL_CASE_COLS, TPL_EVENT_COLS, TPL_PAUSE_COLS, TPL_METRIC_COLS)
}
# Typed like the real columns (CREATE ... AS SELECT from them), on both engines.
_SIDE = "CAST('c' AS VARCHAR(1))"
CREATE_WORK_TABLES = (
    "CREATE TEMP TABLE bench_tpl AS SELECT 0 AS tpl, c.status, c.version, c.mode, "
    "c.promised_days, c.submitted_at, c.received_on, c.accepted_at, c.clock_start_on, c.due_on, "
    "c.due_pending_year, c.completed_at, c.formal_checked_at, c.identity_checked_at, "
    f"c.delivered_at, c.delivery_method, c.updated_at, c.act_by, {_SIDE} AS custody, r.score, "
    "r.created_at AS rated_at FROM cases c, ratings r WHERE 1 = 0",
    "CREATE TEMP TABLE bench_tpl_events AS SELECT 0 AS tpl, 0 AS seq, e.at, e.actor_role, "
    f"{_SIDE} AS side, e.action, e.from_status, e.to_status, e.payload "
    "FROM case_events e WHERE 1 = 0",
    "CREATE TEMP TABLE bench_tpl_pauses AS SELECT 0 AS tpl, p.kind, p.started_on, p.ended_on, "
    "p.reason FROM clock_pauses p WHERE 1 = 0",
    f"CREATE TEMP TABLE bench_tpl_metrics AS SELECT 0 AS tpl, r.day, {_SIDE} AS side, r.metric, "
    "r.count AS amount FROM daily_rollups r WHERE 1 = 0",
    "CREATE TEMP TABLE bench_stage AS SELECT c.id, c.tracking_number, 0 AS tpl, c.service_id, "
    "c.applicant_id, c.receiving_office_id AS receiving, c.competent_office_id AS competent, "
    "c.applicant_phone_last4 AS last4, c.id AS event_base FROM cases c WHERE 1 = 0",
    "CREATE TEMP TABLE bench_roll AS SELECT s.tpl, s.service_id, s.receiving, s.competent "
    "FROM bench_stage s WHERE 1 = 0",
    "CREATE TEMP TABLE bench_licences AS SELECT s.id AS service_id, m.code "
    "FROM services s, service_materials m WHERE 1 = 0",
    "CREATE INDEX bench_tpl_i ON bench_tpl (tpl)",
    "CREATE INDEX bench_tpl_events_i ON bench_tpl_events (tpl, seq)",
    "CREATE INDEX bench_tpl_pauses_i ON bench_tpl_pauses (tpl)",
    "CREATE INDEX bench_tpl_metrics_i ON bench_tpl_metrics (tpl)",
)
DROP_WORK_TABLES = tuple(
    f"DROP TABLE IF EXISTS {t}"
    for t in (
        "bench_tpl",
        "bench_tpl_events",
        "bench_tpl_pauses",
        "bench_tpl_metrics",
        "bench_stage",
        "bench_roll",
        "bench_licences",
    )
)


def _office_of(side: str) -> str:
    return f"CASE {side} WHEN 'r' THEN s.receiving ELSE s.competent END"


def _phase_of(statement: str) -> str:
    words = statement.split(None, 3)
    return f"{words[2]} from templates" if words[0] == "INSERT" else "work tables"


def _batch_sql(dialect: str) -> tuple[str, ...]:
    """What one batch of staged cases becomes (the work tables' constants, no input)."""
    licence = (
        "'DZZZ' || lpad(CAST(s.id AS TEXT), 10, '0')"
        if dialect == "postgresql"
        else "'DZZZ' || printf('%010d', s.id)"
    )
    return (
        f"INSERT INTO cases ({', '.join(CASE_COLS)}) SELECT s.id, s.tracking_number, "  # nosec B608
        "s.service_id, s.applicant_id, s.receiving, s.competent, "
        f"{_office_of('t.custody')}, t.status, t.version, t.mode, t.promised_days, "
        "t.submitted_at, t.received_on, t.accepted_at, t.clock_start_on, t.due_on, "
        "t.due_pending_year, t.completed_at, 0, t.formal_checked_at, t.identity_checked_at, "
        "t.delivered_at, t.delivery_method, s.last4, '{}', t.updated_at, t.act_by "
        "FROM bench_stage s JOIN bench_tpl t ON t.tpl = s.tpl",
        f"INSERT INTO case_events ({', '.join(EVENT_COLS)}) SELECT s.event_base + e.seq, s.id, "  # nosec B608
        "e.at, e.actor_role, CASE e.side WHEN 'r' THEN s.receiving WHEN 'c' THEN s.competent "
        "END, e.action, e.from_status, e.to_status, NULL, e.payload "
        "FROM bench_stage s JOIN bench_tpl_events e ON e.tpl = s.tpl",
        f"INSERT INTO clock_pauses ({', '.join(PAUSE_COLS)}) SELECT s.id, p.kind, p.started_on, "  # nosec B608
        "p.ended_on, p.reason, '[]' FROM bench_stage s JOIN bench_tpl_pauses p ON p.tpl = s.tpl",
        f"INSERT INTO ratings ({', '.join(RATING_COLS)}) SELECT s.id, s.applicant_id, "  # nosec B608
        "s.competent, t.score, '', t.rated_at FROM bench_stage s JOIN bench_tpl t "
        "ON t.tpl = s.tpl WHERE t.score IS NOT NULL",
        f"INSERT INTO attachments ({', '.join(ATTACH_COLS)}) SELECT s.id, l.code, {licence}, "  # nosec B608
        "s.applicant_id, t.submitted_at FROM bench_stage s JOIN bench_tpl t ON t.tpl = s.tpl "
        "JOIN bench_licences l ON l.service_id = s.service_id",
        "INSERT INTO bench_roll (tpl, service_id, receiving, competent) "
        "SELECT tpl, service_id, receiving, competent FROM bench_stage",
        "DELETE FROM bench_stage",
    )


# The daily counters of every case at once, after the last batch: one GROUP BY (its output in
# the table's key order) instead of an upsert per batch into a growing table (16 s of 162 at
# 1M on SQLite, 45 s of 238 on PostgreSQL, measured 2026-12-02).
DAILY_ROLLUPS_SQL = (
    "INSERT INTO daily_rollups (day, office_id, service_id, metric, count) "  # nosec B608
    f"SELECT m.day, {_office_of('m.side')}, s.service_id, m.metric, sum(m.amount) "
    "FROM bench_roll s JOIN bench_tpl_metrics m ON m.tpl = s.tpl WHERE 1 = 1 "
    f"GROUP BY m.day, {_office_of('m.side')}, s.service_id, m.metric" + _UPSERT_TAIL
)


@dataclass(frozen=True)
class _Tpl:
    id: int
    events: int
    # (created_at, status, done_at) of the sub-tasks a joint case sent when processing began
    subtasks: tuple[datetime, str, datetime | None] | None


class _Templates:
    """Histories replayed through the domain once and shared by the cases that draw them."""

    def __init__(self, workdays: _Workdays, now: datetime) -> None:
        self.workdays, self.now = workdays, now
        self.by_key: dict[tuple[int, date, CaseStatus, int], _Tpl] = {}
        self.rows: dict[tuple[str, ...], list[tuple[Any, ...]]] = {
            c: [] for c in (TPL_CASE_COLS, TPL_EVENT_COLS, TPL_PAUSE_COLS, TPL_METRIC_COLS)
        }
        self.events = 0  # events of the templates made (for the report: not the cases')
        self.replay_seconds = 0.0

    def get(self, rng: random.Random, svc: _Service, day: date, target: CaseStatus) -> _Tpl:
        key = (svc.id, day, target, rng.randrange(TEMPLATES_PER_KEY))
        tpl = self.by_key.get(key)
        if tpl is None:
            started = clock_time.perf_counter()
            tpl = self.by_key[key] = self._make(len(self.by_key) + 1, rng, svc, day, target)
            self.replay_seconds += clock_time.perf_counter() - started
        return tpl

    def flush(self, writer: _Writer) -> None:
        for cols, rows in self.rows.items():
            table = {
                TPL_CASE_COLS: "bench_tpl",
                TPL_EVENT_COLS: "bench_tpl_events",
                TPL_PAUSE_COLS: "bench_tpl_pauses",
                TPL_METRIC_COLS: "bench_tpl_metrics",
            }[cols]
            writer.insert(table, cols, rows, TPL_TEMPORAL[cols])
            rows.clear()

    def _make(
        self, tid: int, rng: random.Random, svc: _Service, day: date, target: CaseStatus
    ) -> _Tpl:
        receiving = _RECEIVING if svc.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE else _COMPETENT
        submitted = datetime.combine(day, time(9), SHANGHAI).astimezone(UTC) + timedelta(
            minutes=rng.randint(0, 540)
        )
        events, extra = _history(rng, svc.mode, target, submitted, self.now, receiving, _COMPETENT)
        score = extra.get("score")
        case = _replay(svc, receiving, _COMPETENT, 0, day, events, score, self.workdays)
        status, timing, stamps = case.facts.status, case.timing, case.stamps
        t_of = {a: at for a, at, _s in events}
        delivered = stamps.get("delivered_at")
        self.rows[TPL_CASE_COLS].append(
            (
                tid,
                status.value,
                len(events),
                svc.mode.value,
                svc.promised_days,
                submitted,
                day,
                stamps.get("accepted_at"),
                timing.clock_start_on,
                timing.due_on,
                timing.due_pending_year,
                stamps.get("completed_at"),
                stamps.get("formal_checked_at"),
                stamps.get("identity_checked_at"),
                delivered,
                DeliveryMethod.ONLINE.value if delivered else None,
                events[-1][1],
                case.act_by,
                "r" if case.facts.custody_office_id == _RECEIVING else "c",
                score,
                t_of.get(Action.RATE),
            )
        )
        previous: CaseStatus | None = None
        metrics: Counter[tuple[date, str, str]] = Counter()
        for seq, ((action, at, to_status), moved) in enumerate(
            zip(events, case.metrics, strict=True), 1
        ):
            citizen = action in _CITIZEN_MOVES
            self.rows[TPL_EVENT_COLS].append(
                (
                    tid,
                    seq,
                    at,
                    "citizen" if citizen else "clerk",
                    None if citizen else "r" if action in _SIDE_RECEIVING else "c",
                    action.value,
                    previous.value if previous else None,
                    to_status.value,
                    "{}" if action is not Action.RATE else f'{{"score": {score}}}',
                )
            )
            previous = to_status
            side = "r" if action is Action.SUBMIT else "c"
            ev_day = at.astimezone(BEIJING).date()
            for metric, amount in moved.items():
                metrics[(ev_day, side, metric)] += amount
        if receiving == _COMPETENT:  # one office: both sides are the same counter
            merged: Counter[tuple[date, str, str]] = Counter()
            for (d, _side, m), n in metrics.items():
                merged[(d, "c", m)] += n
            metrics = merged
        self.rows[TPL_METRIC_COLS].extend((tid, d, s, m, n) for (d, s, m), n in metrics.items())
        for pause in timing.pauses:
            self.rows[TPL_PAUSE_COLS].append(
                (
                    tid,
                    pause.kind,
                    pause.start,
                    pause.end,
                    "材料需补正" if pause.kind == "supplement" else "现场核查",
                )
            )
        subtasks = None
        if svc.mode is HandlingMode.JOINT and Action.START_PROCESSING in t_of:
            finished = status in (S.APPROVED, S.APPROVED_TOLERATED)
            subtasks = (
                t_of[Action.START_PROCESSING],
                (
                    SubTaskStatus.DONE
                    if finished
                    else SubTaskStatus.CANCELLED
                    if status.is_closed
                    else SubTaskStatus.ACCEPTED
                ).value,
                events[-1][1] if finished else None,
            )
        self.events += len(events)
        return _Tpl(tid, len(events), subtasks)


# ISO 7064 MOD 11-2 over "<scope: 8 digits><serial: 6 digits>" as sums of precomputed parts.
_W = [pow(2, 14 - i, 11) for i in range(14)]
_HI = [sum(int(c) * w for c, w in zip(f"{n:03d}", _W[8:11], strict=True)) for n in range(1000)]
_LO = [sum(int(c) * w for c, w in zip(f"{n:03d}", _W[11:14], strict=True)) for n in range(1000)]
_CHECK = "10X98765432"


def _scope_weight(scope: str) -> int:
    return sum(int(c) * w for c, w in zip(scope, _W[:8], strict=True))


def _batches(writer: _Writer, plan: _Plan) -> int:
    """The generation loop, one transaction per batch; returns how many cases it wrote."""
    rng, svc_list, svc_cum, by_dept, cum = (
        plan.rng,
        plan.svc_list,
        plan.svc_cum,
        plan.by_dept,
        plan.cum,
    )
    serials, today, report = plan.serials, plan.today, plan.report
    people = [(uid, phone[-4:]) for uid, phone in plan.people]
    templates = _Templates(plan.workdays, plan.now)
    for statement in DROP_WORK_TABLES + CREATE_WORK_TABLES:
        writer.execute(statement)
    writer.insert(
        "bench_licences", ("service_id", "code"), [(s.id, c) for s in svc_list for c in s.licences]
    )
    statements = _batch_sql(writer.dialect)
    closed_targets = [m[0] for m in CLOSED_MIX], [m[1] for m in CLOSED_MIX]
    open_targets = [m[0] for m in OPEN_MIX], [m[1] for m in OPEN_MIX]
    scopes: dict[tuple[str, date], tuple[str, int]] = {}
    case_id, event_id = plan.case_id, plan.event_id
    choices, randint, randrange, n_people = rng.choices, rng.randint, rng.randrange, len(people)
    done = 0
    while done < plan.cases:
        writer.begin()
        n = min(plan.batch, plan.cases - done)
        stage: list[tuple[Any, ...]] = []
        t_rows: list[tuple[Any, ...]] = []
        loop_started, replays_before = clock_time.perf_counter(), templates.replay_seconds
        days = choices(plan.days, weights=plan.day_weights, k=n)
        services = choices(svc_list, cum_weights=svc_cum, k=n)
        for day, svc in zip(days, services, strict=True):
            case_id += 1
            applicant_id, last4 = people[randrange(n_people)]
            receiving, competent = _offices(rng, svc, by_dept, cum)
            key = (receiving.region, day)
            if key not in scopes:
                scope = f"{receiving.region[:2]}{day:%y%m%d}"
                scopes[key] = (scope, _scope_weight(scope))
            scope, weight = scopes[key]
            serial = serials[scope] = serials[scope] + 1
            check = _CHECK[(weight + _HI[serial // 1000] + _LO[serial % 1000]) % 11]
            tracking = f"{scope}{serial:06d}{check}"
            closed = (today - day).days > svc.promised_days * 1.6 + randint(2, 12)
            targets, weights = closed_targets if closed else open_targets
            tpl = templates.get(rng, svc, day, choices(targets, weights=weights)[0])
            stage.append(
                (
                    case_id,
                    tracking,
                    tpl.id,
                    svc.id,
                    applicant_id,
                    receiving.id,
                    competent.id,
                    last4,
                    event_id,
                )
            )
            event_id += tpl.events
            report.events += tpl.events
            if tpl.subtasks is not None:
                created, status, done_at = tpl.subtasks
                for i, (coop_dept, role_zh, task, limit) in enumerate(svc.cooperations):
                    other = choices(by_dept[coop_dept], cum_weights=cum[coop_dept])[0]
                    t_rows.append(
                        (
                            case_id,
                            other.id,
                            f"LXH{tracking}-{i + 1}",
                            role_zh,
                            task,
                            limit,
                            status,
                            True,
                            2,
                            created,
                            done_at,
                        )
                    )
        replayed = templates.replay_seconds - replays_before
        report.phases["histories replayed (domain)"] += replayed
        report.phases["per-case Python (ids, offices, numbers)"] += (
            clock_time.perf_counter() - loop_started - replayed
        )
        templates.flush(writer)
        writer.insert("bench_stage", STAGE_COLS, stage)
        for statement in statements:
            writer.execute(statement, _phase_of(statement))
        writer.insert("subtasks", SUBTASK_COLS, t_rows, TEMPORAL[SUBTASK_COLS])
        writer.commit()
        done += n
    writer.begin()
    writer.execute(DAILY_ROLLUPS_SQL, "daily_rollups summed once")
    writer.commit()
    for statement in DROP_WORK_TABLES:
        writer.execute(statement)
    plan.report.templates = len(templates.by_key)
    return done


BULK_TABLES = ("cases", "case_events", "clock_pauses", "subtasks", "ratings", "attachments")


def _drop_secondary_indexes_if_empty() -> list[sa.Index]:
    """Loading into empty tables: drop their non-unique indexes now, rebuild them at the end."""
    if db.session.scalar(sa.select(Case.id).limit(1)) is not None:
        return []
    dropped = []
    for name in BULK_TABLES:
        for index in db.metadata.tables[name].indexes:
            if not index.unique:
                index.drop(db.session.connection())
                dropped.append(index)
    db.session.commit()
    return dropped


def _rectifications_and_sequences(serials: Counter[str]) -> None:
    """Bad ratings open rectification items; tracking serials continue after the bulk load."""
    db.session.execute(
        sa.text(
            "INSERT INTO rectifications (rating_id, case_id, office_id, stage, history, created_at) "
            f"SELECT r.id, r.case_id, r.office_id, '{FIRST_STAGE.value}', '[]', r.created_at "
            f"FROM ratings r WHERE r.score IN ({', '.join(map(str, BAD_SCORES))}) "
            "AND NOT EXISTS (SELECT 1 FROM rectifications x WHERE x.rating_id = r.id)"
        )
    )
    existing = {t.scope: t for t in db.session.scalars(sa.select(TrackingSequence))}
    for scope, last in serials.items():
        if scope in existing:
            existing[scope].last = max(existing[scope].last, last)
        else:
            db.session.add(TrackingSequence(scope=scope, last=last))


@dataclass(frozen=True)
class _Replayed:
    facts: CaseFacts
    timing: Timing
    stamps: dict[str, datetime]
    act_by: date | None
    metrics: list[dict[str, int]]  # one per event, in order


def _replay(
    svc: _Service,
    receiving: int,
    competent: int,
    applicant: int,
    day: date,
    events: list[tuple[Action, datetime, CaseStatus]],
    score: int | None,
    workdays: _Workdays,
) -> _Replayed:
    """Run a history through the domain's ``effects``, as the services would have: the case's
    columns after its last move, and the counters each event adds to."""
    facts = CaseFacts(
        status=S.RECEIVED,
        mode=svc.mode,
        applicant_id=applicant,
        receiving_office_id=receiving,
        competent_office_id=competent,
        custody_office_id=receiving,
    )
    timing = Timing(
        received_on=day, promised_days=svc.promised_days, statutory_days=svc.statutory_days
    )
    stamps: dict[str, datetime] = {}
    deadline = act_by(S.RECEIVED, False, day, None, None, workdays)
    metrics = [event_metrics(Action.SUBMIT, S.RECEIVED)]
    for action, at, _status in events[1:]:
        if action is Action.RATE:  # a rating is not a move of the workflow
            metrics.append(event_metrics(Action.RATE, facts.status, score=score))
            continue
        changes: CaseChanges = effects(
            action,
            facts,
            timing,
            at.astimezone(BEIJING).date(),
            workdays,
            {"delivery_method": DeliveryMethod.ONLINE.value, "lateness_code": "workload"},
        )
        for name in changes.stamps:
            stamps.setdefault(name, at)
        facts, timing = facts_after(facts, action, changes), changes.timing
        deadline = changes.act_by
        metrics.append(dict(changes.metrics))
    return _Replayed(facts, timing, stamps, deadline, metrics)


Leg = tuple[Action, CaseStatus, tuple[float, float]]  # a move, where it leads, hours it takes
A = Action
_INTAKE: list[Leg] = [
    (A.FORMAL_CHECK, S.RECEIVED, (0.5, 6)),
    (A.IDENTITY_CHECK, S.RECEIVED, (0.1, 2)),
    (A.FORWARD, S.RECEIVED, (0.5, 12)),
]
_SUPPLEMENT: list[Leg] = [
    (A.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, (2, 40)),
    (A.SUBMIT_SUPPLEMENT, S.SUPPLEMENTED, (12, 120)),
]
_ACCEPT: Leg = (A.ACCEPT, S.ACCEPTED, (2, 40))
_START: Leg = (A.START_PROCESSING, S.PROCESSING, (1, 24))
_SPECIAL: list[Leg] = [
    (A.START_SPECIAL, S.SPECIAL_PROCEDURE, (2, 40)),
    (A.END_SPECIAL, S.SPECIAL_PROCEDURE_ENDED, (24, 120)),
]
# After intake and any supplements: the moves to each end state (the workflow's paths).
_TO: dict[CaseStatus, list[Leg]] = {
    S.RETRACTED: [(A.RETRACT, S.RETRACTED, (2, 40))],
    S.NOT_ACCEPTED: [(A.REJECT, S.NOT_ACCEPTED, (2, 40))],
    S.ACCEPTED: [_ACCEPT],
    S.WITHDRAWN: [_ACCEPT, (A.WITHDRAW, S.WITHDRAWN, (2, 40))],
    S.CANCELLED: [_ACCEPT, (A.CANCEL, S.CANCELLED, (2, 40))],
    S.PROCESSING: [_ACCEPT, _START],
    S.SPECIAL_PROCEDURE: [_ACCEPT, _START, *_SPECIAL],
    S.SPECIAL_PROCEDURE_ENDED: [_ACCEPT, _START, *_SPECIAL],
    S.APPROVED: [_ACCEPT, _START, (A.APPROVE, S.APPROVED, (4, 200))],
    S.APPROVED_TOLERATED: [_ACCEPT, _START, (A.APPROVE_TOLERATED, S.APPROVED_TOLERATED, (4, 200))],
    S.REFUSED: [_ACCEPT, _START, (A.REFUSE, S.REFUSED, (4, 200))],
}


def _legs(rng: random.Random, mode: HandlingMode, target: CaseStatus) -> list[Leg]:
    """The moves after submission that bring a case to ``target``."""
    if target is S.RETRACTED:
        return _TO[target]
    if target is S.RECEIVED:
        return []
    legs = list(_INTAKE) if mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE else []
    if target in (S.SUPPLEMENT_REQUESTED, S.SUPPLEMENTED) or rng.random() < 0.12:
        legs += _SUPPLEMENT
    legs += _TO.get(target, [])
    return legs[: next(i + 1 for i, leg in enumerate(legs) if leg[1] is target)]


def _history(
    rng: random.Random,
    mode: HandlingMode,
    target: CaseStatus,
    submitted: datetime,
    now: datetime,
    receiving: int,
    competent: int,
) -> tuple[list[tuple[Action, datetime, CaseStatus]], dict[str, Any]]:
    """The moves that bring a case to ``target`` (the workflow's paths), with times; a decided
    case is delivered 60% of the time and rated 55%."""
    at = submitted
    moves: list[tuple[Action, datetime, CaseStatus]] = [(Action.SUBMIT, at, S.RECEIVED)]
    extra: dict[str, Any] = {}
    legs = _legs(rng, mode, target)
    if target.is_closed and target in (S.APPROVED, S.APPROVED_TOLERATED, S.REFUSED):
        if rng.random() < 0.6:
            legs.append((A.DELIVER, target, (1, 48)))
        if rng.random() < 0.55:
            extra["score"] = rng.choices(SCORES, weights=[70, 18, 6, 4, 2])[0]
            legs.append((A.RATE, target, (2, 96)))
    for action, status, hours in legs:
        at = min(at + timedelta(hours=rng.uniform(*hours)), now - timedelta(minutes=1))
        moves.append((action, at, status))
    return moves, extra


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.generate --cases N``: generate into the app's configured database."""
    import argparse
    from pathlib import Path

    from tracker import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="last day of the 180-day history (YYYY-MM-DD; default: today)",
    )
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        today = args.today or datetime.now(SHANGHAI).date()
        report = generate(cases=args.cases, seed=args.seed, today=today)
        uri = db.engine.url
        if uri.get_backend_name() == "sqlite" and uri.database:
            path = Path(uri.database)
            report.database_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"generated: {report}")
    print("where the time went (wall):")
    print(report.phase_table())


if __name__ == "__main__":
    main()
