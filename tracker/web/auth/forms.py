"""Forms for registering, signing in, signing out and changing the password.

They check the shape of the input only (present, bounded, confirmation matches); the rules
themselves — resident ID, phone, name, password policy — come from the domain through the
services, and the views put those errors beside the fields. Every validator carries its own
Chinese message: WTForms' defaults are English.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import Field, PasswordField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ...domain.passwords import MAX_LENGTH
from ..fields import Form, QueryForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _password(label: Any, *, required: Any, policy: bool = False) -> PasswordField:
    validators: list[Any] = [InputRequired(message=required)]
    if policy:
        validators.append(
            Length(max=MAX_LENGTH, message=_l("密码不能超过%(n)s个字符", n=MAX_LENGTH))
        )
    else:
        # A login form must not say anything about the stored password: only bound the input.
        validators.append(Length(max=1024, message=_l("输入过长")))
    return PasswordField(label, validators)


class RegisterForm(Form):
    real_name = StringField(
        _l("姓名"),
        [
            DataRequired(message=_l("请填写姓名")),
            Length(max=100, message=_l("姓名过长：应为2至30个字符，与身份证上的姓名一致")),
        ],
        filters=[_strip],
        description=_l("与居民身份证上的姓名一致"),
    )
    resident_id = StringField(
        _l("身份证号"),
        [
            DataRequired(message=_l("请填写身份证号")),
            Length(max=40, message=_l("身份证号应为18位")),
        ],
        filters=[_strip],
        description=_l("18位第二代居民身份证号码，末位可以是 X"),
    )
    phone = TelField(
        _l("手机号"),
        [
            DataRequired(message=_l("请填写手机号")),
            Length(max=30, message=_l("请输入正确的11位手机号码")),
        ],
        filters=[_strip],
        description=_l("用于登录和接收办件通知"),
    )
    code = StringField(
        _l("短信验证码"),
        [
            DataRequired(message=_l("请填写短信验证码")),
            Length(max=10, message=_l("验证码为6位数字")),
        ],
        filters=[_strip],
        description=_l("先点“获取验证码”，验证码10分钟内有效"),
    )
    send_code = SubmitField(_l("获取验证码"))
    password = _password(_l("密码"), required=_l("请设置密码"), policy=True)
    confirm = PasswordField(
        _l("确认密码"),
        [
            InputRequired(message=_l("请再次输入密码")),
            EqualTo("password", message=_l("两次输入的密码不一致")),
        ],
    )
    submit = SubmitField(_l("注册"))


class LoginForm(Form):
    login = StringField(
        _l("手机号 / 身份证号 / 用户名"),
        [
            DataRequired(message=_l("请填写手机号、身份证号或用户名")),
            Length(max=200, message=_l("输入过长")),
        ],
        filters=[_strip],
    )
    password = _password(_l("密码"), required=_l("请填写密码"))
    submit = SubmitField(_l("登录"))


class LogoutForm(Form):
    submit = SubmitField(_l("退出登录"))


class PasswordForm(Form):
    old = _password(_l("当前密码"), required=_l("请填写当前密码"))
    new = _password(_l("新密码"), required=_l("请设置新密码"), policy=True)
    confirm = PasswordField(
        _l("确认新密码"),
        [
            InputRequired(message=_l("请再次输入新密码")),
            EqualTo("new", message=_l("两次输入的新密码不一致")),
        ],
    )
    submit = SubmitField(_l("修改密码"))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site ("/cases?x=1"), otherwise None.

    Refused: other hosts ("//evil.example", "https://evil.example"), backslashes (browsers
    read "/\\evil.example" as "//evil.example"), and control characters or whitespace (browsers
    drop tabs and newlines, so "/\t/evil.example" would also leave the site).
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class NextField(Field):
    """A path on this site (``safe_next``), else None. Read raw: ``safe_next`` refuses the
    characters a cleaner would silently drop."""

    def process_data(self, value: Any) -> None:
        self.data = None

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        value = valuelist[0] if valuelist else None
        self.data = safe_next(value) if isinstance(value, str) else None


class NextForm(QueryForm):
    next = NextField()
