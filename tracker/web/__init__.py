"""One blueprint per audience; each installs its access guard in ``before_request``."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, gettext
from flask_login import current_user

from ..domain.notices import NoticeKind, RejectGround
from ..domain.ratings import SCORES, is_bad, score_label_en, score_label_zh
from ..domain.rectification import STAGE_ORDER, RectificationStage
from ..domain.states import (
    DELIVERY_METHODS,
    DeliveryMethod,
    Role,
    is_closed,
    is_completed,
    is_paused,
)
from ..domain.text import Day
from ..domain.workflow import Action
from . import formats


def _babel() -> tuple[Any, Any]:
    """The request's locale and translations, looked up once per request (``g`` lives as long
    as the request's app context). Flask-Babel resolves both through its context on every
    call, ~15 µs each: 800 template strings made that a third of a queue page's time.
    Nothing here switches language inside a request (no ``force_locale``); code that does
    must drop ``g._tongban_babel`` as it switches."""
    store = _cv_app.get().g  # ``g`` itself: through its proxy each look-up cost ~3 µs more
    cached = getattr(store, "_tongban_babel", None)
    if cached is None:
        cached = store._tongban_babel = (get_locale(), get_translations())
    return cached  # type: ignore[no-any-return]


# A pure macro's output by language and arguments (see ``memo``), per process.
_MEMO: dict[tuple[Any, ...], Any] = {}
MEMO_SIZE = 5_000


def memo(name: str, macro: Any, *args: Any) -> Any:
    """``macro(*args)``, drawn once per language and arguments in this process.

    For macros whose HTML depends only on their (hashable) arguments and the page's language
    (a status or due badge): a queue page draws ~100 badges, each a few macro calls and
    gettext lookups, out of ~20 distinct ones. ``name`` tells macros apart; the key holds the
    translations object itself, so a catalogue loaded anew is drawn anew."""
    locale, translations = _babel()
    key = (name, str(locale), id(translations), *args)
    found = _MEMO.get(key)
    if found is None or found[0] is not translations:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        found = _MEMO[key] = (translations, macro(*args))
    return found[1]


def loc(obj: Any, attr: str) -> str:
    """``obj.<attr>_zh`` or ``obj.<attr>_en`` by the current language (falls back to Chinese)."""
    get = obj.get if isinstance(obj, dict) else lambda key, default=None: getattr(obj, key, default)
    lang = _babel()[0]
    if lang is not None and lang.language == "en":
        value = get(f"{attr}_en")
        if value:
            return str(value)
    return str(get(f"{attr}_zh", ""))


def action_label(value: str) -> str:
    try:
        action = Action(value)
    except ValueError:
        return value
    lang = _babel()[0]
    return action.label_en if lang is not None and lang.language == "en" else action.label_zh


# Dates, times and numbers in the page's language: tracker/web/formats.py.
local_time = formats.local_time
day = formats.day
filesize = formats.filesize


def answer(value: Any, field: Any) -> str:
    """A stored form answer as a person reads it: region and choice names, not codes."""
    if field.type == "region":
        from ..services.lookups import region as region_of

        region = region_of(str(value))
        return loc(region, "name") if region is not None else str(value)
    if field.type == "select":
        for choice in field.choices or ():
            if choice.get("value") == value:
                return loc(choice, "label")
    if field.type == "office":
        return office_answer(value)
    return str(value)


def office_answer(value: Any) -> str:
    """An ``office`` field's stored code as its office's name in the page's language, with the
    code (a case filed before the field named offices keeps the text typed then)."""
    from ..services.lookups import office_by_code

    found = office_by_code(str(value)) if value else None
    return f"{loc(found, 'name')} ({found.code})" if found is not None else str(value or "")


def office_field_groups(f: Any) -> list[tuple[str, list[Any]]]:
    """An ``office`` field's choices as the apply page groups them: [(group label, [Office])],
    the offices of the applicant's registered region first, then province by province (the
    applicant's own province first), a city's offices under "province · city" where a city has
    offices of its own districts."""
    from ..domain.office_order import LIKELY, grouped_offices, region_chain
    from ..services.lookups import regions as all_regions
    from ..services.queries import offices_of

    regions = all_regions()
    parents = {code: r.parent_code for code, r in regions.items()}
    home = getattr(current_user, "home_region_code", None)
    offices = offices_of(f.department_code or "")
    groups, _ = grouped_offices(offices, lambda o: o.region_code, home, parents)
    shown: list[tuple[str, list[Any]]] = []
    for key, listed in groups:
        if key == LIKELY:
            shown.append((gettext("您户籍所在地"), listed))
            continue
        by_city: dict[str, list[Any]] = {}
        for o in listed:
            chain = region_chain(o.region_code, parents)
            by_city.setdefault(chain[-2] if len(chain) >= 3 else chain[-1], []).append(o)
        for city, members in by_city.items():
            province = region_chain(city, parents)[-1]
            label = loc(regions[province], "name") if province in regions else province
            if city != province:
                city_name = loc(regions[city], "name") if city in regions else city
                label = gettext("%(province)s · %(city)s", province=label, city=city_name)
            shown.append((label, members))
    return shown


def office_name(key: int | str | None, name_zh: str | None = None) -> str:
    """An office named in stored data (an event's payload keeps its id or code and its Chinese
    name at the time): the office's name in the page's language; the stored name if it is gone."""
    from ..services.lookups import office, office_by_code

    found = None
    if isinstance(key, int):
        found = office(key)
    elif isinstance(key, str) and key:
        found = office_by_code(key)
    return loc(found, "name") if found is not None else (name_zh or "")


def coop_role(service: Any, role_zh: str, attr: str = "role", copy: str | None = None) -> str:
    """A sub-task's role (``role``) or task (``task``), copied in Chinese from the service's
    cooperation when the letter was sent: the service's current wording in the page's language,
    matched by the Chinese role; the copy (``copy``, else the role) when the service no longer
    lists it."""
    for coop in getattr(service, "cooperations", None) or ():
        if coop.role_zh == role_zh:
            return loc(coop, attr)
    return role_zh if copy is None else copy


def say(message: Any) -> str:
    """A message from the domain or a service in the page's language: a ``Text`` (made by
    ``N_``, tracker/domain/text.py) by its msgid and values; any other string by itself as the
    msgid (a constant marked with ``N_``), or unchanged when the catalogue lacks it."""
    if message is None:
        return ""
    translations = _babel()[1]
    msgid = getattr(message, "msgid", None)
    if msgid is None:
        return str(translations.ugettext(str(message)))
    params = getattr(message, "params", None) or {}
    text = str(translations.ugettext(msgid))
    if not params:
        return text
    english = _babel()[0] is not None and _babel()[0].language == "en"
    return text % {k: _named(v, english) for k, v in params.items()}


def _named(value: Any, english: bool) -> Any:
    """A value put into a message: a ``Text`` itself translated, a ``Named`` (both in
    tracker/domain/text.py) in English where it has English."""
    if getattr(value, "msgid", None) is not None:
        return say(value)
    if english and isinstance(value, Day):
        return formats.day(value.day)
    en = getattr(value, "en", None) if english and isinstance(value, str) else None
    return en or value


def notice(note: Any) -> tuple[str, str]:
    """A notification's title and body in the page's language: made again from what it was
    made from (``params``) when kept, else as stored (the title by itself as the msgid)."""
    from ..domain.messages import DUE_DATE_FIXED, applicant_notice, due_date_fixed_notice
    from ..domain.text import Named, Text

    params = note.params or {}
    if params.get("notice") == DUE_DATE_FIXED:
        try:
            title, lines = due_date_fixed_notice(
                service_name=Named(params.get("service_zh") or "", params.get("service_en") or ""),
                tracking_number=str(params.get("tracking_number") or ""),
                year=int(params["year"]),
                due_on=date.fromisoformat(params["due_on"]),
            )
        except (KeyError, ValueError, TypeError):
            return say(note.title), note.body
        return say(title), "\n".join(say(line) for line in lines)
    try:
        action = Action(params.get("action"))
        due = params.get("due_on")
        made = applicant_notice(
            action,
            service_name=Named(params.get("service_zh") or "", params.get("service_en") or ""),
            tracking_number=str(params.get("tracking_number") or ""),
            reason=(
                Text(str(params["reason_msgid"]), dict(params.get("reason_params") or {}))
                if params.get("reason_msgid")
                else params.get("reason")
            ),
            due_on=date.fromisoformat(due) if due else None,
        )
    except (ValueError, TypeError):
        made = None
    if made is None:
        return say(note.title), note.body
    title, lines = made
    return say(title), "\n".join(say(line) for line in lines)


def register_template_helpers(app: Flask) -> None:
    # Flask-Babel's template callables, with the translations looked up once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _babel()[1].ugettext(s),
        ngettext=lambda s, p, n: _babel()[1].ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _babel()[1].upgettext(c, s),
        npgettext=lambda c, s, p, n: _babel()[1].unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        loc=loc,
        get_locale=lambda: _babel()[0],
        office_name=office_name,
        office_field_groups=office_field_groups,
        coop_role=coop_role,
        memo=memo,
    )
    app.jinja_env.filters["say"] = say
    app.jinja_env.globals["notice"] = notice
    app.jinja_env.filters.update(
        action_label=action_label,
        local_time=local_time,
        day=day,
        answer=answer,
        filesize=filesize,
        number=formats.number,
        percent=formats.percent,
    )
    register_domain_rules(app)

    @app.context_processor
    def _unread() -> dict[str, Any]:
        if getattr(current_user, "is_authenticated", False) and current_user.role is Role.CITIZEN:
            from ..services.queries import unread_count

            return {"unread_count": unread_count(current_user)}
        return {"unread_count": 0}


# ---- the domain's rules and labels, for templates (instead of state tuples and dicts) ------


def _pick(zh: str, en: str) -> str:
    lang = _babel()[0]
    return en if lang is not None and lang.language == "en" else zh


def delivery_label(value: str | None) -> str:
    """``case.delivery_method`` as a person reads it ("" when none or unknown)."""
    if value not in DELIVERY_METHODS:
        return ""
    method = DeliveryMethod(value)
    return _pick(method.label_zh, method.label_en)


def lateness_label(code: str | None) -> str:
    """A lateness reason code as a person reads it; an unknown code is shown as it is."""
    from ..domain.lateness import LATENESS_REASONS

    words = LATENESS_REASONS.get(code or "")
    return say(words) if words is not None else (code or "")


def delivery_status_label(status: str | None) -> str:
    """``case.delivery_status`` in words ("" when none)."""
    from ..domain.delivery import STATUS_WORDS

    words = STATUS_WORDS.get(status or "")
    return say(words) if words is not None else ""


def score_label(score: int) -> str:
    return _pick(score_label_zh(score), score_label_en(score))


def stage_label(stage: str) -> str:
    """A rectification stage's name; an unknown value is shown as it is."""
    try:
        s = RectificationStage(stage)
    except ValueError:
        return stage
    return _pick(s.label_zh, s.label_en)


