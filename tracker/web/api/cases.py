"""Cases: file one (``POST /cases``, idempotent), read one as the token's scope allows, make
a move on it, and follow its events from a cursor.

Who files: a citizen token for its holder; an office token for a registered applicant named
by phone, received at the token's own office and operated by a named clerk of that office
(``Tongban-Operator``), every write attributed to the token and the operator in the audit
log. A supervisor token files nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from pydantic import ValidationError
from spectree import Response

from ...domain.errors import DomainError
from ...domain.files import UploadLimits
from ...domain.workflow import Action
from ...models import ApiToken, Case, User
from ...services import api_reads, api_tokens, case_access, idempotency, notices, uploads, wallet
from ...services import cases as case_ops
from ...services.calendar import local_date
from ...services.filing import Application, FilingRefused, file_application
from ...services.uploads import StoredFile
from .. import wallclock
from . import OPERATOR_HEADER, bp, current_token, present
from .models import CaseOut, EventPage, EventsQuery, IdempotencyHeaders, Move, NewCase
from .problems import ApiProblem
from .spec import spec

MATERIAL_PREFIX = "materials."


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def operator(token: ApiToken, *, required: bool) -> User | None:
    """The clerk operating an office token's call (``Tongban-Operator``)."""
    if token.scope != "office":
        return None
    name = request.headers.get(OPERATOR_HEADER, "").strip()
    if not name and not required:
        return None
    try:
        return api_tokens.operator_for(token, name)
    except api_tokens.OperatorRefused as exc:
        status = 400 if exc.code == "operator_missing" else 403
        raise ApiProblem(status, exc.message, slug="operator") from exc


def via(token: ApiToken, clerk: User | None) -> dict[str, Any]:
    return {"api_token": token.id, "operator": clerk.username if clerk else None}


def case_or_404(token: ApiToken, tracking_number: str) -> Case:
    case = case_access.case_for(token, tracking_number.strip().upper())
    if case is None:
        raise ApiProblem(404, _("办件不存在"))
    return case


# ---- filing --------------------------------------------------------------------------------


def _new_case() -> tuple[NewCase, list[tuple[str, Any]]]:
    """The case to file and its files: the JSON body, or a multipart ``case`` part (JSON)
    with files named ``materials.<code>``."""
    if request.mimetype != "multipart/form-data":
        body: NewCase = request.context.json  # type: ignore[attr-defined]
        return body, []
    try:
        body = NewCase.model_validate_json(request.form.get("case") or "")
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "case": str(e["msg"]) for e in exc.errors()}
        raise ApiProblem(
            422, _("请求参数不符合要求，见 fields"), slug="validation", fields=fields
        ) from exc
    files = [
        (name[len(MATERIAL_PREFIX) :], f)
        for name, f in request.files.items(multi=True)
        if name.startswith(MATERIAL_PREFIX)
    ]
    return body, files


def _store(files: list[tuple[str, Any]], applicant: User) -> list[tuple[str, StoredFile]]:
    if not files:
        return []
    daily = uploads.DailyQuota(
        applicant.id, local_date(wallclock.now()), current_app.config["UPLOAD_DAILY_BYTES"]
    )
    try:
        stored = uploads.store_many(
            [(f.stream, f.filename or "") for _, f in files],
            folder=_folder(),
            limits=UploadLimits(),
            daily=daily,
        )
    except DomainError as exc:
        status = 413 if exc.code in ("too_large", "too_many", "over_quota") else 422
        if exc.code == "daily_quota":
            status = 429
        raise ApiProblem(status, exc.message, slug="upload") from exc
    return [(code, s) for (code, _), s in zip(files, stored, strict=True)]


def _filer(token: ApiToken, body: NewCase) -> tuple[User, User | None]:
    """(applicant, operating clerk) for this token, or a problem."""
    if token.scope == "supervisor":
        raise ApiProblem(403, _("督办令牌不能提交申请"))
    if token.scope == "citizen":
        holder = token.user
        if holder is None or (body.applicant_phone and body.applicant_phone != holder.phone):
            raise ApiProblem(403, _("申请人令牌只能为本人提交申请"))
        return holder, None
    clerk = operator(token, required=True)
    counter = token.office.code if token.office else ""
    if (body.receiving_office or body.competent_office) != counter:
        raise ApiProblem(
            403,
            _("办事处令牌只能提交在本部门收件的申请"),
            fields={"receiving_office": _("收件部门须为令牌所属部门")},
        )
    if not body.applicant_phone:
        raise ApiProblem(
            422,
            _("请求参数不符合要求，见 fields"),
            slug="validation",
            fields={"applicant_phone": _("办事处令牌须指明申请人的手机号")},
        )
    applicant = api_reads.applicant_by_phone(body.applicant_phone)
    if applicant is None:
        raise ApiProblem(
            422,
            _("请求参数不符合要求，见 fields"),
            slug="validation",
            fields={"applicant_phone": _("没有以此手机号注册的申请人")},
        )
    return applicant, clerk


