"""The API clients section: tokens (created with the secret shown once, listed with last use
and expiry, revoked) and the offices' webhook endpoints with their deliveries (a failed one
sent again)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from ...domain.text import N_
from ...jobs import webhook_policy
from ...services import admin_clients as svc
from ...services import webhooks as hooks
from .. import say, wallclock
from ..clerk.webhooks import STATUS_LABELS, URL_ERRORS
from .views import bp, section

section(
    "admin.clients",
    N_("接口客户端"),
    N_(
        "为申请人、部门或督办人员签发和撤销接口令牌；登记各部门的推送地址，查看推送记录并重发失败的推送。"
    ),
    order=60,
)

SCOPE_LABELS = {
    "citizen": _l("申请人"),
    "office": _l("部门（经办人逐次指明）"),
    "supervisor": _l("督办人员"),
}


def _page(
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    hook_form: dict[str, Any] | None = None,
    hook_errors: dict[str, str] | None = None,
    secret: str | None = None,
    shown_once_for: str = "",
    status: int = 200,
) -> tuple[str, int]:
    g.personal_data = True  # Cache-Control: no-store (a secret may be on the page)
    shown = request.args.get("status", "")
    found = svc.deliveries(shown)
    return render_template(
        "admin/clients.html",
        tokens=svc.token_rows(),
        offices=svc.offices(),
        endpoints=svc.endpoint_list(),
        deliveries=found,
        attempts=hooks.attempts_of([d.id for d in found]),
        shown=shown,
        form=form or {"scope": "office", "days": "90"},
        errors=errors or {},
        hook_form=hook_form or {"events": []},
        hook_errors=hook_errors or {},
        secret=secret,
        shown_once_for=shown_once_for,
        scope_labels=SCOPE_LABELS,
        status_labels=STATUS_LABELS,
        event_types=hooks.EVENT_TYPES,
        now=wallclock.now(),
    ), status


@bp.get("/clients")
def clients() -> tuple[str, int]:
    return _page()


@bp.post("/clients/tokens")
def clients_create_token() -> tuple[str, int]:
    form = {
        k: request.form.get(k, "")[:100]
        for k in ("name", "scope", "days", "phone", "office", "supervisor")
    }
    days = form["days"].strip()
    if not days.isdigit():
        return _page(form=form, errors={"days": _("请填写有效期的天数，例如 90。")}, status=422)
    try:
        issued = svc.issue_token(
            actor=current_user,
            name=form["name"],
            scope=form["scope"],
            days=int(days),
            phone=form["phone"],
            office_code=form["office"],
            supervisor=form["supervisor"],
            now=wallclock.now(),
            ip=request.remote_addr,
        )
    except svc.FieldError as exc:
        return _page(form=form, errors={exc.field: _say(exc.text)}, status=422)
    flash(_("令牌已签发。密钥只显示这一次，请立即复制交给使用方。"), "success")
    return _page(secret=issued.secret, shown_once_for="token", status=201)


def _say(text: Any) -> str:
    return str(say(text))


@bp.post("/clients/tokens/revoke")
def clients_revoke_token() -> Response:
    raw = request.form.get("token_id", "")
    if not raw.isdigit() or not svc.revoke_token(
        actor=current_user, token_id=int(raw), now=wallclock.now(), ip=request.remote_addr
    ):
        abort(404)
    flash(_("令牌已撤销，使用它的调用从此被拒绝。"), "success")
    return redirect(url_for("admin.clients"))


@bp.post("/clients/webhooks")
def clients_add_webhook() -> tuple[str, int]:
    hook_form = {
        "office": request.form.get("office", "")[:32],
        "url": request.form.get("url", "")[:600],
        "events": request.form.getlist("events")[:48],
    }
    errors: dict[str, str] = {}
    if not hook_form["url"].strip():
        errors["url"] = _("请填写接收地址。")
    if any(e not in hooks.EVENT_TYPES for e in hook_form["events"]):
        errors["events"] = _("请只选择列出的事件。")
    if errors:
        return _page(hook_form=hook_form, hook_errors=errors, status=422)
    try:
        _endpoint, secret = svc.register_endpoint(
            actor=current_user,
            office_code=hook_form["office"],
            url=hook_form["url"],
            events=hook_form["events"],
            now=wallclock.now(),
            policy=webhook_policy(current_app.config),
            ip=request.remote_addr,
        )
    except svc.FieldError as exc:
        return _page(hook_form=hook_form, hook_errors={exc.field: _say(exc.text)}, status=422)
    except hooks.WebhookError as exc:
        message = URL_ERRORS.get(exc.code)
        field = "office" if exc.field == "office" else "url"
        return _page(
            hook_form=hook_form,
            hook_errors={field: str(message) if message else _("无法添加该地址。")},
            status=422,
        )
    flash(_("推送地址已添加。密钥只显示这一次，请立即复制交给该部门。"), "success")
    return _page(secret=secret, shown_once_for="webhook", status=201)


@bp.post("/clients/deliveries/retry")
def clients_retry_delivery() -> Response:
    raw = request.form.get("delivery_id", "")
    outcome = (
        svc.retry_delivery(
            actor=current_user, delivery_id=int(raw), now=wallclock.now(), ip=request.remote_addr
        )
        if raw.isdigit()
        else "not_found"
    )
    if outcome == "not_found":
        abort(404)
    if outcome == "queued":
        flash(_("已重新排队发送，消息编号不变。"), "success")
    elif outcome == "endpoint_disabled":
        flash(_("该推送地址已停用，不能重发。"), "error")
    else:
        flash(_("只有已放弃的推送可以重发。"), "error")
    return redirect(url_for("admin.clients", status=request.args.get("status") or None))