def notice_label(kind: str) -> str:
    """A written notice's kind as a person reads it (受理通知书 / Notice of acceptance)."""
    try:
        k = NoticeKind(kind)
    except ValueError:
        return kind
    return _pick(k.label_zh, k.label_en)


def notice_words(notice: Any) -> dict[str, Any]:
    """The notice's stored words in the page's language (title, addressee, paragraphs)."""
    text = notice.text or {}
    return dict(text.get(_pick("zh", "en")) or text.get("zh") or {})


def reject_ground_label(ground: Any) -> str:
    try:
        g = RejectGround(ground)
    except ValueError:
        return str(ground)
    return _pick(g.label_zh, g.label_en)


def register_domain_rules(app: Flask) -> None:
    """``{% if case.status is paused %}``, ``{{ case.delivery_method | delivery_label }}``,
    ``{% for s in rating_scores %}``: one definition each, in tracker/domain."""
    app.jinja_env.tests.update(
        paused=is_paused, completed=is_completed, closed=is_closed, bad_rating=is_bad
    )
    app.jinja_env.filters.update(
        delivery_label=delivery_label,
        score_label=score_label,
        stage_label=stage_label,
        notice_label=notice_label,
        reject_ground_label=reject_ground_label,
        lateness_label=lateness_label,
        delivery_status_label=delivery_status_label,
    )
    app.jinja_env.globals["reject_grounds"] = tuple(RejectGround)
    app.jinja_env.globals["notice_words"] = notice_words
    from ..domain.citizen_view import is_visible, pending_due_words, step_words

    app.jinja_env.tests.update(citizen_visible=is_visible)
    app.jinja_env.globals.update(
        citizen_step=step_words,
        pending_due_words=pending_due_words,
        delivery_methods=tuple(DeliveryMethod),
        rating_scores=SCORES,
        rectification_stages=STAGE_ORDER,
    )