def _case_key(token: ApiToken, key: str) -> str:
    """The case's own per-applicant key (64 characters at most) for the token's key."""
    return f"api:{token.id}:" + hashlib.sha256(key.encode()).hexdigest()[:48]


@bp.post("/cases")
@spec.validate(
    json=NewCase,
    headers=IdempotencyHeaders,
    resp=Response(HTTP_201=CaseOut, HTTP_200=CaseOut),
    tags=["cases"],
)
def create_case() -> Any:
    """File a case. Requires `Idempotency-Key`: a replay answers as the first time; the same
    key with another body 422; while the first is still being served 409. JSON, or multipart
    with a `case` part (the same JSON) and files named `materials.<code>`."""
    token, now = current_token(), wallclock.now()
    headers: IdempotencyHeaders = request.context.headers  # type: ignore[attr-defined]
    key = headers.idempotency_key
    body, incoming = _new_case()
    applicant, clerk = _filer(token, body)
    if body.wallet and token.scope != "citizen":
        raise ApiProblem(403, _("只有申请人本人的令牌可以使用“我的材料”"))
    files = _store(incoming, applicant)
    digest = idempotency.request_hash(
        {
            "body": body.model_dump(mode="json"),
            "files": sorted((code, s.sha256) for code, s in files),
            "operator": clerk.username if clerk else None,
        }
    )
    try:
        outcome = idempotency.begin(token.id, key, digest, now)
    except idempotency.InFlight as exc:
        uploads.discard([s for _, s in files], _folder())
        raise ApiProblem(409, exc.message, slug="idempotency-in-flight") from exc
    except idempotency.KeyReused as exc:
        uploads.discard([s for _, s in files], _folder())
        raise ApiProblem(422, exc.message, slug="idempotency-key-reused") from exc
    if isinstance(outcome, idempotency.Replay):
        uploads.discard([s for _, s in files], _folder())
        return outcome.body, outcome.status, {"Idempotent-Replayed": "true"}
    try:
        files += _reused(body, applicant, {code for code, _ in files})
    except BaseException:
        _abandon(outcome, files)
        raise
    try:
        case = file_application(
            applicant=applicant,
            application=Application(
                service_code=body.service,
                competent_office=body.competent_office,
                receiving_office=body.receiving_office,
                answers=dict(body.answers),
                licences=dict(body.licences),
                precheck=dict(body.precheck) if body.precheck is not None else None,
            ),
            now=now,
            files=files,
            idempotency_key=_case_key(token, key),
            ip=request.remote_addr,
            via=via(token, clerk),
        )
    except FilingRefused as exc:
        _abandon(outcome, files)
        raise ApiProblem(422, exc.message, slug="filing-refused", fields=exc.errors) from exc
    except DomainError as exc:
        _abandon(outcome, files)
        raise ApiProblem(422, exc.message, slug="refused") from exc
    except BaseException:
        _abandon(outcome, files)
        raise
    fresh = case_or_404(token, case.tracking_number)
    answer = present.case_out(fresh, token, api_reads.token_actor(token, clerk), local_date(now))
    idempotency.finish(outcome, 201, answer, now, case.id)
    return answer, 201, {"Location": f"{bp.url_prefix}/cases/{case.tracking_number}"}


def _reused(body: NewCase, applicant: User, uploaded: set[str]) -> list[tuple[str, StoredFile]]:
    """Copies of the 我的材料 files ``body.wallet`` names (an upload of the same material
    wins), or a problem naming each one that is gone (deleted, or not the applicant's)."""
    choices = {code: item for code, item in body.wallet.items() if code not in uploaded}
    saved, gone = wallet.chosen(applicant, choices, _folder())
    copies, went = wallet.reuse(saved, _folder()) if not gone else ([], set())
    if gone or went:
        uploads.discard([s for _, s in copies], _folder())
        raise ApiProblem(
            422,
            _("请求参数不符合要求，见 fields"),
            slug="filing-refused",
            fields={
                f"materials.{code}": _("您选择的已保存材料已被删除，请重新上传")
                for code in sorted(gone | went)
            },
        )
    return copies


def _abandon(claim: idempotency.Claim, files: list[tuple[str, StoredFile]]) -> None:
    uploads.discard([s for _, s in files], _folder())
    idempotency.release(claim)


# ---- reading -------------------------------------------------------------------------------


