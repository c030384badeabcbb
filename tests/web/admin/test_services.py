"""/admin/services: the list and its filters, the editor (errors beside the fields, everything
typed kept, nothing half-written), the preview, publish and retire, the change history."""

from __future__ import annotations

from tests.builders import admin, citizen, login_as, service, submit
from tracker.extensions import db
from tracker.services import service_versions as sv

CODE = "mi-offsite-registration"
OFFICE = "510100-mi"


def _signed_in(app, client):
    login_as(client, admin())
    return client


def _form(code: str = CODE) -> dict[str, str]:
    """The editor's form as the page fills it for the current version."""
    doc = sv.snapshot_of(service(code))
    data = {
        k: str(doc[k])
        for k in (
            "code",
            "name_zh",
            "name_en",
            "department",
            "mode",
            "statutory_days",
            "promised_days",
            "fee_zh",
            "fee_en",
            "summary_zh",
            "summary_en",
            "legal_basis_zh",
            "result_zh",
        )
    }
    data["receiving"] = doc["offices"]["receiving"]
    data["competent_department"] = doc["offices"]["competent_department"]
    for i, m in enumerate(doc["materials"]):
        for k in ("code", "name_zh", "name_en", "note_zh", "note_en"):
            data[f"m-{i}-{k}"] = m[k]
        data[f"m-{i}-order"] = str(i + 1)
        if m["required"]:
            data[f"m-{i}-required"] = "y"
        if m["e_licence"]:
            data[f"m-{i}-e_licence"] = "y"
    for i, f in enumerate(doc["form_fields"]):
        for k in ("name", "label_zh", "label_en", "type", "help_zh", "help_en"):
            data[f"f-{i}-{k}"] = f[k]
        for k in ("max_length", "min", "max"):
            if k in f:
                data[f"f-{i}-{k}"] = str(f[k])
        data[f"f-{i}-choices"] = "\n".join(
            f"{c['value']}|{c['label_zh']}|{c['label_en']}" for c in f.get("choices") or []
        )
        data[f"f-{i}-order"] = str(i + 1)
        if f["required"]:
            data[f"f-{i}-required"] = "y"
    return data


def test_the_list_filters_by_search_department_mode_and_status(app, client):
    _signed_in(app, client)
    page = client.get("/admin/services").get_data(as_text=True)
    assert CODE in page and "hf-transfer" in page
    page = client.get("/admin/services?q=offsite").get_data(as_text=True)
    assert CODE in page and "hf-transfer" not in page
    page = client.get("/admin/services?department=hf&mode=joint").get_data(as_text=True)
    assert "hf-transfer" in page and CODE not in page and "hf-retirement-withdrawal" not in page
    assert CODE not in client.get("/admin/services?status=retired").get_data(as_text=True)


