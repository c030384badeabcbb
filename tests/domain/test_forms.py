"""Server-side validation of application forms generated from field definitions."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.forms import FieldSpec, validate_answers

TODAY = date(2026, 11, 22)
FIELDS = [
    FieldSpec("name", "姓名", "text", required=True, max_length=10),
    FieldSpec("note", "说明", "textarea"),
    FieldSpec("kind", "备案类型", "select", required=True, choices=("long", "temp")),
    FieldSpec("start", "开始日期", "date"),
    FieldSpec("people", "随迁人数", "integer", min_value=0, max_value=9),
    FieldSpec("amount", "金额", "money", max_value=100000),
    FieldSpec("phone", "联系电话", "phone"),
    FieldSpec("id", "身份证号", "resident_id"),
    FieldSpec("place", "参保地", "region"),
]
GOOD = {
    "name": " 张 三 ",
    "kind": "long",
    "start": "2026-12-01",
    "people": "2",
    "amount": "1200.50",
    "phone": "139 0000 0001",
    "id": "11010519491231002x",
    "place": "510100",
    "note": "第一行\n第二行",
}


def check(**changes: str) -> tuple[dict, dict]:
    return validate_answers(FIELDS, {**GOOD, **changes}, today=TODAY, regions={"510100"})


def test_good_answers_are_cleaned():
    clean, errors = check()
    assert errors == {}
    assert clean == {
        "name": "张 三",
        "kind": "long",
        "start": "2026-12-01",
        "people": 2,
        "amount": "1200.50",
        "phone": "13900000001",
        "id": "11010519491231002X",
        "place": "510100",
        "note": "第一行\n第二行",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写姓名"),
        ("name", "很" * 11, "不能超过 10 个字"),
        ("name", "张\x00三", "控制字符"),
        ("name", "张\u202e三", "控制字符"),
        ("kind", "other", "请从列表中选择"),
        ("start", "2026-02-30", "正确的日期"),
        ("start", "20261201", "正确的日期"),
        ("people", "2.5", "请输入整数"),
        ("people", "10", "不能大于 9"),
        ("people", "-1", "不能小于 0"),
        ("amount", "1,200", "金额"),
        ("amount", "100000.01", "不能大于"),
        ("amount", "１２", "金额"),
        ("phone", "12345", "手机"),
        ("id", "110105194912310021", "校验"),
        ("place", "999999", "请选择行政区划"),
        ("note", "x" * 1001, "不能超过 1000 个字"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_each_fault_is_named_beside_its_field(field, value, message):
    clean, errors = check(**{field: value})
    assert message in errors[field]
    assert set(errors) == {field} and field not in clean


def test_unknown_keys_are_never_stored():
    clean, errors = validate_answers(
        FIELDS, {**GOOD, "office_id": "1", "status": "approved"}, today=TODAY, regions={"510100"}
    )
    assert errors == {} and "office_id" not in clean and "status" not in clean


def test_optional_blank_fields_are_left_out():
    clean, errors = check(start="", people="  ", amount="")
    assert errors == {} and not {"start", "people", "amount"} & set(clean)


# ---- office fields (issue #16 item 3): a field that names an office chooses from the catalogue


def _office_fields():
    from tracker.domain.forms import OfficeChoice

    offices = {
        "510100-hf": OfficeChoice("510100-hf", "hf", frozenset({"510100", "510000"})),
        "500112-hf": OfficeChoice("500112-hf", "hf", frozenset({"500112", "500000"})),
        "510100-mi": OfficeChoice("510100-mi", "mi", frozenset({"510100", "510000"})),
    }
    return [
        FieldSpec("out_region", "转出地", "region", required=True),
        FieldSpec(
            "out_centre",
            "转出地公积金中心",
            "office",
            required=True,
            department="hf",
            region_field="out_region",
            offices=offices,
        ),
        FieldSpec("any_centre", "公积金中心", "office", department="hf", offices=offices),
    ]


def _office_check(**answers: str) -> tuple[dict, dict]:
    regions = {"510100", "500112"}
    return validate_answers(_office_fields(), answers, today=TODAY, regions=regions)


def test_an_office_field_stores_the_office_code():
    clean, errors = _office_check(
        out_region="510100", out_centre=" 510100-hf ", any_centre="500112-hf"
    )
    assert errors == {}
    assert clean == {"out_region": "510100", "out_centre": "510100-hf", "any_centre": "500112-hf"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("成都住房公积金管理中心", "没有这个经办机构"),  # free text
        ("999999-hf", "没有这个经办机构"),  # an unknown code
        ("510100-mi", "不办理此类业务"),  # an office of another department
        ("500112-hf", "不在“转出地”所选的地区"),  # outside the region chosen
    ],
)
def test_an_office_field_refuses_what_is_not_an_office_of_its_kind_and_place(value, message):
    clean, errors = _office_check(out_region="510100", out_centre=value)
    assert message in str(errors["out_centre"])
    assert "out_centre" not in clean
    assert clean["out_region"] == "510100"


def test_an_office_field_without_its_region_answer_is_checked_only_by_kind():
    clean, errors = _office_check(out_region="", out_centre="500112-hf")
    assert set(errors) == {"out_region"}  # the missing region is named, the office is fine
    assert clean["out_centre"] == "500112-hf"


def test_a_service_document_s_office_field_names_its_department_and_a_region_field():
    from tracker.domain.service_spec import canonical, form_fields, problems

    doc = canonical(
        {
            "code": "x-office",
            "name_zh": "测试",
            "name_en": "Test",
            "department": "hf",
            "mode": "fully_online",
            "statutory_days": 5,
            "promised_days": 5,
            "offices": {"receiving": "competent", "competent_department": "hf"},
            "form_fields": [
                {"name": "place", "label_zh": "缴存地", "type": "region", "required": True},
                {"name": "kind", "label_zh": "类型", "type": "text"},
                {
                    "name": "centre",
                    "label_zh": "缴存地中心",
                    "type": "office",
                    "department": "hf",
                    "region_field": "place",
                },
            ],
        }
    )
    assert problems(doc, {"hf"}) == {}
    (_, _, centre) = form_fields(doc)
    assert (centre.department_code, centre.region_field) == ("hf", "place")
    doc["form_fields"][2].update(department="nope", region_field="kind")
    wrong = problems(doc, {"hf"})
    assert set(wrong) == {"form_fields.2.department", "form_fields.2.region_field"}
