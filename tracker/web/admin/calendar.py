"""The calendar section: the years known and where each came from; a year's official schedule
uploaded, checked line by line, previewed month by month and loaded on confirmation (due dates
that waited for it are filled in and their applicants told). Also the staff banner from
1 November while next year's schedule is not loaded."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.text import N_
from ...services import calendar_admin as cal
from ...services.calendar import local_date
from .. import wallclock
from .views import bp, section

section(
    "admin.calendar",
    N_("工作日历"),
    N_(
        "查看各年度法定节假日安排的来源，载入下一年度国务院公布的安排；等待日历的办结期限随即算出。"
    ),
    order=30,
)


def _page(checked: cal.Checked | None = None, status: int = 200) -> tuple[str, int]:
    today = local_date(wallclock.now())
    return render_template(
        "admin/calendar.html",
        years=cal.known_years(today),
        checked=checked,
        missing=cal.missing_next_year(today),
        package_last=cal.package_last_year(),
    ), status


@bp.get("/calendar")
def calendar() -> tuple[str, int]:
    return _page()


@bp.post("/calendar")
def calendar_upload() -> tuple[str, int]:
    """Check an uploaded (or pasted) file: errors by line with the text kept, or the preview."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        checked = cal.read_upload(upload.read(cal.MAX_FILE_BYTES + 1))
    else:
        text = request.form.get("text", "")
        if not text.strip():
            checked = cal.Checked(
                text="", errors=[cal.LineError(None, N_("请选择文件或粘贴文件内容。"))]
            )
        elif len(text.encode()) > cal.MAX_FILE_BYTES:
            checked = cal.Checked(
                text=text, errors=[cal.LineError(None, N_("文件过大（最多 64 KB）"))]
            )
        else:
            checked = cal.check_file(text)
    if checked.table is None:
        return _page(checked, 422)
    return _preview(checked.table)


def _preview(table: Any) -> tuple[str, int]:
    today = local_date(wallclock.now())
    waiting = next((y.waiting for y in cal.known_years(today) if y.year == table.year), 0)
    return render_template(
        "admin/calendar_preview.html",
        table=table,
        months=cal.preview(table),
        text=cal.file_text(table),
        waiting=waiting,
        replaces=next(
            (y for y in cal.known_years(today) if y.year == table.year and y.source == "table"),
            None,
        ),
        changes=cal.history(table.year),
    ), 200


@bp.post("/calendar/confirm")
def calendar_confirm() -> Response | tuple[str, int]:
    checked = cal.check_file(request.form.get("table", ""))
    if checked.table is None:
        return _page(checked, 422)
    report = cal.load_year(
        checked.table, actor=current_user, now=wallclock.now(), ip=request.remote_addr
    )
    flash(
        _(
            "%(year)s 年的法定节假日安排已载入，%(n)s 件办件的承诺办结日期已算出并通知申请人。",
            year=report.year,
            n=report.filled,
        ),
        "success",
    )
    return redirect(url_for("admin.calendar"))


@bp.app_context_processor
def _calendar_banner() -> dict[str, Any]:
    """Staff and admins are told from 1 November when next year's schedule is not loaded."""
    if not getattr(current_user, "is_authenticated", False) or current_user.role not in cal.STAFF:
        return {"calendar_missing_year": None}
    return {"calendar_missing_year": cal.missing_next_year(local_date(wallclock.now()))}
