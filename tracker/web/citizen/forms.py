"""What the applicant's pages accept: the apply form's fixed parts (offices, declaration,
idempotency token, materials), supplements, withdrawing, rating, and the page of my cases.

The apply form's own questions are generated from the service's field definitions; their
answers are checked by the domain (``tracker/domain/forms.validate_answers``), which is the
one rule for each field type. These forms check the shape of the rest, reading every value
through ``tracker/web/inputs`` (``tracker/web/fields``); refusals come from the domain and the
services as errors the views put beside the fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import Field, ValidationError

from ..fields import Form, IntField, LineField, QueryForm, TextField, VersionField

TOKEN_MAX = 64
KEPT_TOKEN_MAX = 4000  # a signed description of one stored file
LICENCE_MAX = 64  # the domain accepts 6 to 40 characters; longer input is refused there
NOTE_MAX = 500
REASON_MAX = 500
COMMENT_MAX = 500
CASES_PAGE_MAX = 9999


def _ticked(form: FlaskForm, field: LineField) -> None:
    if not field.data:
        raise ValidationError(_l("请阅读并勾选承诺"))


class MaterialsForm(Form):
    """A file and, where allowed, an e-licence number per material (fields added per service)."""

    material_codes: Sequence[str] = ()

    def files(self) -> list[tuple[str, FileStorage]]:
        """(material code, file) for each file chosen, in the materials' order."""
        chosen = ((code, self._fields[f"file_{code}"].data) for code in self.material_codes)
        return [(code, f) for code, f in chosen if isinstance(f, FileStorage) and f.filename]

    def licences(self) -> dict[str, str]:
        """E-licence numbers typed in place of a file, by material code."""
        typed = ((code, self._fields[f"licence_{code}"].data) for code in self.material_codes)
        return {code: value for code, value in typed if value}


def _material_fields(codes: Sequence[str], *, kept: bool) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for code in codes:
        fields[f"file_{code}"] = FileField()
        fields[f"licence_{code}"] = LineField(limit=LICENCE_MAX)
        if kept:
            fields[f"kept_{code}"] = LineField(limit=KEPT_TOKEN_MAX)
            fields[f"wallet_{code}"] = IntField(lo=1)  # a saved file of 我的材料, by its id
    return fields


class ApplyForm(MaterialsForm):
    token = LineField(limit=TOKEN_MAX)
    receiving = IntField()
    competent = IntField()
    declaration = LineField(limit=8, validators=[_ticked])
    save_wallet = LineField(limit=8)  # keep this application's uploads in 我的材料

    def kept_tokens(self) -> dict[str, str]:
        """Signed tokens of files uploaded with an earlier, refused submit, by material code."""
        tokens = ((code, self._fields[f"kept_{code}"].data) for code in self.material_codes)
        return {code: token for code, token in tokens if token}

    def wallet_choices(self) -> dict[str, int]:
        """Saved files (wallet item ids) chosen instead of an upload, by material code."""
        ids = ((code, self._fields[f"wallet_{code}"].data) for code in self.material_codes)
        return {code: item_id for code, item_id in ids if item_id}

    def save_to_wallet(self) -> bool:
        return bool(self.save_wallet.data)

    def idempotency_key(self) -> str | None:
        return self.token.data or None


def apply_form(material_codes: Sequence[str]) -> ApplyForm:
    """The apply form's fixed parts for a service with these materials."""
    attrs: dict[str, Any] = {
        "material_codes": tuple(material_codes),
        **_material_fields(material_codes, kept=True),
    }
    return type("ServiceApplyForm", (ApplyForm,), attrs)()  # type: ignore[no-any-return]


class SupplementForm(MaterialsForm):
    version = VersionField(lo=0)
    note = TextField(limit=NOTE_MAX)


def supplement_form(material_codes: Sequence[str]) -> SupplementForm:
    attrs: dict[str, Any] = {
        "material_codes": tuple(material_codes),
        **_material_fields(material_codes, kept=False),
    }
    return type("CaseSupplementForm", (SupplementForm,), attrs)()  # type: ignore[no-any-return]


class WithdrawForm(Form):
    version = VersionField(lo=0)
    reason = TextField(limit=REASON_MAX)


class RateForm(Form):
    # Any whole number reaches the service, which says what a score may be (1 to 5).
    score = IntField(lo=0)
    comment = TextField(limit=COMMENT_MAX)


class WalletDeleteForm(Form):
    """The confirmation of deleting a saved material (only the CSRF token)."""


class CasesPageForm(QueryForm):
    page = IntField(lo=1, hi=CASES_PAGE_MAX)
