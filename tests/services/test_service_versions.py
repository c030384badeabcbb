"""Services, versioned: a case keeps the version it was filed under (its form and materials
render from it forever); new cases use the newest published version; retiring stops new
filings only; every change is in the change history."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.builders import NOW, admin, citizen, service, submit
from tracker.domain.errors import DomainError
from tracker.extensions import db
from tracker.services import admin_changes, audit, queries
from tracker.services import service_versions as sv
from tracker.services.catalogue import DEFAULT_DIR, load_catalogue

CODE = "mi-offsite-registration"
OFFICE = "510100-mi"


def _edited() -> dict:
    doc = sv.snapshot_of(service(CODE))
    doc["form_fields"][0]["label_zh"] = "参保所在地（新）"
    doc["form_fields"].append(
        {
            "name": "employer",
            "label_zh": "工作单位",
            "label_en": "Employer",
            "type": "text",
            "required": True,
        }
    )
    doc["materials"].append(
        {"code": "lease", "name_zh": "租房合同", "name_en": "Lease", "required": True}
    )
    return doc


def _labels(case) -> list[str]:
    return [f.label_zh for f in case.form_fields]


def test_a_case_keeps_the_version_it_was_filed_under(app):
    user = admin()
    old = submit(CODE, citizen(), OFFICE, OFFICE)
    before = _labels(old), [m.code for m in old.form_materials]
    assert old.service_version == 1

    sv.save_draft(actor=user, at=NOW, doc=_edited())
    # a draft changes nothing yet
    assert service(CODE).version == 1 and sv.draft(CODE) is not None
    published = sv.publish(actor=user, at=NOW + timedelta(minutes=1), code=CODE)
    assert published.version == 2 and sv.draft(CODE) is None

    db.session.expire_all()
    old = db.session.get(type(old), old.id)
    assert (_labels(old), [m.code for m in old.form_materials]) == before
    assert "工作单位" not in _labels(old) and "lease" not in [m.code for m in old.form_materials]

    live = service(CODE)
    assert [f.name for f in live.fields][-1] == "employer" and live.fields[0].label_zh.endswith(
        "（新）"
    )
    new = submit(CODE, citizen(), OFFICE, OFFICE)
    assert new.service_version == 2
    assert "工作单位" in _labels(new) and "lease" in [m.code for m in new.form_materials]
    assert [v.version for v in sv.versions(live)] == [2, 1]
    assert sv.cases_by_version(live) == {1: 1, 2: 1}


def test_promised_beyond_statutory_is_refused_beside_the_field(app):
    doc = sv.snapshot_of(service(CODE))
    doc["statutory_days"], doc["promised_days"] = 10, 12
    doc["form_fields"].append({"name": "pick", "label_zh": "选择", "type": "select"})
    with pytest.raises(sv.DraftRefused) as refused:
        sv.save_draft(actor=admin(), at=NOW, doc=doc)
    errors = refused.value.errors
    assert set(errors) >= {"promised_days", f"form_fields.{len(doc['form_fields']) - 1}.choices"}
    assert "10" in errors["promised_days"]
    assert sv.draft(CODE) is None


def test_a_new_code_may_not_take_an_existing_one(app):
    doc = sv.snapshot_of(service(CODE))
    with pytest.raises(sv.DraftRefused) as refused:
        sv.save_draft(actor=admin(), at=NOW, doc=doc, new=True)
    assert "code" in refused.value.errors


def test_a_new_service_is_a_draft_until_published(app):
    user = admin()
    doc = sv.blank("mi")
    doc.update(code="mi-new-thing", name_zh="新事项", name_en="New thing")
    sv.save_draft(actor=user, at=NOW, doc=doc, new=True)
    assert queries.service_by_code("mi-new-thing") is None
    assert [r.status for r in sv.listing(q="new-thing")] == ["draft"]
    sv.publish(actor=user, at=NOW, code="mi-new-thing")
    assert queries.service_by_code("mi-new-thing").version == 1
    assert [r.status for r in sv.listing(status="published", q="new-thing")] == ["published"]


def test_retiring_stops_new_filings_and_keeps_the_cases(app):
    user = admin()
    old = submit(CODE, citizen(), OFFICE, OFFICE)
    sv.retire(actor=user, at=NOW, code=CODE)
    assert queries.service_by_code(CODE) is None
    assert CODE not in {s.code for _, group in queries.catalogue() for s in group}
    with pytest.raises(DomainError):
        submit(CODE, citizen(), OFFICE, OFFICE)
    assert db.session.get(type(old), old.id).form_fields
    assert [r.code for r in sv.listing(status="retired")] == [CODE]
    sv.reinstate(actor=user, at=NOW, code=CODE)
    assert queries.service_by_code(CODE) is not None


def test_every_change_is_in_the_history_and_the_sealed_log(app):
    user = admin()
    sv.save_draft(actor=user, at=NOW, doc=_edited())
    sv.publish(actor=user, at=NOW, code=CODE)
    sv.retire(actor=user, at=NOW, code=CODE)
    changes = admin_changes.history(sv.KIND, CODE)
    assert [c.change for c in changes] == ["retired", "published", "draft_saved"]
    published = changes[1]
    assert published.before["form_fields.0.label_zh"] == "参保地"
    assert published.after["form_fields.0.label_zh"] == "参保所在地（新）"
    assert published.after["version"] == 2 and published.actor == user.username
    assert audit.verify().ok


def test_reloading_the_shipped_catalogue_keeps_versions_and_a_change_makes_one(app, tmp_path):
    old = submit(CODE, citizen(), OFFICE, OFFICE)
    load_catalogue()
    assert service(CODE).version == 1
    data = json.loads((DEFAULT_DIR / "services.json").read_text(encoding="utf-8"))
    data = [s for s in data if s["code"] == CODE]
    data[0]["form_fields"][0]["label_zh"] = "参保地（改）"
    (tmp_path / "services.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    load_catalogue(tmp_path)
    db.session.expire_all()
    assert service(CODE).version == 2
    assert _labels(db.session.get(type(old), old.id))[0] == "参保地"


def test_a_retired_service_refuses_filings_from_the_api_and_open311(app):
    from tracker.services import filing

    sv.retire(actor=admin(), at=NOW, code=CODE)
    with pytest.raises(filing.FilingRefused) as refused:
        filing.file_application(
            applicant=citizen(),
            application=filing.Application(service_code=CODE, competent_office=OFFICE),
            now=NOW,
        )
    assert "service" in refused.value.errors
