"""The forms of the clerk's, the applicant's and the public pages: every value is read through
tracker/web/inputs (one set of bounds), and what a form cannot read never reaches a service."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tracker.domain.workflow import Action
from tracker.web.auth.forms import NextForm
from tracker.web.citizen.forms import RateForm, apply_form
from tracker.web.clerk import forms as clerk_forms
from tracker.web.public.forms import TrackForm

WEB = Path(__file__).resolve().parents[2] / "tracker" / "web"


def posted(app: Flask, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return app.test_request_context(method="POST", data=data)


def test_queue_filters_fall_back_to_their_defaults(app: Flask):
    with app.test_request_context():
        args = clerk_forms.queue_args(
            {
                "status": "nonsense",
                "service": "7",
                "due": "soon",
                "assigned": "boss",
                "from": "2026-13-01",
                "to": "1999-12-31",
                "q": " 张\x00三\t ",
                "page": "0",
            },
            {3},
        )
    f = args.filters
    assert (f.status, f.service_id, f.due, f.assigned) == ("open", None, None, "any")
    assert (f.submitted_from, f.submitted_to, f.page) == (None, None, 1)
    assert f.q == "张三"
    assert args.raw["from"] == "" and args.raw["q"] == "张三"


def test_queue_filters_kept_when_well_formed(app: Flask):
    with app.test_request_context():
        args = clerk_forms.queue_args(
            {
                "status": "closed",
                "service": "3",
                "due": "overdue",
                "assigned": "me",
                "from": "2026-11-01",
                "to": "2026-11-30",
                "page": "2",
            },
            {3},
        )
    assert args.raw == {
        "status": "closed",
        "service": "3",
        "due": "overdue",
        "assigned": "me",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "q": "",
    }
    assert args.filters.page == 2


def action(app: Flask, move: Action, data: dict[str, object], **kw: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "material_codes": ["id_card", "photo"],
        "canned": {5: "请补正"},
        "cooperation_count": 2,
        "statutory_days": 20,
        **kw,
    }
    with posted(app, {"action": move.value, "version": "3", **data}):
        form = clerk_forms.action_form(move, **options)  # type: ignore[arg-type]
        return form.field_errors(), form.reason_text(), form.payload() if not form.errors else {}


def test_a_supplement_request_names_only_the_service_s_materials(app: Flask):
    errors, reason, payload = action(
        app,
        Action.REQUEST_SUPPLEMENT,
        {"material": ["photo", "passport"], "note_photo": "太模糊\x07", "canned": "5"},
    )
    assert errors == {} and reason == "请补正"
    assert payload == {"items": [{"material": "photo", "note": "太模糊"}]}


@pytest.mark.parametrize("days", ["", "0", "21", "1e3", "٣"])
def test_an_extension_needs_days_within_the_statutory_limit(app: Flask, days: str):
    errors, _, _ = action(app, Action.REQUEST_EXTENSION, {"days": days})
    assert "days" in errors and "20" in errors["days"]


def test_delivery_by_post_needs_a_tracking_number(app: Flask):
    errors, _, _ = action(app, Action.DELIVER, {"delivery_method": "post"})
    assert set(errors) == {"delivery_ref"}
    errors, _, _ = action(app, Action.DELIVER, {"delivery_method": "pigeon"})
    assert set(errors) == {"delivery_method"}
    errors, _, payload = action(
        app, Action.DELIVER, {"delivery_method": "post", "delivery_ref": " SF123\n"}
    )
    assert errors == {} and payload == {"delivery_method": "post", "delivery_ref": "SF123"}


def test_a_rejection_tells_the_appeal_rights_by_default(app: Flask):
    errors, _, payload = action(app, Action.REJECT, {"reason": "不属于本部门"})
    assert errors == {} and payload == {"appeal_rights": clerk_forms.DEFAULT_APPEAL_RIGHTS}


def test_cooperating_offices_only_as_whole_numbers(app: Flask):
    _, _, payload = action(app, Action.START_PROCESSING, {"coop_0": "12", "coop_1": "x"})
    assert payload == {"cooperating_offices": [12]}


def test_a_move_and_its_version_are_read_or_refused(app: Flask):
    with posted(app, {"action": "accept", "version": "4"}):
        form = clerk_forms.MoveForm()
        assert form.chosen() is Action.ACCEPT and form.version.data == 4
    with posted(app, {"action": "subtask_accept", "version": "-1"}):
        form = clerk_forms.MoveForm()  # a sub-task's move is not a case's move
        assert form.chosen() is None and form.version.data is None


def test_bulk_says_what_is_missing_first(app: Flask):
    with posted(app, {"op": "assign"}):
        assert clerk_forms.BulkForm().problem(None) == "请先勾选办件"
    with posted(app, {"case": ["a1", "A1 ", ""], "op": "assign"}):
        form = clerk_forms.BulkForm()
        assert form.numbers() == ["A1"] and form.problem(None) == "请选择分派给谁"
    with posted(app, {"case": ["a1"], "op": "delete"}):
        assert clerk_forms.BulkForm().problem(None) == "请选择批量操作"


def test_apply_form_reads_offices_tokens_and_licences(app: Flask):
    with posted(
        app,
        {
            "token": "t" * 80,
            "receiving": "12",
            "competent": "x",
            "licence_id_card": " E-123456 ",
            "licence_photo": "",
            "kept_photo": "signed",
        },
    ):
        form = apply_form(["id_card", "photo"])
        assert form.validate() is False and set(form.errors) == {"declaration"}
        assert form.idempotency_key() == "t" * 64
        assert (form.receiving.data, form.competent.data) == (12, None)
        assert form.licences() == {"id_card": "E-123456"}
        assert form.kept_tokens() == {"photo": "signed"} and form.files() == []


def test_a_score_that_is_not_a_whole_number_reaches_the_service_as_zero(app: Flask):
    with posted(app, {"score": "5 stars", "comment": "好\x1b"}):
        form = RateForm()
        assert (form.score.data, form.comment.data) == (None, "好")


def test_track_form_checks_the_four_digits(app: Flask):
    with posted(app, {"number": " 512611020000012 ", "last4": "12a4"}):
        form = TrackForm()
        assert form.validate() is False and set(form.errors) == {"last4"}
        assert form.number.data == "512611020000012"


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/cases?x=1", "/cases?x=1"),
        ("//evil.example", None),
        ("/\t/evil.example", None),
        ("https://evil.example", None),
        ("/\\evil.example", None),
    ],
)
def test_next_is_a_path_on_this_site(app: Flask, target: str, expected: str | None):
    with app.test_request_context():
        assert NextForm({"next": target}).next.data == expected