def test_promised_beyond_statutory_is_shown_beside_the_field_and_kept(app, client):
    _signed_in(app, client)
    data = _form() | {"statutory_days": "10", "promised_days": "15", "name_zh": "改过的名称"}
    response = client.post(f"/admin/services/{CODE}", data=data | {"action": "save"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="promised_days-error"' in page and "承诺时限不能超过法定时限" in page
    assert 'value="15"' in page and 'value="改过的名称"' in page
    assert sv.draft(CODE) is None  # nothing written


def test_bad_rows_are_refused_beside_their_row(app, client):
    _signed_in(app, client)
    n = len(service(CODE).fields)
    data = _form() | {f"f-{n}-name": "Bad Name", f"f-{n}-label_zh": "", f"f-{n}-type": "select"}
    page = client.post(f"/admin/services/{CODE}", data=data | {"action": "save"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    for key in ("name", "label_zh", "choices"):
        assert f'id="form_fields-{n}-{key}-error"' in text
    assert 'value="Bad Name"' in text


def test_preview_renders_the_citizens_form_without_saving(app, client):
    _signed_in(app, client)
    n = len(service(CODE).fields)
    data = _form() | {
        f"f-{n}-name": "employer",
        f"f-{n}-label_zh": "工作单位预览",
        f"f-{n}-type": "text",
        f"f-{n}-required": "y",
    }
    page = client.post(f"/admin/services/{CODE}", data=data | {"action": "preview"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    preview = text.split('id="preview-title"', 1)[1]
    assert 'id="f-employer"' in preview and "工作单位预览" in preview
    assert sv.draft(CODE) is None


def test_save_publish_and_an_old_case_keeps_its_form(app, client):
    old = submit(CODE, citizen(), OFFICE, OFFICE)
    _signed_in(app, client)
    n = len(service(CODE).fields)
    data = _form() | {
        f"f-{n}-name": "employer",
        f"f-{n}-label_zh": "工作单位",
        f"f-{n}-label_en": "Employer",
        f"f-{n}-type": "text",
        f"f-{n}-required": "y",
        "f-0-label_zh": "参保所在地",
    }
    saved = client.post(f"/admin/services/{CODE}", data=data | {"action": "save"})
    assert saved.status_code == 302
    page = client.get(f"/admin/services/{CODE}").get_data(as_text=True)
    assert "发布草稿" in page and 'value="工作单位"' in page
    assert service(CODE).version == 1
    assert client.post(f"/admin/services/{CODE}/publish").status_code == 302
    db.session.expire_all()
    assert service(CODE).version == 2
    assert "工作单位" not in [f.label_zh for f in db.session.get(type(old), old.id).form_fields]
    page = client.get(f"/admin/services/{CODE}").get_data(as_text=True)
    assert "修改记录" in page and "form_fields.0.label_zh" in page and "参保所在地" in page


def test_retire_and_reinstate(app, client):
    _signed_in(app, client)
    assert client.post(f"/admin/services/{CODE}/retire").status_code == 302
    assert client.get(f"/services/{CODE}").status_code == 404
    page = client.get(f"/admin/services/{CODE}").get_data(as_text=True)
    assert "恢复受理" in page and "已废止" in page
    assert client.post(f"/admin/services/{CODE}/reinstate").status_code == 302
    assert client.get(f"/services/{CODE}").status_code == 200


def test_a_new_service(app, client):
    _signed_in(app, client)
    assert client.get("/admin/services/new").status_code == 200
    data = {
        "code": "mi-test-new",
        "name_zh": "测试新事项",
        "name_en": "Test",
        "department": "mi",
        "mode": "fully_online",
        "statutory_days": "20",
        "promised_days": "5",
        "receiving": "competent",
        "competent_department": "mi",
        "m-0-code": "id_card",
        "m-0-name_zh": "居民身份证",
        "m-0-required": "y",
        "f-0-name": "reason",
        "f-0-label_zh": "事由",
        "f-0-type": "textarea",
    }
    response = client.post("/admin/services/new", data=data | {"action": "save"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/mi-test-new")
    assert client.get("/services/mi-test-new").status_code == 404  # a draft is not public
    assert client.post("/admin/services/mi-test-new/publish").status_code == 302
    assert client.get("/services/mi-test-new").status_code == 200
    again = client.post("/admin/services/new", data=data | {"action": "save"})
    assert again.status_code == 422 and 'id="code-error"' in again.get_data(as_text=True)


def test_an_unknown_service_is_404(app, client):
    _signed_in(app, client)
    assert client.get("/admin/services/no-such").status_code == 404
    assert client.post("/admin/services/no-such/publish").status_code == 302


def test_a_preview_shows_what_saving_would_refuse(app, client):
    """Found by a new-user trial: a preview with promised > statutory said nothing; saving then
    refused it. The preview shows the same errors beside the fields and saves nothing."""
    _signed_in(app, client)
    data = _form() | {"statutory_days": "10", "promised_days": "15"}
    response = client.post(f"/admin/services/{CODE}", data=data | {"action": "preview"})
    page = response.get_data(as_text=True)
    assert 'id="promised_days-error"' in page and "承诺时限不能超过法定时限" in page
    assert 'value="15"' in page and sv.draft(CODE) is None


def test_the_pre_check_questions_survive_an_edit_and_publish(app, client):
    """The editor's form without the pre-check box (an older page) keeps the questions; the
    box shows them as JSON."""
    _signed_in(app, client)
    questions = service(CODE).precheck
    assert questions
    page = client.get(f"/admin/services/{CODE}").get_data(as_text=True)
    assert 'name="precheck"' in page and "filing_type" in page
    data = _form() | {"f-0-label_zh": "参保所在地"}
    assert client.post(f"/admin/services/{CODE}", data=data | {"action": "save"}).status_code == 302
    assert client.post(f"/admin/services/{CODE}/publish").status_code == 302
    db.session.expire_all()
    assert service(CODE).version == 2 and service(CODE).precheck == questions
    assert sv.versions(service(CODE))[0].snapshot["precheck"] == questions


def test_the_pre_check_box_is_edited_and_its_errors_shown_beside_it(app, client):
    import json

    _signed_in(app, client)
    questions = service(CODE).precheck
    bad = client.post(
        f"/admin/services/{CODE}", data=_form() | {"precheck": "[{", "action": "save"}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "情形问题应为 JSON 列表" in html and "[{" in html
    wrong = [{**questions[0], "choices": [{**questions[0]["choices"][0], "materials": ["nope"]}]}]
    refused = client.post(
        f"/admin/services/{CODE}",
        data=_form() | {"precheck": json.dumps(wrong), "action": "save"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "每个问题要有 2 到 9 个回答" in html
    assert "没有这些材料或字段：nope" in html
    fewer = json.dumps(questions[:1], ensure_ascii=False)
    saved = client.post(f"/admin/services/{CODE}", data=_form() | {"precheck": fewer})
    assert saved.status_code == 302
    assert sv.draft(CODE).snapshot["precheck"] == questions[:1]


def test_an_office_field_is_edited_previewed_and_its_errors_shown_beside_it(app, client):
    """Issue #16 item 3: the editor's office fields name a department and the region field
    they follow; the preview lists that department's offices; bad ones are refused beside the
    row. A published office field keeps its department and region field."""
    _signed_in(app, client)
    n = len(service(CODE).fields)
    new = {
        f"f-{n}-name": "insuring_agency",
        f"f-{n}-label_zh": "参保地医保经办机构",
        f"f-{n}-type": "office",
        f"f-{n}-department": "mi",
        f"f-{n}-region_field": "insured_region",
    }
    page = client.post(f"/admin/services/{CODE}", data=_form() | new | {"action": "preview"})
    assert page.status_code == 200
    preview = page.get_data(as_text=True).split('id="preview-title"', 1)[1]
    assert 'data-follows="f-insured_region"' in preview and 'value="510100-mi"' in preview

    wrong = new | {f"f-{n}-department": "", f"f-{n}-region_field": "phone"}
    page = client.post(f"/admin/services/{CODE}", data=_form() | wrong | {"action": "save"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    for key in ("department", "region_field"):
        assert f'id="form_fields-{n}-{key}-error"' in text

    saved = client.post(f"/admin/services/{CODE}", data=_form() | new | {"action": "save"})
    assert saved.status_code in (302, 303)
    fields = {f["name"]: f for f in sv.draft(CODE).snapshot["form_fields"]}
    assert (fields["insuring_agency"]["department"], fields["insuring_agency"]["region_field"]) == (
        "mi",
        "insured_region",
    )
