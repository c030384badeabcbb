"""Demo data that looks real (issue #16 item 6): nothing dated after "now", answers that look
like a person's, each case's phone its applicant's, reasons that fit the department, and a
clerk for every office a demo citizen can choose."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import config_for
from tracker import create_app
from tracker.domain.states import Role
from tracker.extensions import db
from tracker.models import Case, CaseEvent, Office, User
from tracker.models._types import UTCDateTime
from tracker.services.calendar import SHANGHAI
from tracker.services.demo import seed_demo

# A morning: the old seeder dated the day's moves up to 18:00, hours after "now".
NOW = datetime.combine(datetime(2026, 11, 20).date(), time(9, 30), SHANGHAI).astimezone(UTC)
# Columns that name a moment still to come by design.
FUTURE_BY_DESIGN = {"expires_at", "locked_until", "claimed_until", "next_attempt_at"}
# Words that belong to one department's business: a case of another department never says them.
WORDS = {
    "hf": ("公积金", "缴存"),
    "mi": ("医保", "就医", "医疗费用"),
    "hrss": ("养老", "失业", "社保", "社会保障卡"),
    "psb": ("户口", "户籍", "迁入"),
    "traffic": ("驾驶", "交管"),
    "amr": ("营业执照", "经营", "登记机关"),
    "dpf": ("残疾",),
}
MOVES_WITH_REASONS = ("refuse", "reject", "approve_tolerated", "request_extension", "start_special")


@pytest.fixture(scope="module")
def seeded(template_db, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("demo") / "tracker.sqlite"
    shutil.copy(template_db, path)
    app = create_app(config_for(f"sqlite:///{path}"))
    with app.app_context():
        before = _future_rows()
        seed_demo(now=NOW, cases=120, seed=5)
        db.session.remove()
        db.engine.dispose()
    return app, before


@pytest.fixture
def demo(seeded) -> Flask:
    app, _ = seeded
    with app.app_context():
        yield app
        db.session.remove()


def _future_rows() -> dict[str, int]:
    """How many rows of each timestamp column lie after NOW."""
    found = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime) and column.name not in FUTURE_BY_DESIGN:
                count = db.session.scalar(
                    sa.select(sa.func.count()).select_from(table).where(column > NOW)
                )
                found[f"{table.name}.{column.name}"] = count or 0
    return found


def test_nothing_the_seeder_makes_is_dated_after_now(seeded, demo):
    _, before = seeded
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 120
    after = _future_rows()
    made = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key)}
    assert made == {}, made
    latest = db.session.scalar(sa.select(sa.func.max(CaseEvent.at)))
    assert latest <= NOW and latest > NOW - timedelta(days=3)  # and the demo reaches today


def test_answers_look_like_a_persons_and_the_phone_is_the_applicants(demo):
    cases = db.session.scalars(sa.select(Case)).all()
    for case in cases:
        for f in case.form_fields:
            value = case.form_data.get(f.name)
            assert "演示" not in str(value), (case.service.code, f.name, value)
            if f.type == "phone":
                assert value == case.applicant.phone, (case.service.code, f.name)
            if f.type == "office":
                office = db.session.scalars(sa.select(Office).where(Office.code == value)).one()
                assert office.department_code == f.department_code
                assert office.region_code == case.form_data[f.region_field]
    reasons = db.session.scalars(sa.select(CaseEvent.reason).where(CaseEvent.reason.is_not(None)))
    assert not [r for r in reasons if "演示" in r]
    hf = [c for c in cases if c.service.code == "hf-transfer"]
    assert hf and len({c.form_data["original_employer"] for c in hf}) > 1  # not one stock text
    # a joint case's contact letter goes to the office the applicant named
    for case in hf:
        for task in case.subtasks:
            assert (
                db.session.get(Office, task.office_id).code == case.form_data["transfer_out_centre"]
            )


def test_reasons_fit_the_cases_department(demo):
    rows = db.session.execute(
        sa.select(CaseEvent.action, CaseEvent.reason, Case)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.action.in_(MOVES_WITH_REASONS), CaseEvent.reason.is_not(None))
    ).all()
    assert {action for action, _, _ in rows} >= {"refuse", "reject", "approve_tolerated"}
    for action, reason, case in rows:
        department = case.service.department_code
        for other, words in WORDS.items():
            if other != department:
                assert not any(w in reason for w in words), (case.service.code, action, reason)
        if action == "refuse":
            assert any(w in reason for w in WORDS[department]) or department not in WORDS, (
                case.service.code,
                reason,
            )


def test_every_office_a_citizen_can_choose_has_a_demo_clerk(demo):
    clerks = {
        u.username: u
        for u in db.session.scalars(sa.select(User).where(User.username.like("clerk.%")))
    }
    offices = db.session.scalars(sa.select(Office).where(Office.active)).all()
    for office in offices:
        assert clerks[f"clerk.{office.code}"].office_id == office.id
    # the documented logins stay, and the demo's own cases are worked by them
    assert clerks["clerk.cd.hf"].office.code == "510100-hf"
    assert clerks["clerk.cq.mi"].office.code == "500112-mi"
    actors = set(
        db.session.scalars(sa.select(CaseEvent.actor_id).where(CaseEvent.actor_role == Role.CLERK))
    )
    assert clerks["clerk.cd.hf"].id in actors


def test_demo_logins_summarise_the_pattern(demo):
    result = demo.test_cli_runner().invoke(args=["tracker", "demo-logins"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) < 25
    assert "clerk.<office code>" in result.output and "clerk.510100-hf" in result.output
    assert "clerk.cd.hf" in result.output and "13900000001" in result.output
