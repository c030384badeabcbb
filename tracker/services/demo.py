"""Demo accounts and a few hundred cases in every state, made through the real services.

Deterministic for a given seed and ``today``: the same seed on the same day gives the same
cases. Demo people and numbers are invented (resident IDs carry valid check digits but were
generated, not taken from anyone).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..database import write_transaction
from ..domain.errors import DomainError
from ..domain.identifiers import iso7064_mod11_2
from ..domain.ratings import SCORES, is_bad
from ..domain.states import CaseStatus, DeliveryMethod, HandlingMode, Role, is_completed
from ..domain.workflow import Action
from ..extensions import db
from ..models import Case, Office, Service, User
from ..passwords import hash_password
from . import cases as case_ops
from .accounts import create_user
from .calendar import SHANGHAI, local_date
from .demo_answers import answers_for, reasons_for

DEMO_PASSWORD = "Tongban-Demo-2026"  # noqa: S105 (published demo password, PRODUCT.md)
PLACES = {"cd": "510100", "cq": "500112"}  # 成都市, 渝北区
DEPARTMENTS = ("mi", "hf", "hrss", "psb", "traffic", "amr", "dpf")
CITIZENS = [  # phone suffix, name, home region (catalogue), ID birthplace code, birth date
    ("01", "张伟", "500112", "500112", "19850314"),
    ("02", "王芳", "510100", "510104", "19900722"),
    ("03", "李娜", "500103", "500103", "19781105"),
    ("04", "刘洋", "510100", "510107", "19951230"),
    ("05", "陈静", "500112", "500112", "19620418"),
    ("06", "杨磊", "510700", "510703", "19880909"),
    ("07", "赵敏", "500106", "500106", "19730201"),
    ("08", "黄强", "510100", "510105", "19991111"),
    ("09", "周杰", "500105", "500105", "19660606"),
    ("10", "吴婷", "511300", "511302", "19920817"),
]
SUPERVISORS = [
    ("sup.sc", "四川省政务服务中心 督查", "510000"),
    ("sup.cq", "重庆市政务服务中心 督查", "500000"),
    ("sup.all", "川渝通办 联合督查", None),
]

# Target states and their weights: recent cases are mostly open, older ones mostly closed.
OPEN_TARGETS = {
    CaseStatus.RECEIVED: 10,
    CaseStatus.SUPPLEMENT_REQUESTED: 5,
    CaseStatus.SUPPLEMENTED: 3,
    CaseStatus.ACCEPTED: 8,
    CaseStatus.PROCESSING: 12,
    CaseStatus.SPECIAL_PROCEDURE: 2,
    CaseStatus.SPECIAL_PROCEDURE_ENDED: 2,
}
CLOSED_TARGETS = {
    CaseStatus.APPROVED: 40,
    CaseStatus.APPROVED_TOLERATED: 5,
    CaseStatus.REFUSED: 6,
    CaseStatus.NOT_ACCEPTED: 5,
    CaseStatus.RETRACTED: 3,
    CaseStatus.WITHDRAWN: 3,
    CaseStatus.CANCELLED: 2,
}


def demo_resident_id(region: str, birth: str, serial: int) -> str:
    body = f"{region}{birth}{serial:03d}"
    return body + iso7064_mod11_2(body)


@dataclass
class SeedReport:
    users: int = 0
    cases: int = 0
    states: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
        return f"users {self.users}, cases {self.cases} ({states})"


def seed_accounts(now: datetime) -> int:
    """The demo accounts of PRODUCT.md; existing ones are left as they are."""
    made = 0
    existing = set(db.session.scalars(sa.select(User.username)).all()) | set(
        db.session.scalars(sa.select(User.phone)).all()
    )
    offices = {
        o.code: o
        for o in db.session.scalars(
            sa.select(Office).where(Office.region_code.in_(PLACES.values()))
        )
    }
    for i, (suffix, name, home, birthplace, birth) in enumerate(CITIZENS):
        phone = f"139000000{suffix}"
        if phone not in existing:
            create_user(
                role=Role.CITIZEN,
                real_name=name,
                password=DEMO_PASSWORD,
                now=now,
                phone=phone,
                resident_id=demo_resident_id(birthplace, birth, 100 + i * 7),
                home_region_code=home,
            )
            made += 1
    for place, region in PLACES.items():
        for dept in DEPARTMENTS:
            username = f"clerk.{place}.{dept}"
            office = offices.get(f"{region}-{dept}")
            if office is not None and username not in existing:
                create_user(
                    role=Role.CLERK,
                    real_name=f"{office.name_zh} 窗口",
                    password=DEMO_PASSWORD,
                    now=now,
                    username=username,
                    office=office,
                )
                made += 1
    made += _office_clerks(now, existing)
    for username, name, scope in SUPERVISORS:
        if username not in existing:
            create_user(
                role=Role.SUPERVISOR,
                real_name=name,
                password=DEMO_PASSWORD,
                now=now,
                username=username,
                scope_region_code=scope,
            )
            made += 1
    if "admin" not in existing:
        create_user(
            role=Role.ADMIN,
            real_name="系统管理员",
            password=DEMO_PASSWORD,
            now=now,
            username="admin",
        )
        made += 1
    return made


def _office_clerks(now: datetime, existing: set[str | None]) -> int:
    """``clerk.<office code>`` for every active office (every office a demo citizen can
    choose), beside the documented ``clerk.<place>.<kind>`` logins. One transaction and one
    password hash for all of them: the demo password is published, and 400 separate scrypt
    hashes would make seeding half a minute slower."""
    offices = db.session.scalars(sa.select(Office).where(Office.active).order_by(Office.code))
    password_hash = hash_password(DEMO_PASSWORD)
    made = 0
    with write_transaction() as session:
        for office in offices:
            username = f"clerk.{office.code}"
            if username in existing:
                continue
            session.add(
                User(
                    role=Role.CLERK,
                    username=username,
                    real_name=f"{office.name_zh} 窗口",
                    password_hash=password_hash,
                    office_id=office.id,
                    created_at=now,
                    password_changed_at=now,
                )
            )
            made += 1
    return made


def _weighted(rng: random.Random, table: dict[CaseStatus, int]) -> CaseStatus:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _office_hours(rng: random.Random, day: date) -> datetime:
    local = datetime.combine(day, time(9, 0), SHANGHAI) + timedelta(minutes=rng.randint(0, 480))
    return local.astimezone(UTC)


# One move of the plan: the action, who makes it (None: the system), its keyword arguments.
Step = tuple[Action, User | None, dict[str, object]]


DEMO_LATENESS = ("workload", "coordination", "verification")
LATENESS_NOTES = {
    "workload": "近期申请集中，窗口积压",
    "coordination": "等待另一地部门回复",
    "verification": "跨省核实信息耗时较长",
}


class _Runner:
    """Moves one case towards a target state, step by step, never past ``now``."""

    def __init__(self, rng: random.Random, now: datetime, clerks: dict[int, User]) -> None:
        self.rng, self.now, self.clerks = rng, now, clerks

    def step(
        self, case: Case, action: Action, actor: User | None, at: datetime, **kw: object
    ) -> datetime | None:
        if at >= self.now:
            return None
        try:
            case_op = case_ops.act(case.id, action, actor, at, **kw)  # type: ignore[arg-type]
        except DomainError as exc:
            if exc.code == "extension_too_late":  # too late to ask: the case just runs late
                return at
            if exc.code != "lateness_code":
                raise
            # not drawn from rng: the demo's random sequence stays what it was
            code = DEMO_LATENESS[case.id % len(DEMO_LATENESS)]
            late = {"lateness_code": code, "lateness_note": LATENESS_NOTES[code]}
            payload = {**dict(kw.pop("payload", None) or {}), **late}  # type: ignore[call-overload]
            case_op = case_ops.act(case.id, action, actor, at, payload=payload, **kw)  # type: ignore[arg-type]
        case.status = case_op.status
        return at

    def later(self, at: datetime, low_h: float = 2, high_h: float = 72) -> datetime:
        return at + timedelta(hours=self.rng.uniform(low_h, high_h))

    def run(self, case: Case, target: CaseStatus, at: datetime, applicant: User) -> None:
        for action, actor, kw in self._plan(case, target, applicant):
            at = self.later(at)
            if self.step(case, action, actor, at, **kw) is None:
                return
            if (
                action is Action.START_PROCESSING
                and case.mode is HandlingMode.JOINT
                and not self._work_subtasks(case, target, at)
            ):
                return
        if is_completed(case.status):
            self._deliver_and_rate(case, at, applicant)

    def _plan(self, case: Case, target: CaseStatus, applicant: User) -> list[Step]:
        """The moves that take a just-submitted case to ``target``."""
        receiving = self.clerks[case.receiving_office_id]
        competent = self.clerks[case.competent_office_id]
        checks: list[Step] = [
            (Action.FORMAL_CHECK, receiving, {}),
            (Action.IDENTITY_CHECK, receiving, {}),
        ]
        if target is CaseStatus.RECEIVED:
            accept_here = case.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE
            return checks if accept_here and self.rng.random() < 0.5 else []
        if target is CaseStatus.RETRACTED:
            return [(Action.RETRACT, applicant, {"reason": "信息填写有误，重新申请"})]
        steps: list[Step] = []
        if case.mode is HandlingMode.ACCEPT_HERE_DECIDE_THERE:
            steps += [*checks, (Action.FORWARD, receiving, {})]
        steps += self._supplement(case, target, competent, applicant)
        if target is CaseStatus.NOT_ACCEPTED:
            steps.append((Action.REJECT, competent, {"reason": reasons_for(case).reject}))
        elif target not in (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.SUPPLEMENTED):
            steps.append((Action.ACCEPT, competent, {}))
            steps += self._after_acceptance(case, target, competent, applicant)
        return steps

    def _supplement(
        self, case: Case, target: CaseStatus, competent: User, applicant: User
    ) -> list[Step]:
        """A request for supplement (always on the way to those states, sometimes otherwise)."""
        wanted = target in (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.SUPPLEMENTED)
        if not wanted and self.rng.random() >= 0.15:
            return []
        words = reasons_for(case)
        items = [{"material": words.supplement_material, "note": words.supplement_note}]
        steps: list[Step] = [
            (
                Action.REQUEST_SUPPLEMENT,
                competent,
                {"reason": words.supplement, "payload": {"items": items}},
            )
        ]
        if target is not CaseStatus.SUPPLEMENT_REQUESTED:
            steps.append((Action.SUBMIT_SUPPLEMENT, applicant, {}))
        return steps

    def _deliver_and_rate(self, case: Case, at: datetime, applicant: User) -> None:
        """A decided case is sometimes delivered, then sometimes rated, never after ``now``."""
        rng, competent = self.rng, self.clerks[case.competent_office_id]
        at = self.later(at)
        if rng.random() < 0.6 and at < self.now:
            case_ops.act(
                case.id,
                Action.DELIVER,
                competent,
                at,
                payload={
                    "delivery_method": rng.choice([m.value for m in DeliveryMethod]),
                    # an EMS-shaped waybill (not drawn from rng: the demo's sequence stays)
                    "delivery_ref": f"EA{case.id:09d}CN",
                },
            )
        at = self.later(at)
        if rng.random() < 0.55 and at < self.now:
            score = rng.choices(SCORES, weights=[70, 18, 6, 4, 2])[0]
            case_ops.rate(
                case.id, applicant, score, "等待时间太长，进度不透明" if is_bad(score) else "", at
            )

    def _after_acceptance(
        self, case: Case, target: CaseStatus, clerk: User, applicant: User
    ) -> list[Step]:
        rng = self.rng
        if target is CaseStatus.ACCEPTED:
            return []
        if target is CaseStatus.WITHDRAWN:
            return [(Action.WITHDRAW, applicant, {"reason": "已在本地办理，无需再办"})]
        if target is CaseStatus.CANCELLED:
            return [(Action.CANCEL, clerk, {"reason": "重复申请，已合并至另一办件"})]
        steps: list[Step] = []
        payload: dict[str, object] = {}
        if case.mode is HandlingMode.JOINT:
            payload["cooperating_offices"] = self.cooperating_offices(case)
        steps.append((Action.START_PROCESSING, clerk, {"payload": payload}))
        if target in (CaseStatus.SPECIAL_PROCEDURE, CaseStatus.SPECIAL_PROCEDURE_ENDED) or (
            rng.random() < 0.05
        ):
            steps.append((Action.START_SPECIAL, clerk, {"reason": reasons_for(case).special}))
            if target is not CaseStatus.SPECIAL_PROCEDURE:
                steps.append((Action.END_SPECIAL, clerk, {}))
        if target in (
            CaseStatus.PROCESSING,
            CaseStatus.SPECIAL_PROCEDURE,
            CaseStatus.SPECIAL_PROCEDURE_ENDED,
        ):
            if target is CaseStatus.PROCESSING and rng.random() < 0.2:
                days = min(5, case.service.statutory_days)
                steps.append(
                    (
                        Action.REQUEST_EXTENSION,
                        clerk,
                        {"reason": reasons_for(case).extension, "payload": {"days": days}},
                    )
                )
            return steps
        words = reasons_for(case)
        decision = {
            CaseStatus.APPROVED: (Action.APPROVE, None),
            CaseStatus.APPROVED_TOLERATED: (Action.APPROVE_TOLERATED, words.tolerated),
            CaseStatus.REFUSED: (Action.REFUSE, words.refuse),
        }
        action, reason = decision[target]
        steps.append((action, clerk, {"reason": reason} if reason else {}))
        return steps

    def cooperating_offices(self, case: Case) -> list[int]:
        """The office the applicant named for each role (the transfer-out centre), else the
        role's office in the other demo place."""
        lead_region = case.receiving_office.region_code
        other = PLACES["cq"] if lead_region == PLACES["cd"] else PLACES["cd"]
        named = {
            f.department_code: str(case.form_data.get(f.name))
            for f in case.form_fields
            if f.type == "office" and case.form_data.get(f.name)
        }
        codes = [
            named.get(role.department_code) or f"{other}-{role.department_code}"
            for role in case.service.cooperations
        ]
        ids = {
            o.code: o.id
            for o in db.session.scalars(sa.select(Office).where(Office.code.in_(codes)))
        }
        return [ids[c] for c in codes]

    def _work_subtasks(self, case: Case, target: CaseStatus, at: datetime) -> bool:
        """The cooperating office answers; False when time ran out before it finished."""
        fresh = db.session.get(Case, case.id)
        assert fresh is not None
        db.session.refresh(fresh)
        finish = target in (CaseStatus.APPROVED, CaseStatus.APPROVED_TOLERATED)
        for task in fresh.subtasks:
            cooperating = self.clerks[task.office_id]
            moves = [Action.SUBTASK_ACCEPT]
            if self.rng.random() < 0.1:
                moves += [Action.SUBTASK_NEGOTIATE, Action.SUBTASK_RESUME]
            if finish or self.rng.random() < 0.4:
                moves.append(Action.SUBTASK_COMPLETE)
            for move in moves:
                at = self.later(at, 1, 48)
                if at >= self.now:
                    return False
                reason = {
                    Action.SUBTASK_NEGOTIATE: reasons_for(fresh).negotiate,
                    Action.SUBTASK_RESUME: "已核对一致",
                }.get(move)
                case_ops.act_on_subtask(task.id, move, cooperating, at, reason=reason)
        return True


