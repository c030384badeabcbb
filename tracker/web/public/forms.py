"""What the public pages accept: a catalogue search and the tracking form (shape only; whether
a tracking number is well formed, and whether it exists, is for the domain and the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError

from ..fields import Form, LineField, QueryForm

SEARCH_MAX = 50
NUMBER_MAX = 40
LAST4_MAX = 8


class SearchForm(QueryForm):
    q = LineField(limit=SEARCH_MAX)


def _four_digits(form: FlaskForm, field: LineField) -> None:
    value = field.data or ""
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        raise ValidationError(_l("请输入申请人手机号的后四位数字"))


class TrackForm(Form):
    """Tracking number and the last four digits of the applicant's phone, as typed (kept to
    show back); the number's check character is the domain's business."""

    number = LineField(limit=NUMBER_MAX)
    last4 = LineField(limit=LAST4_MAX, validators=[_four_digits])


class VerifyForm(Form):
    """A notice's verification code as typed (the services read its shape); the PDF, if any,
    is read from ``request.files``."""

    code = LineField(limit=NUMBER_MAX)
