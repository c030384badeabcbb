"""The office's webhook endpoints: register one (its secret shown once), disable one, rotate
a secret, and see the recent deliveries with their attempts (docs/jobs.md)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ...jobs import webhook_policy
from ...services import webhooks as hooks
from .. import wallclock
from . import forms
from .views import bp, me, office_id

STATUS_LABELS = {"pending": _l("待发送"), "delivered": _l("已送达"), "failed": _l("已放弃")}
URL_ERRORS = {
    "url_too_long": _l("地址过长（最多500个字符）。"),
    "url_scheme": _l("请填写以 http:// 或 https:// 开头的完整地址。"),
    "url_credentials": _l("地址中不能包含用户名或密码。"),
    "url_port": _l("端口号无效。"),
    "url_refused": _l("不能推送到内网、本机或保留地址，也不能推送到允许清单以外的主机。"),
}


def _page(form: forms.WebhookForm, errors: dict[str, str], secret: str | None = None) -> str:
    endpoints = hooks.endpoints(office_id())
    recent = hooks.recent_deliveries(office_id(), limit=30)
    return render_template(
        "clerk/webhooks.html",
        form=form,
        errors=errors,
        secret=secret,
        endpoints=endpoints,
        deliveries=recent,
        attempts=hooks.attempts_of([d.id for d in recent]),
        event_types=hooks.EVENT_TYPES,
        status_labels=STATUS_LABELS,
    )


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks() -> tuple[str, int] | str:
    form = forms.WebhookForm()
    if not form.is_submitted():
        return _page(form, {})
    errors: dict[str, str] = {}
    if not form.url.data:
        errors["url"] = _("请填写接收地址。")
    unknown = [e for e in form.events.data if e not in hooks.EVENT_TYPES]
    if unknown:
        errors["events"] = _("请只选择列出的事件。")
    if errors:
        return _page(form, errors), 422
    try:
        endpoint, secret = hooks.register_endpoint(
            office_id(),
            form.url.data or "",
            form.events.data,
            created_by=me(),
            created_by_name="",
            now=wallclock.now(),
            policy=webhook_policy(current_app.config),
        )
    except hooks.WebhookError as exc:
        message = URL_ERRORS.get(exc.code)
        errors[exc.field or "url"] = str(message) if message else _("无法添加该地址。")
        return _page(form, errors), 422
    flash(_("推送地址已添加。密钥只显示这一次，请立即复制保存。"), "success")
    return _page(forms.WebhookForm(formdata=None), {}, secret=secret), 201


@bp.post("/webhooks/<int:endpoint_id>/disable")
def disable_webhook(endpoint_id: int) -> Response:
    try:
        hooks.disable_endpoint(office_id(), endpoint_id, wallclock.now())
    except hooks.WebhookError:
        abort(404)
    flash(_("推送地址已停用，尚未送出的推送不再发送。"), "success")
    return redirect(url_for("clerk.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/rotate")
def rotate_webhook(endpoint_id: int) -> tuple[str, int]:
    try:
        secret = hooks.rotate_secret(office_id(), endpoint_id)
    except hooks.WebhookError as exc:
        if exc.code == "not_found":
            abort(404)
        flash(_("该推送地址已停用，不能更换密钥。"), "error")
        return _page(forms.WebhookForm(formdata=None), {}), 409
    flash(_("密钥已更换。新密钥只显示这一次，请立即复制保存。"), "success")
    return _page(forms.WebhookForm(formdata=None), {}, secret=secret), 200