def seed_demo(
    *,
    today: date | None = None,
    now: datetime | None = None,
    cases: int = 400,
    seed: int = 2026,
    days: int = 60,
) -> SeedReport:
    """Demo accounts plus ``cases`` cases submitted over the ``days`` before today, every move
    dated before ``now`` (the real time, for the CLI). Given only ``today`` (a pretended day,
    for tests): ``now`` is 18:00 that day in Beijing."""
    if now is None:
        if today is None:
            raise ValueError("seed_demo needs today or now")
        now = datetime.combine(today, time(18, 0), SHANGHAI).astimezone(UTC)
    today = local_date(now)
    report = SeedReport(users=seed_accounts(now - timedelta(days=days + 1)))
    rng = random.Random(seed)
    citizens = list(
        db.session.scalars(sa.select(User).where(User.role == Role.CITIZEN).order_by(User.phone))
    )
    # the documented clerk.<place>.<kind> logins work their offices' demo cases; the
    # clerk.<office code> accounts the other offices'
    clerks: dict[int, User] = {}
    for u in db.session.scalars(
        sa.select(User).where(User.role == Role.CLERK).order_by(User.id.desc())
    ):
        if u.office_id is not None:
            clerks[u.office_id] = u
    services = list(db.session.scalars(sa.select(Service).order_by(Service.code)))
    offices = {
        o.code: o
        for o in db.session.scalars(
            sa.select(Office).where(Office.region_code.in_(PLACES.values()))
        )
    }
    runner = _Runner(rng, now, clerks)
    weekdays = [today - timedelta(days=d) for d in range(days, 0, -1)]
    weights = [1.0 if d.weekday() < 5 else 0.15 for d in weekdays]
    for n in range(cases):
        service = services[n % len(services)] if n < len(services) else rng.choice(services)
        applicant = citizens[0] if n % 5 == 0 else rng.choice(citizens)
        home = applicant.home_region_code or ""
        here, there = ("cq", "cd") if home.startswith("50") else ("cd", "cq")
        receiving = offices[f"{PLACES[here]}-{service.department_code}"]
        competent = offices[f"{PLACES[there]}-{service.competent_department_code}"]
        if service.mode is not HandlingMode.ACCEPT_HERE_DECIDE_THERE:
            # Fully online and joint cases are received by the office that decides (the lead).
            receiving = (
                competent
                if service.mode is HandlingMode.FULLY_ONLINE
                else offices[f"{PLACES[here]}-{service.competent_department_code}"]
            )
            competent = receiving
        day = rng.choices(weekdays, weights=weights)[0]
        age = (today - day).days
        target = _weighted(rng, OPEN_TARGETS if age < rng.randint(4, 25) else CLOSED_TARGETS)
        submitted = _office_hours(rng, day)
        case = case_ops.submit_case(
            applicant=applicant,
            service=service,
            receiving_office=receiving,
            competent_office=competent,
            form_data=demo_form_data(
                service, rng, applicant=applicant, day=day, lead=here, n=n, seed=seed
            ),
            now=submitted,
            idempotency_key=f"demo-{seed}-{n}",
            # Demo applicants cite e-licences (电子证照) where a service allows it.
            licences={
                m.code: f"DZZZ{rng.randint(10**9, 10**10 - 1)}"
                for m in service.materials
                if m.e_licence and m.required
            },
        )
        try:
            runner.run(case, target, submitted, applicant)
        except DomainError as exc:  # a demo path the rules refuse is a bug in this seeder
            raise RuntimeError(f"demo case {n} ({service.code} → {target}): {exc.message}") from exc
        report.cases += 1
    for status, count in db.session.execute(
        sa.select(Case.status, sa.func.count()).group_by(Case.status)
    ):
        report.states[status.value] = count
    return report


