"""The real catalogue, and adding a province as a data change only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.domain.states import HandlingMode
from tracker.extensions import db
from tracker.models import Office, Region, Service, ServiceMaterial
from tracker.services.catalogue import DEFAULT_DIR, CatalogueError, load_catalogue

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_real_catalogue_covers_both_provinces(app):
    prefectures = db.session.scalars(
        sa.select(Region.code).where(Region.parent_code == "510000")
    ).all()
    chongqing = db.session.scalars(
        sa.select(Region.code).where(Region.parent_code == "500000")
    ).all()
    assert len(prefectures) == 21 and {"510100", "513400"} <= set(prefectures)
    assert len(chongqing) == 38 and {"500101", "500112", "500243"} <= set(chongqing)
    departments = {"mi", "hf", "hrss", "psb", "traffic", "amr", "dpf"}
    for region in (*prefectures, *chongqing):
        have = set(
            db.session.scalars(
                sa.select(Office.department_code).where(Office.region_code == region)
            )
        )
        assert have == departments, region
    assert (
        db.session.scalars(sa.select(Office.name_zh).where(Office.code == "500112-hf")).one()
        == "重庆市住房公积金管理中心"
    )


def test_the_twelve_services_of_the_product_brief(app):
    services = {s.code: s for s in db.session.scalars(sa.select(Service))}
    assert len(services) >= 12
    modes = {s.mode for s in services.values()}
    assert modes == set(HandlingMode)
    pension = services["hrss-pension-transfer"]
    assert pension.mode is HandlingMode.JOINT and pension.statutory_days == 45
    assert [c.department_code for c in pension.cooperations] == ["hrss"]
    assert services["amr-business-licence"].promised_days == 1
    for s in services.values():
        assert 0 <= s.promised_days <= s.statutory_days
        assert s.materials and s.fields, s.code
        assert (s.mode is HandlingMode.JOINT) == bool(s.cooperations), s.code


def test_loading_twice_changes_nothing(app):
    before = [count(m) for m in (Region, Office, Service, ServiceMaterial)]
    ids = db.session.scalars(sa.select(ServiceMaterial.id).order_by(ServiceMaterial.id)).all()
    load_catalogue()
    assert [count(m) for m in (Region, Office, Service, ServiceMaterial)] == before
    assert (
        db.session.scalars(sa.select(ServiceMaterial.id).order_by(ServiceMaterial.id)).all() == ids
    )


def test_adding_yunnan_is_a_data_change(app):
    report = load_catalogue(FIXTURES / "catalogue_yunnan")
    assert report.regions == 3 and report.services == 1
    kunming = db.session.get(Region, "530100")
    assert kunming.parent_code == "530000" and kunming.name_zh == "昆明市"
    assert db.session.scalars(sa.select(Office).where(Office.region_code == "530100")).all()
    from tests.builders import citizen, submit

    case = submit("hf-transfer", citizen(), "530100-hf", "530100-hf")
    assert case.tracking_number.startswith("53")


def test_a_bad_file_loads_nothing(app, tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "data")
    services = json.loads((tmp_path / "data" / "services.json").read_text(encoding="utf-8"))
    services[0]["promised_days"] = services[0]["statutory_days"] + 1
    services[0]["name_zh"] = "改过的名字"
    (tmp_path / "data" / "services.json").write_text(json.dumps(services), encoding="utf-8")
    with pytest.raises(CatalogueError, match="promised limit"):
        load_catalogue(tmp_path / "data")
    db.session.expire_all()
    assert "改过的名字" not in db.session.scalars(sa.select(Service.name_zh)).all()


def test_unknown_parent_region_is_refused(app, tmp_path):
    (tmp_path / "regions.csv").write_text(
        "code,parent_code,level,name_zh,name_en\n520100,520000,prefecture,贵阳市,Guiyang\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="unknown parent"):
        load_catalogue(tmp_path)


def test_a_required_material_s_help_never_says_it_need_not_be_uploaded():
    """Issue #16 item 3: help texts consistent with required flags. "无需上传" under a material
    marked 必要 read as "you may skip it"; an e-licence number stands in for the upload, and
    the help says so, in both languages."""
    import json
    from pathlib import Path

    data = json.loads(
        (Path(__file__).parents[2] / "tracker/catalogue/data/services.json").read_text("utf-8")
    )
    services = data if isinstance(data, list) else data["services"]
    for svc in services:
        for m in svc.get("materials", []):
            note = m.get("note_zh") or ""
            if m.get("required"):
                assert not any(w in note for w in ("无需", "免于", "不用")), (
                    svc["code"],
                    m["code"],
                )
            if note:
                assert m.get("note_en"), (svc["code"], m["code"], "a help text without English")


def test_help_texts_agree_with_the_required_flags_of_materials_and_fields():
    """Issue #16 item 3, for fields too and in both languages: a required material or field
    never says it is not needed; one whose help says when it applies ("…时填写", "if …") is
    made conditional by the guided pre-check (its questions name it), so "required" means
    "required when it applies"."""
    import json
    from pathlib import Path

    data = json.loads(
        (Path(__file__).parents[2] / "tracker/catalogue/data/services.json").read_text("utf-8")
    )
    not_needed = ("无需", "免于", "不用", "不需", "可不", "选填")
    not_needed_en = ("not needed", "need not", "no need", "optional", "not required")
    conditional = ("时填写", "时提交", "的提交", "时交回")
    conditional_en = ("if ", "when ")
    checked = 0
    for svc in data if isinstance(data, list) else data["services"]:
        decided = {
            name
            for q in svc.get("precheck") or []
            for c in q["choices"]
            for name in [*c.get("materials", []), *c.get("fields", [])]
        }
        items = [(m["code"], m, "note") for m in svc.get("materials", [])] + [
            (f["name"], f, "help") for f in svc.get("form_fields", [])
        ]
        for key, item, text in items:
            zh, en = item.get(f"{text}_zh") or "", (item.get(f"{text}_en") or "").lower()
            if not item.get("required") or not (zh or en):
                continue
            checked += 1
            where = (svc["code"], key, zh, en)
            assert not any(w in zh for w in not_needed), where
            assert not any(w in en for w in not_needed_en), where
            if any(w in zh for w in conditional) or any(en.startswith(w) for w in conditional_en):
                assert key in decided, where
    assert checked > 10


def test_every_catalogue_text_has_its_english_and_it_is_loaded(app):
    """Issue #14 item 1: the catalogue's legal basis, result and field help texts carry
    English (``*_en`` beside each ``*_zh``), and loading the catalogue stores it."""
    services = json.loads((DEFAULT_DIR / "services.json").read_text("utf-8"))
    for svc in services:
        for key in ("legal_basis", "result"):
            assert svc.get(f"{key}_en"), (svc["code"], f"{key}_zh without English")
        for f in svc.get("form_fields", []):
            if f.get("help_zh"):
                assert f.get("help_en"), (svc["code"], f["name"], "help_zh without English")
    first = services[0]
    stored = db.session.scalars(sa.select(Service).where(Service.code == first["code"])).one()
    assert stored.legal_basis_en == first["legal_basis_en"]
    assert stored.result_en == first["result_en"]
    helped = next(f for f in first["form_fields"] if f.get("help_zh"))
    field = next(f for f in stored.fields if f.name == helped["name"])
    assert field.help_en == helped["help_en"]
