"""What the regions, offices and staff pages accept. Shape only (present, bounded, one of the
choices); the rules (GB/T 2260 codes, parents, unique codes, roles) are the services', whose
errors the views put beside the same fields. Choices are filled by the views."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..fields import Form


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(label: Any, limit: int, *, required: bool = True, **kw: Any) -> StringField:
    validators: list[Any] = [
        InputRequired(message=_l("请填写此项")) if required else Optional(),
        Length(max=limit, message=_l("不能超过%(n)s个字符", n=limit)),
    ]
    return StringField(label, validators, filters=[_strip], **kw)


# Each form declares its fields in the order the page shows them (WTForms orders by
# creation, and the error summary follows that order): the new-object forms repeat the shared
# fields after their own.


def _parent() -> SelectField:
    return SelectField(_l("上级地区"), validate_choice=False)


class RegionEditForm(Form):
    """An existing region: its code (and so its level) stays."""

    parent_code = _parent()
    name_zh = _text(_l("中文名称"), 64)
    name_en = _text(_l("英文名称"), 128)


class RegionForm(RegionEditForm):
    code = _text(
        _l("地区代码"), 6, description=_l("GB/T 2260 六位代码，如 530000（省）、530100（地市）")
    )
    level = SelectField(_l("级别"), validate_choice=False)
    parent_code = _parent()
    name_zh = _text(_l("中文名称"), 64)
    name_en = _text(_l("英文名称"), 128)


def _office_fields() -> dict[str, Any]:
    return {
        "region_code": SelectField(_l("所属地区"), validate_choice=False),
        "department_code": SelectField(_l("所属部门"), validate_choice=False),
        "name_zh": _text(_l("中文名称"), 128),
        "name_en": _text(_l("英文名称"), 256),
        "address": _text(_l("地址"), 256, required=False),
        "phone": _text(_l("电话"), 32, required=False),
    }


# An existing office: its code stays.
OfficeEditForm = type("OfficeEditForm", (Form,), _office_fields())
OfficeForm = type(
    "OfficeForm",
    (OfficeEditForm,),
    {
        "code": _text(_l("窗口编码"), 32, description=_l("如 530100-hf：地区代码加部门代码")),
        **_office_fields(),
    },
)


def _staff_fields() -> dict[str, Any]:
    return {
        "real_name": _text(_l("姓名"), 30),
        "office_code": SelectField(
            _l("所属部门窗口"), validate_choice=False, description=_l("窗口人员必选")
        ),
        "scope_region_code": SelectField(
            _l("监督范围"),
            validate_choice=False,
            description=_l("监督人员：一个地区及其下级，或全部地区"),
        ),
    }


def _role() -> SelectField:
    return SelectField(_l("角色"), validate_choice=False)


StaffEditForm = type("StaffEditForm", (Form,), {"role": _role(), **_staff_fields()})
StaffForm = type(
    "StaffForm",
    (StaffEditForm,),
    {
        "username": _text(
            _l("用户名"), 64, description=_l("登录用，创建后不能修改，如 clerk.km.hf")
        ),
        **_staff_fields(),
    },
)


class ReasonForm(Form):
    reason = _text(_l("原因"), 200)


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""
