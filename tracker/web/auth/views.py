"""Register, log in, log out, change password (PRODUCT.md: /register, /login, /logout).

POST /login and POST /register are limited per IP address (``LOGIN_RATE_LIMIT``); the
service does the per-account lockout. Logging out is a POST with a CSRF token; GET /logout
only shows the button.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from ...domain.errors import DomainError, InvalidPhone
from ...domain.passwords import RULES
from ...domain.states import Role
from ...extensions import limiter
from ...models import User
from ...services import accounts, phone_codes
from .. import language as languages
from .. import wallclock
from .forms import LoginForm, LogoutForm, NextForm, PasswordForm, RegisterForm, safe_next
from .sessions import end_session, start_session

bp = Blueprint("auth", __name__)

ROLE_HOMES: dict[Role, str] = {
    Role.CITIZEN: "/cases",
    Role.CLERK: "/clerk/",
    Role.SUPERVISOR: "/supervisor/",
    Role.ADMIN: "/admin/",
}


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _ip() -> str | None:
    return request.remote_addr


def role_home(role: Role) -> str:
    return ROLE_HOMES.get(role, "/")


def _next() -> str | None:
    """The page to go back to after signing in (``?next=``), when it is on this site."""
    return NextForm(request.args).next.data  # type: ignore[no-any-return]


def _to_home_or_next(role: Role) -> Response:
    return redirect(_next() or role_home(role))


def _show_errors(form: object, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        form_field = getattr(form, name, None)
        if form_field is not None:
            form_field.errors = [*form_field.errors, *messages]


@bp.app_errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    # Flask-WTF's reasons are English; say it in the page's language, still a 400.
    error = BadRequest(description=_("页面已过期或来源无法验证，请返回上一页，刷新后重新提交。"))
    return render_template("errors/http.html", error=error), 400


def _looks_like_resident_id(text: str) -> bool:
    compact = "".join(text.split())
    return len(compact) >= 15 and compact[:15].isdigit()


def _send_code(form: RegisterForm) -> None:
    """The "获取验证码" button: the same answer whether or not the number has an account."""
    try:
        sent = phone_codes.send_registration_code(
            form.phone.data or "", wallclock.now(), _ip(), locale=str(get_locale() or "zh")
        )
    except InvalidPhone as exc:
        form.phone.errors = [exc.message]
        return
    except phone_codes.CodeRefused as exc:
        form.phone.errors = [exc.message]
        return
    flash(_("如该手机号可以注册，验证码已发送，10分钟内有效。"), "info")
    if current_app.config.get("SMS_CODE_ECHO") and sent.code:
        flash(_("（演示环境，未接短信网关）验证码：%(code)s", code=sent.code), "info")


def _register(form: RegisterForm) -> User | None:
    now = wallclock.now()
    try:
        return accounts.register_citizen(
            real_name=form.real_name.data or "",
            resident_id=form.resident_id.data or "",
            phone=form.phone.data or "",
            password=form.password.data or "",
            code=form.code.data or "",
            now=now,
            ip=_ip(),
        )
    except accounts.RegistrationError as exc:
        _show_errors(form, exc.errors)
        return None


def _form_faults(form: RegisterForm) -> None:
    """The form's own checks failed: show the domain's verdict on the rest too, at once."""
    problems = accounts.registration_problems(
        real_name=form.real_name.data or "",
        resident_id=form.resident_id.data or "",
        phone=form.phone.data or "",
        password=form.password.data or "",
        now=wallclock.now(),
    )
    _show_errors(
        form,
        {
            name: messages
            for name, messages in problems.items()
            if not getattr(form, name).errors and (getattr(form, name).data or "")
        },
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register() -> Response | str:
    g.personal_data = True
    if current_user.is_authenticated:
        return redirect(role_home(current_user.role))
    form = RegisterForm()
    if form.is_submitted() and form.send_code.data:
        _send_code(form)
    elif form.validate_on_submit():
        user = _register(form)
        if user is not None:
            start_session(user, wallclock.now())
            flash(_("注册成功，欢迎使用通办。"), "success")
            return _to_home_or_next(user.role)
    elif form.is_submitted():
        _form_faults(form)
    # A full ID number is never sent back in a page (issue #13 item 5): it is typed again.
    retype_id = bool(form.resident_id.data)
    form.resident_id.data = ""
    return render_template(
        "auth/register.html", form=form, rules=RULES, next=_next(), retype_id=retype_id
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str:
    g.personal_data = True
    if current_user.is_authenticated:
        return _to_home_or_next(current_user.role)
    form = LoginForm()
    if form.validate_on_submit():
        now = wallclock.now()
        config = current_app.config
        try:
            user = accounts.authenticate(
                login=form.login.data or "",
                password=form.password.data or "",
                ip=_ip(),
                now=now,
                max_failures=config["LOCKOUT_FAILURES"],
                lockout_minutes=config["LOCKOUT_MINUTES"],
            )
        except DomainError as exc:  # LoginRefused or AccountLocked
            form.form_errors.append(exc.message)
        else:
            start_session(user, now)
            flash(_("您已登录。"), "success")
            if user.must_change_password:
                flash(_("您的密码是管理员重置的一次性密码，请先设置新密码。"), "warning")
                return redirect(url_for("auth.password"))
            return _to_home_or_next(user.role)
    if _looks_like_resident_id(form.login.data or ""):
        form.login.data = ""  # never sent back in a page (issue #13 item 5)
    return render_template(
        "auth/login.html",
        form=form,
        next=_next(),
        lockout_failures=current_app.config["LOCKOUT_FAILURES"],
        lockout_minutes=current_app.config["LOCKOUT_MINUTES"],
    )


# Where someone who must change a one-time password may still go.
_BEFORE_NEW_PASSWORD = frozenset({"auth.password", "auth.logout", "static"})


@bp.before_app_request
def _new_password_first() -> Response | None:
    """An admin reset the password: nothing but the password page (and logging out) until the
    one-time password is replaced. The API authenticates by token, not by this session."""
    if request.path.startswith("/api/") or request.endpoint in _BEFORE_NEW_PASSWORD:
        return None
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        return redirect(url_for("auth.password"))
    return None


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    g.personal_data = True
    if not current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        accounts.end_sessions(current_user._get_current_object(), wallclock.now(), ip=_ip())
        end_session()
        flash(_("您已安全退出，所有设备上的登录均已结束。"), "success")
        return redirect(url_for("public.home"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str:
    g.personal_data = True
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        now = wallclock.now()
        config = current_app.config
        try:
            accounts.change_password(
                user,
                old=form.old.data or "",
                new=form.new.data or "",
                now=now,
                ip=_ip(),
                max_failures=config["LOCKOUT_FAILURES"],
                lockout_minutes=config["LOCKOUT_MINUTES"],
            )
        except accounts.PasswordChangeError as exc:
            _show_errors(form, exc.errors)
        except accounts.AccountLocked as exc:  # the login's lock and message
            form.form_errors.append(exc.message)
        else:
            # Every older session has ended; this browser gets a new one.
            start_session(user, now)
            flash(_("密码已修改。其他设备上的登录已全部结束，下次请使用新密码登录。"), "success")
            return redirect(role_home(user.role))
    return render_template("auth/password.html", form=form, rules=RULES)


@bp.route("/language", methods=["POST"])
def language() -> Response:
    """The header's language switch (a POST form with a CSRF token, no JavaScript needed):
    remembered on the account when signed in and in the browser's cookie, then back to the
    page it was sent from (``next``, only when it is an address on this site)."""
    code = request.form.get("lang")
    if code not in current_app.config["LANGUAGES"]:
        raise BadRequest(_("不支持该语言"))
    target = languages.switch(code, safe_next(request.form.get("next")) or "/")
    return redirect(target, code=303)