def demo_form_data(
    service: Service,
    rng: random.Random,
    *,
    applicant: User | None = None,
    day: date | None = None,
    lead: str = "cq",
    n: int = 0,
    seed: int = 0,
) -> dict[str, object]:
    """Plausible answers for a service's form fields, as a person would give them: names,
    employers, accounts and addresses drawn from ``demo_answers``, the applicant's own phone,
    the office of the region answered in an office field, dates before the filing ``day``.

    ``rng`` (the seeder's sequence) is drawn from exactly as before for choices, numbers and
    regions, so the demo's cases and states stay what they were; everything else comes from a
    generator of its own (``seed`` and ``n``)."""
    data: dict[str, object] = {}
    for f in service.fields:
        if f.type == "select" and f.choices:
            data[f.name] = rng.choice(f.choices)["value"]
        elif f.type == "integer":
            data[f.name] = rng.randint(f.min_value or 0, min(f.max_value or 5, 5))
        elif f.type == "money":
            data[f.name] = str(rng.randint(100, 20000))
        elif f.type == "region":
            data[f.name] = rng.choice(list(PLACES.values()))
    own = random.Random(f"{seed}:{n}:{service.code}")
    return answers_for(
        service,
        data,
        own,
        applicant=applicant,
        day=day or date(2026, 10, 8),
        other_place=PLACES["cd" if lead == "cq" else "cq"],
    )
