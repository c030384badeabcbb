"""一件事一次办: shared fields and the combined status, table-driven."""

from __future__ import annotations

import pytest

from tracker.domain.bundles import (
    BundleStatus,
    answers_of,
    combined,
    form_name,
    shared_fields,
    why_not_withdrawn,
)
from tracker.domain.states import CaseStatus as S


def test_a_field_asked_the_same_way_by_two_services_is_asked_once():
    shared = shared_fields(
        {
            "a": [("phone", "phone"), ("reason", "select:lost,damaged"), ("a_region", "region")],
            "b": [("phone", "phone"), ("reason", "select:spouse,other")],
            "c": [("phone", "phone"), ("a_region", "region")],
        }
    )
    # reason differs in its choices: each service asks its own
    assert shared == {"phone", "a_region"}
    assert form_name("a", "phone", shared) == "phone"
    assert form_name("b", "reason", shared) == "b.reason"


def test_each_service_reads_the_shared_answer_and_its_own():
    form = {"phone": "13900000001", "b.reason": "spouse", "a.reason": "lost"}
    assert answers_of("b", ["phone", "reason"], {"phone"}, form) == {
        "phone": "13900000001",
        "reason": "spouse",
    }


@pytest.mark.parametrize(
    ("statuses", "expected", "closed"),
    [
        ([S.RECEIVED, S.ACCEPTED, S.PROCESSING], BundleStatus.IN_PROGRESS, 0),
        ([S.APPROVED, S.PROCESSING, S.RECEIVED], BundleStatus.IN_PROGRESS, 1),
        ([S.APPROVED, S.SUPPLEMENT_REQUESTED, S.RECEIVED], BundleStatus.NEEDS_YOU, 1),
        ([S.APPROVED, S.REFUSED, S.APPROVED_TOLERATED], BundleStatus.COMPLETED, 3),
        ([S.RETRACTED, S.WITHDRAWN, S.RETRACTED], BundleStatus.WITHDRAWN, 3),
        ([S.APPROVED, S.RETRACTED, S.NOT_ACCEPTED], BundleStatus.ENDED, 3),
    ],
)
def test_the_combined_status(statuses, expected, closed):
    result = combined(statuses)
    assert (result.status, result.closed, result.total) == (expected, closed, 3)


@pytest.mark.parametrize(
    ("status", "can_try"),
    [
        (S.RECEIVED, True),
        (S.SUPPLEMENT_REQUESTED, True),
        (S.PROCESSING, True),
        (S.APPROVED, False),
        (S.RETRACTED, False),
        (S.NOT_ACCEPTED, False),
    ],
)
def test_which_cases_a_bundle_withdrawal_tries(status, can_try):
    assert (why_not_withdrawn(status) is None) is can_try
