"""A supervisor's decision on an extension request (tracker.services.extensions): only inside
the supervisor's region, with the reason the applicant is told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import citizen, clerk, submit, supervisor
from tracker.domain.errors import DomainError
from tracker.domain.workflow import Action
from tracker.extensions import db
from tracker.models import Case
from tracker.services import cases as ops
from tracker.services import extensions

NOW = datetime(2026, 11, 5, 3, tzinfo=UTC)


def extension_case() -> Case:
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 11, 2, 3, tzinfo=UTC))
    return ops.act(
        case.id,
        Action.REQUEST_EXTENSION,
        cd,
        datetime(2026, 11, 3, 3, tzinfo=UTC),
        reason="需跨省核对缴存记录",
        payload={"days": 2},
    )


def test_a_supervisor_outside_the_region_gets_not_found_and_nothing_changes(app):
    case = extension_case()
    for outsider in (supervisor("500000"), supervisor("510300")):
        with pytest.raises(extensions.ExtensionNotFound):
            extensions.decide_extension(case.id, outsider, True, "同意", NOW)
    with pytest.raises(extensions.ExtensionNotFound):
        extensions.decide_extension(10**9, supervisor("510000"), True, "同意", NOW)
    db.session.rollback()
    assert db.session.get(Case, case.id).extension_requested_days == 2


def test_approve_and_refuse_inside_the_region(app):
    approved = extensions.decide_extension(
        extension_case().id, supervisor("510100"), True, "同意延长两个工作日", NOW
    )
    assert approved.extension_days == 2 and approved.extension_requested_days is None
    case = extension_case()
    version = case.version
    refused = extensions.decide_extension(
        case.id, supervisor(None), False, "材料已齐备", NOW, expected_version=version
    )
    assert refused.extension_days == 0 and refused.extension_requested_days is None
    with pytest.raises(ops.StaleCase):
        extensions.decide_extension(
            refused.id, supervisor("510000"), True, "同意", NOW, expected_version=version
        )


# ---- accountability: an extension is asked for and decided before the due date -------------


def test_an_extension_cannot_be_requested_after_the_due_date(app):
    cd = clerk("510100-hf")
    case = submit("hf-retirement-withdrawal", citizen(), "510100-hf", "510100-hf")
    case = ops.act(case.id, Action.ACCEPT, cd, datetime(2026, 11, 2, 3, tzinfo=UTC))
    due = case.due_on
    assert due is not None
    late = datetime(due.year, due.month, due.day + 1, 3, tzinfo=UTC)
    with pytest.raises(DomainError) as exc:
        ops.act(case.id, Action.REQUEST_EXTENSION, cd, late, reason="来不及了", payload={"days": 2})
    assert exc.value.code == "extension_too_late"
    db.session.rollback()
    assert db.session.get(Case, case.id).extension_requested_days is None


def test_approving_after_the_due_date_at_request_never_makes_a_late_case_on_time(app):
    case = extension_case()  # requested 3 Nov, due 5 Nov
    due_at_request = case.due_on
    assert case.extension_due_on == due_at_request
    after_due = datetime(2026, 11, 9, 3, tzinfo=UTC)
    with pytest.raises(DomainError) as exc:
        extensions.decide_extension(case.id, supervisor("510100"), True, "同意", after_due)
    assert exc.value.code == "extension_too_late"
    db.session.rollback()
    kept = db.session.get(Case, case.id)
    assert kept.due_on == due_at_request and kept.extension_days == 0
    # refusing stays possible (the request must be answered), and the case is late
    refused = extensions.decide_extension(case.id, supervisor("510100"), False, "已逾期", after_due)
    assert refused.extension_requested_days is None and refused.due_on == due_at_request
    done = ops.act(
        refused.id,
        Action.APPROVE,
        clerk("510100-hf"),
        after_due,
        payload={"lateness_code": "workload", "lateness_note": "人手不足"},
    )
    assert done.due_on < after_due.date()


def test_approving_before_the_due_date_extends_it(app):
    case = extension_case()
    due_at_request = case.due_on
    approved = extensions.decide_extension(
        case.id, supervisor("510100"), True, "同意", datetime(2026, 11, 4, 3, tzinfo=UTC)
    )
    assert approved.due_on > due_at_request and approved.extension_due_on is None
