"""The commands an operator runs: catalogue, demo data, official calendar tables."""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from tracker.domain.states import CaseStatus
from tracker.extensions import db
from tracker.models import Case, CaseEvent, User


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_load_catalogue_reports_counts(app):
    result = run(app, "tracker", "load-catalogue")
    assert result.exit_code == 0, result.output
    assert "regions 61, departments 7, offices 413, services 12" in result.output


def test_load_catalogue_names_the_bad_file(app, tmp_path):
    (tmp_path / "offices.csv").write_text("code,region\nx,y\n", encoding="utf-8")
    result = run(app, "tracker", "load-catalogue", str(tmp_path))
    assert result.exit_code != 0 and "offices.csv: header must be" in result.output


def test_seed_demo_makes_the_documented_accounts_and_every_state(app):
    result = run(app, "tracker", "seed-demo", "--cases", "160", "--today", "2026-11-20")
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(sa.select(User.username)))
    assert {
        "clerk.cd.hf",
        "clerk.cq.hf",
        "clerk.cd.mi",
        "clerk.cq.mi",
        "sup.sc",
        "sup.cq",
        "sup.all",
        "admin",
    } <= names
    phones = set(db.session.scalars(sa.select(User.phone).where(User.phone.is_not(None))))
    assert phones == {f"139000000{i:02d}" for i in range(1, 11)}
    first = db.session.scalars(sa.select(User).where(User.phone == "13900000001")).one()
    assert first.home_region_code == "500112"
    states = Counter(db.session.scalars(sa.select(Case.status)))
    assert sum(states.values()) == 160
    assert len(states) >= 12, states  # nearly every state even in a small sample
    assert states[CaseStatus.APPROVED] > states[CaseStatus.CANCELLED]
    # Every case's history starts with its submission, and nothing bypassed the services.
    firsts = db.session.scalars(
        sa.select(CaseEvent.action).where(
            CaseEvent.id.in_(sa.select(sa.func.min(CaseEvent.id)).group_by(CaseEvent.case_id))
        )
    ).all()
    assert set(firsts) == {"submit"} and len(firsts) == 160
    again = run(app, "tracker", "seed-demo", "--if-empty")
    assert "left as it is" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 160


def test_seed_demo_is_deterministic(app, template_db, tmp_path):
    import shutil

    from tests.conftest import config_for
    from tracker import create_app

    def fingerprint(application) -> list[tuple[str, str]]:
        with application.app_context():
            run(application, "tracker", "seed-demo", "--cases", "40", "--today", "2026-11-20")
            rows = db.session.execute(
                sa.select(Case.tracking_number, Case.status).order_by(Case.id)
            ).all()
            db.session.remove()
            db.engine.dispose()
            return [(t, s.value) for t, s in rows]

    other = tmp_path / "other.sqlite"
    shutil.copy(template_db, other)
    assert fingerprint(app) == fingerprint(create_app(config_for(f"sqlite:///{other}")))


def test_holidays_load_validates_and_fills_waiting_due_dates(app, tmp_path):
    from datetime import UTC, datetime

    from tests.builders import citizen, clerk, submit
    from tracker.domain.workflow import Action
    from tracker.services import cases as ops

    cd = clerk("510100-hrss")
    case = submit("hrss-pension-transfer", citizen(), "510100-hrss", "510100-hrss")
    ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 12, 1, 2, tzinfo=UTC))
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"year": 2027, "holidays": [{"name": "元旦", "days": ["2028-01-01"]}], "workdays": []}
        ),
        encoding="utf-8",
    )
    result = run(app, "tracker", "holidays", "load", str(bad))
    assert result.exit_code != 0 and "2027" in result.output
    good = tmp_path / "2027.json"
    good.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "测试表（虚构）",
                "holidays": [{"name": "元旦", "days": ["2027-01-01"]}],
                "workdays": [],
            }
        ),
        encoding="utf-8",
    )
    result = run(app, "tracker", "holidays", "load", str(good))
    assert result.exit_code == 0, result.output
    assert "due dates filled in for 1 cases" in result.output
    listing = run(app, "tracker", "holidays", "list")
    assert "2027: table" in listing.output and "2026: package" in listing.output


def test_api_tokens_are_created_listed_and_revoked_from_the_command_line(app):
    from tracker.services.api_tokens import authenticate
    from tracker.web import wallclock

    made = run(app, "tracker", "api-token", "create", "--name", "柜台", "--office", "510100-hf")
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("tb_")
    listed = run(app, "tracker", "api-token", "list")
    assert "510100-hf" in listed.output and "live" in listed.output
    assert secret not in listed.output
    assert authenticate(secret, wallclock.now()) is not None
    token_id = listed.output.split("\t", 1)[0]
    assert run(app, "tracker", "api-token", "revoke", token_id).exit_code == 0
    assert authenticate(secret, wallclock.now()) is None
    refused = run(app, "tracker", "api-token", "create", "--name", "x", "--office", "nope")
    assert refused.exit_code != 0 and "no office" in refused.output
    both = run(app, "tracker", "api-token", "create", "--name", "x")
    assert both.exit_code != 0 and "exactly one" in both.output