@bp.get("/cases/<tracking_number>")
@spec.validate(resp=Response(HTTP_200=CaseOut), tags=["cases"])
def get_case(tracking_number: str) -> Any:
    """A case as the token's scope allows: status (with its 1–15 code), clock, the moves
    offered to the token's actor, timeline. Outside the scope: 404, as for no case at all."""
    token = current_token()
    case = case_or_404(token, tracking_number)
    actor = api_reads.token_actor(token, operator(token, required=False))
    return present.case_out(case, token, actor, local_date(wallclock.now()))


def _cursor(raw: str | None) -> int:
    if not raw:
        return 0
    if not raw.isdigit() or len(raw) > 18:
        raise ApiProblem(400, _("游标无效"), slug="validation", fields={"since": _("游标无效")})
    return int(raw)


@bp.get("/cases/<tracking_number>/events")
@spec.validate(query=EventsQuery, resp=Response(HTTP_200=EventPage), tags=["cases"])
def events(tracking_number: str) -> Any:
    """The case's events after `since` (a cursor from an earlier answer; none: from the
    start). Keep `next_cursor` and ask again for what happened since."""
    token = current_token()
    query: EventsQuery = request.context.query  # type: ignore[attr-defined]
    case = case_or_404(token, tracking_number)
    after = _cursor(query.since)
    rows = api_reads.events_after(case, after, query.limit)
    return {
        "events": [present.event(e) for e in rows],
        "next_cursor": str(rows[-1].id) if rows else str(after),
    }


# ---- moves ---------------------------------------------------------------------------------


def _payload(case: Case, move: Move, action: Action) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if move.items is not None:
        payload["items"] = [{"material": i.material, "note": i.note} for i in move.items]
    if move.days is not None:
        payload["days"] = move.days
    if move.cooperating_offices is not None:
        ids = api_reads.office_ids_by_code(move.cooperating_offices)
        unknown = [c for c in move.cooperating_offices if c not in ids]
        if unknown:
            raise ApiProblem(
                422,
                _("请求参数不符合要求，见 fields"),
                slug="validation",
                fields={
                    "cooperating_offices": _("没有这个部门：%(codes)s", codes=", ".join(unknown))
                },
            )
        payload["cooperating_offices"] = [ids[c] for c in move.cooperating_offices]
    if move.delivery_method is not None:
        payload["delivery_method"] = move.delivery_method
    if move.delivery_ref:
        payload["delivery_ref"] = move.delivery_ref
    if action is Action.REJECT:
        if move.competent_office_hint:
            payload["competent_office_hint"] = move.competent_office_hint
        payload["appeal_rights"] = notices.appeal_rights(move.appeal_rights)
    return payload


def _actor(token: ApiToken) -> User:
    if token.scope == "office":
        clerk = operator(token, required=True)
        assert clerk is not None  # noqa: S101 - required=True raises instead
        return clerk
    if token.user is None:
        raise ApiProblem(403, _("无权进行此操作"))
    return token.user


@bp.post("/cases/<tracking_number>/actions")
@spec.validate(json=Move, resp=Response(HTTP_200=CaseOut), tags=["cases"])
def act(tracking_number: str) -> Any:
    """Make a move: exactly the moves listed in the case's `actions` for this token's actor.
    `version` is the case version read; a stale one answers 409 and changes nothing."""
    token, now = current_token(), wallclock.now()
    move: Move = request.context.json  # type: ignore[attr-defined]
    case = case_or_404(token, tracking_number)
    actor = _actor(token)
    action = Action(move.action)
    facts = api_reads.token_actor(token, actor if token.scope == "office" else None)
    if move.version != case.version:
        raise ApiProblem(
            409,
            _("办件已被他人更新，请查看最新情况后再操作"),
            slug="stale-version",
            extra={"current_version": case.version},
        )
    offered = api_reads.offered_actions(case, facts)
    if action not in offered:
        raise ApiProblem(
            422,
            _("当前不能对该办件执行此操作"),
            slug="action-not-offered",
            extra={"actions": [a.value for a in offered]},
        )
    try:
        case_ops.act(
            case.id,
            action,
            actor,
            now,
            expected_version=move.version,
            reason=move.reason,
            payload=_payload(case, move, action),
            ip=request.remote_addr,
            via=via(token, actor if token.scope == "office" else None),
        )
    except case_ops.StaleCase as exc:
        raise ApiProblem(409, exc.message, slug="stale-version") from exc
    except DomainError as exc:
        raise ApiProblem(422, exc.message, slug="refused") from exc
    fresh = case_or_404(token, tracking_number)
    return present.case_out(fresh, token, facts, local_date(now))
