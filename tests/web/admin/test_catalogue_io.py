"""/admin/catalogue: export as the shipped data files; import with a dry run (added, changed,
unchanged, refused with reasons per row), confirmed in one transaction; changed services get
a new version."""

from __future__ import annotations

import io
import json
import zipfile

from tests.builders import admin, citizen, login_as, service, submit
from tracker.extensions import db
from tracker.models import Office, Region
from tracker.services import admin_changes, catalogue_io
from tracker.services.catalogue import DEFAULT_DIR

CODE = "mi-offsite-registration"


def _zip(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_export_is_the_shipped_files_and_imports_as_unchanged(app, client):
    login_as(client, admin())
    response = client.get("/admin/catalogue/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted(catalogue_io.FILES)
    for name in ("regions.csv", "departments.csv"):
        shipped = (DEFAULT_DIR / name).read_text(encoding="utf-8").splitlines()
        assert sorted(archive.read(name).decode().splitlines()) == sorted(shipped)
    shipped = {s["code"] for s in json.loads((DEFAULT_DIR / "services.json").read_text())}
    assert {s["code"] for s in json.loads(archive.read("services.json"))} == shipped

    page = client.post(
        "/admin/catalogue/import",
        data={"files": (io.BytesIO(response.data), "catalogue.zip")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    plan = catalogue_io.dry_run({n: archive.read(n) for n in archive.namelist()})
    assert plan.count("unchanged") == len(plan.rows) and not plan.problems
    assert "没有需要导入的变化" in text and "确认导入" not in text


def _yunnan_files() -> dict[str, bytes]:
    services = json.loads((DEFAULT_DIR / "services.json").read_text(encoding="utf-8"))
    changed = next(s for s in services if s["code"] == CODE)
    changed["form_fields"][0]["label_zh"] = "参保地（导入）"
    broken = dict(changed, code="mi-broken", statutory_days=5, promised_days=9)
    return {
        "regions.csv": (
            "code,parent_code,level,name_zh,name_en\n"
            "530000,,province,云南省,Yunnan Province\n"
            "530100,530000,prefecture,昆明市,Kunming\n"
        ).encode(),
        "offices.csv": (
            "code,region_code,department,name_zh,name_en,address,phone\n"
            "530100-mi,530100,mi,昆明市医疗保障局,Kunming Medical Security,昆明,12345\n"
        ).encode(),
        "services.json": json.dumps([changed, broken], ensure_ascii=False).encode(),
    }


def test_a_refused_row_blocks_the_import_and_says_why(app, client):
    login_as(client, admin())
    page = client.post(
        "/admin/catalogue/import",
        data={"files": (_zip(_yunnan_files()), "yunnan.zip")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "mi-broken" in text and "承诺时限不能超过法定时限" in text
    assert "确认导入" not in text
    assert db.session.get(Region, "530000") is None


def test_dry_run_then_confirm_applies_everything_and_versions_services(app, client):
    old = submit(CODE, citizen(), "510100-mi", "510100-mi")
    user = admin()
    login_as(client, user)
    files = _yunnan_files()
    files["services.json"] = json.dumps(json.loads(files["services.json"])[:1]).encode()
    plan = catalogue_io.dry_run(files)
    outcomes = {(r.file, r.key): r.outcome for r in plan.rows}
    assert outcomes == {
        ("regions.csv", "530000"): "added",
        ("regions.csv", "530100"): "added",
        ("offices.csv", "530100-mi"): "added",
        ("services.json", CODE): "changed",
    }
    assert next(r for r in plan.rows if r.key == CODE).changed == ["form_fields.0.label_zh"]
    page = client.post(
        "/admin/catalogue/import",
        data={"files": [(io.BytesIO(v), k) for k, v in files.items()]},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "确认导入" in text
    assert db.session.get(Region, "530000") is None  # the dry run wrote nothing
    token = text.split('name="token" value="', 1)[1].split('"', 1)[0]
    done = client.post("/admin/catalogue/confirm", data={"token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Region, "530100").parent_code == "530000"
    assert db.session.query(Office).filter_by(code="530100-mi").one().region_code == "530100"
    assert service(CODE).version == 2 and service(CODE).fields[0].label_zh == "参保地（导入）"
    assert db.session.get(type(old), old.id).form_fields[0].label_zh == "参保地"
    assert [c.change for c in admin_changes.history("service", CODE)] == ["imported"]
    assert [c.change for c in admin_changes.history("region", "530000")] == ["created"]
    # the files are gone once used
    assert client.post("/admin/catalogue/confirm", data={"token": token}).status_code == 302


def test_bad_uploads_are_refused_with_a_reason(app, client):
    login_as(client, admin())
    page = client.post(
        "/admin/catalogue/import",
        data={"files": (io.BytesIO(b"x"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422 and 'id="files-error"' in page.get_data(as_text=True)
    page = client.post(
        "/admin/catalogue/import",
        data={"files": (io.BytesIO(b"code,name\nx,y\n"), "departments.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422 and "表头应为" in page.get_data(as_text=True)
    assert client.post("/admin/catalogue/confirm", data={"token": "../../etc"}).status_code == 302
