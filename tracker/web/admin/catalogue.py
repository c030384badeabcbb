"""The catalogue section (/admin/catalogue): export the catalogue as the repository's data
files (a zip), import such files with a dry run first. The uploaded files wait, between the
dry run and the confirmation, in the instance folder under a random name; the confirmation
runs the dry run again and applies it only if nothing is refused (catalogue_io.apply)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.text import N_
from ...services import catalogue_io
from .. import wallclock
from .views import bp, section

section(
    "admin.catalogue",
    N_("目录导入导出"),
    N_(
        "把地区、部门、窗口和事项导出为数据文件，或导入这样的文件：先预览每一行的变化，确认后一次写入。"
    ),
    order=60,
)

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "catalogue-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save(files: dict[str, bytes]) -> str:
    token = secrets.token_hex(16)
    folder = _folder() / token
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return token


def _load(token: str) -> dict[str, bytes] | None:
    if not _TOKEN.match(token):
        return None
    folder = _folder() / token
    if not folder.is_dir():
        return None
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name in catalogue_io.FILES}


def _drop(token: str) -> None:
    folder = _folder() / token
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()


@bp.get("/catalogue")
def catalogue() -> str:
    return render_template("admin/catalogue.html", plan=None, token=None, error=None)


@bp.get("/catalogue/export.zip")
def catalogue_export() -> Response:
    stamp = wallclock.now().strftime("%Y%m%d")
    return Response(
        catalogue_io.export_zip(),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="tongban-catalogue-{stamp}.zip"'},
    )


@bp.post("/catalogue/import")
def catalogue_import() -> tuple[str, int]:
    files: dict[str, bytes] = {}
    try:
        for upload in request.files.getlist("files"):
            if not upload.filename:
                continue
            content = upload.read(catalogue_io.MAX_BYTES + 1)
            if len(content) > catalogue_io.MAX_BYTES:
                raise catalogue_io.ImportRefused(N_("文件太大"))
            files.update(catalogue_io.read_upload(upload.filename, content))
    except catalogue_io.ImportRefused as exc:
        return render_template(
            "admin/catalogue.html", plan=None, token=None, error=exc.message
        ), 422
    plan = catalogue_io.dry_run(files)
    token = _save(files) if plan.can_apply else None
    status = 422 if plan.problems or plan.count("refused") else 200
    return render_template("admin/catalogue.html", plan=plan, token=token, error=None), status


@bp.post("/catalogue/confirm")
def catalogue_confirm() -> tuple[str, int] | Response:
    token = request.form.get("token", "")
    files = _load(token)
    if files is None:
        flash(_("预览已过期，请重新选择文件"), "error")
        return redirect(url_for("admin.catalogue"))
    try:
        plan = catalogue_io.apply(
            files, actor=current_user, at=wallclock.now(), ip=request.remote_addr
        )
    except catalogue_io.ImportRefused as exc:
        plan = catalogue_io.dry_run(files)
        return render_template(
            "admin/catalogue.html", plan=plan, token=None, error=exc.message
        ), 422
    _drop(token)
    flash(
        _(
            "已导入：新增 %(added)s 行，修改 %(changed)s 行。",
            added=plan.count("added"),
            changed=plan.count("changed"),
        ),
        "success",
    )
    return redirect(url_for("admin.catalogue"))
