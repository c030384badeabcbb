"""Layering rules that keep the code easy to read: the domain is pure, only services commit."""

from __future__ import annotations

import ast
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask

from tests.access_matrix import ACCESS, ADMIN, ANONYMOUS, CITIZEN, CLERK, CLERKS, ROLES, SUPERVISOR

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
BANNED_IN_DOMAIN = {
    "flask",
    "werkzeug",
    "sqlalchemy",
    "wtforms",
    "flask_sqlalchemy",
    "flask_login",
    "flask_wtf",
    "flask_babel",
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain").glob("*.py")), ids=lambda p: p.name)
def test_domain_imports_no_framework(path: Path):
    assert not imported_roots(path) & BANNED_IN_DOMAIN


def _commits(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.Attribute) and n.attr == "commit" for n in ast.walk(tree))


@pytest.mark.parametrize(
    "path",
    sorted(
        p for p in PACKAGE.rglob("*.py") if "services" not in p.parts and p.name != "database.py"
    ),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_services_commit(path: Path):
    assert not _commits(path), "commit outside tracker/services (use write_transaction)"


def test_the_guard_test_can_fail(tmp_path: Path):
    bad = tmp_path / "x.py"
    bad.write_text("from flask import g\nimport sqlalchemy.orm\ndb.session.commit()\n")
    assert {"flask", "sqlalchemy"} <= imported_roots(bad) and _commits(bad)


# ---- views call services; they run no query themselves ------------------------------------
#
# What counts as a query in a module under tracker/web/ (found in the syntax tree, so a
# comment or a string that mentions them does not count):
#   - importing sqlalchemy or flask_sqlalchemy (``import sqlalchemy as sa``, ``from
#     sqlalchemy import select``), anywhere in the module, inside functions too;
#   - importing ``db`` from ``tracker.extensions`` (relative or absolute);
#   - any ``db.session`` (``db.session.get``, ``db.session.execute``, ``db.session.scalars``);
#   - a call of ``select(...)`` or ``sa.select(...)`` / ``sqlalchemy.select(...)``.
# Reading attributes of the models a service returned (``case.events``) is not a query here.

WEB = PACKAGE / "web"
DB_LIBRARIES = {"sqlalchemy", "flask_sqlalchemy"}


def query_findings(source: str) -> list[str]:
    """Where ``source`` queries the database itself: ``line: what`` for each place."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [
                f"{line}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in DB_LIBRARIES
            ]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] in DB_LIBRARIES:
                found.append(f"{line}: from {module} import …")
            elif module.split(".")[-1] == "extensions" and any(a.name == "db" for a in node.names):
                found.append(f"{line}: imports db from extensions")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "session"
            and isinstance(node.value, ast.Name)
            and node.value.id == "db"
        ):
            found.append(f"{line}: db.session")
        elif isinstance(node, ast.Call) and _is_select(node.func):
            found.append(f"{line}: select(…)")
    return sorted(found, key=lambda f: int(f.split(":")[0]))


def _is_select(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "select"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "select"
        and isinstance(func.value, ast.Name)
        and func.value.id in {"sa", "sqlalchemy"}
    )


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


WEB_MODULES = sorted(WEB.rglob("*.py"))


@pytest.mark.parametrize("path", WEB_MODULES, ids=_relative)
def test_views_run_no_query_themselves(path: Path):
    found = query_findings(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{_relative(path)} queries the database itself; call a service in "
        f"tracker/services instead: {found}"
    )


def test_the_view_query_guard_can_fail():
    planted = (
        "from flask import render_template\nfrom ...extensions import db\n"
        "import sqlalchemy as sa\nfrom sqlalchemy import select\n\n"
        "def page():\n    db.session.execute(sa.text('SELECT 1'))\n"
        "    rows = select(1)\n    more = sa.select(2)\n    return render_template('x')\n"
    )
    assert query_findings(planted) == [
        "2: imports db from extensions",
        "3: import sqlalchemy",
        "4: from sqlalchemy import …",
        "7: db.session",
        "8: select(…)",
        "9: select(…)",
    ]
    clean = (
        "from ...services import queries\n\ndef page():\n"
        "    # db.session and select( in a comment are fine\n"
        "    return queries.catalogue('select(')\n"
    )
    assert query_findings(clean) == []


# ---- services import no web framework -----------------------------------------------------

BANNED_IN_SERVICES = {"flask", "werkzeug", "flask_login", "flask_wtf", "flask_babel", "wtforms"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "services").rglob("*.py")), ids=_relative)
def test_services_import_no_web_framework(path: Path):
    banned = imported_roots(path) & BANNED_IN_SERVICES
    assert not banned, (
        f"{_relative(path)} imports {sorted(banned)}: services take what "
        "they need as arguments and return data, the web layer does the rest"
    )


def test_the_service_import_guard_can_fail(tmp_path: Path):
    bad = tmp_path / "service.py"
    bad.write_text(
        "def f():\n    from flask import current_app\n    return current_app\n"
        "import werkzeug.security\n"
    )
    assert imported_roots(bad) & BANNED_IN_SERVICES == {"flask", "werkzeug"}


# ---- the role × route access matrix (tests/access_matrix.py) ------------------------------


def _bare_app() -> Flask:
    from tests.conftest import config_for
    from tracker import create_app

    return create_app(config_for("sqlite://"))


def matrix_gaps(app: Flask, access: Mapping[str, frozenset[str]]) -> tuple[set[str], set[str]]:
    """(endpoints with no entry, entries with no endpoint)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    return endpoints - set(access), set(access) - endpoints


def test_every_route_has_an_entry_in_the_access_matrix():
    missing, stale = matrix_gaps(_bare_app(), ACCESS)
    assert not missing, f"routes with no entry in tests/access_matrix.py: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"
    assert all(roles <= set(ROLES) for roles in ACCESS.values())


def test_the_matrix_guard_can_fail():
    app = _bare_app()
    unplaced = Blueprint("unplaced", __name__, url_prefix="/unplaced")
    unplaced.add_url_rule("/", "index", lambda: "")
    app.register_blueprint(unplaced)
    assert matrix_gaps(app, {**ACCESS, "clerk.gone": CLERKS}) == (
        {"unplaced.index"},
        {"clerk.gone"},
    )


def refused(response: Any) -> bool:
    """403, 404, sent to log in, or 401 (the API asks for a bearer token)."""
    if response.status_code in (401, 403, 404):
        return True
    return (
        response.status_code in (301, 302, 303)
        and urlsplit(response.headers.get("Location", "")).path == "/login"
    )


def test_the_refusal_check_can_fail():
    class Answer:
        def __init__(self, status: int, location: str = "") -> None:
            self.status_code, self.headers = status, {"Location": location}

    assert refused(Answer(403)) and refused(Answer(404)) and refused(Answer(302, "/login?next=/x"))
    assert refused(Answer(401))
    assert not refused(Answer(200)) and not refused(Answer(302, "/clerk/"))
    assert not refused(Answer(400)) and not refused(Answer(302, "/login-help"))


AHDT, CD_HF, CD_MI = "hf-retirement-withdrawal", "510100-hf", "510100-mi"


def _matrix_world(app: Flask, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A citizen with a case (and its attachment) at CD_HF, a clerk of that office, a
    supervisor of every region, an admin, and a rectification item from a bad rating; with
    the sample value of every path parameter the routes take."""
    from tests.builders import NOW, citizen, clerk, office, submit, supervisor
    from tracker.domain.states import Role
    from tracker.domain.workflow import Action
    from tracker.extensions import db
    from tracker.models import Attachment, Rectification
    from tracker.services import cases as ops
    from tracker.services import uploads
    from tracker.services.accounts import create_user

    app.config["UPLOAD_FOLDER"] = str(folder)
    applicant = citizen()
    stored = uploads.store_upload(
        io.BytesIO(b"%PDF-1.4\n" + b"x" * 200),
        "身份证.pdf",
        folder=folder,
        limits=uploads.UploadLimits(),
    )
    case = submit(AHDT, applicant, CD_HF, CD_HF, files=[("id_card", stored)])
    attachment = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id)
    ).one()
    from tracker.services import wallet  # 我的材料: the applicant keeps the ID card

    wallet.keep(
        user=applicant,
        case_id=case.id,
        files=[("id_card", stored)],
        licences={},
        folder=folder,
        now=NOW,
    )
    material = wallet.items_of(applicant)[0]
    from tracker.database import write_transaction
    from tracker.domain.notices import NoticeKind
    from tracker.services import notices

    with write_transaction() as session:  # a notice of the sample case, its state unchanged
        notice = notices.issue(
            session, session.merge(case), NoticeKind.SPECIAL, {"reason": "专家评审"}, NOW
        )
        notice_id = notice.id
    # rated at the matrix clerk's office: its clerks see the item on their workbench
    hf = clerk(CD_HF)
    rated = submit(AHDT, applicant, CD_HF, CD_HF)
    ops.act(rated.id, Action.ACCEPT, hf, NOW)
    ops.act(rated.id, Action.APPROVE, hf, NOW)
    ops.rate(rated.id, applicant, 1, "窗口态度差", NOW)
    item = db.session.scalars(sa.select(Rectification)).one()
    users = {
        CITIZEN: applicant,
        CLERK: clerk(CD_HF),
        SUPERVISOR: supervisor(None),
        ADMIN: create_user(
            role=Role.ADMIN,
            real_name="管理员",
            password="Tongban-Test-2026!",
            now=NOW,
            username="admin.matrix",
        ),
    }
    from tracker.models import BundleApplication
    from tracker.services import bundles

    with write_transaction() as session:  # a bundle application of the citizen (一件事)
        session.add(
            BundleApplication(
                number="YJ261102000001",
                applicant_id=applicant.id,
                bundle_id=bundles.bundle_by_code("retirement").id,  # type: ignore[union-attr]
                region_code="500112",
                created_at=NOW,
            )
        )
    samples = {
        "number": "YJ261102000001",
        "code": AHDT,
        "tracking_number": case.tracking_number,
        "attachment_id": attachment.id,
        "material_id": material.id,
        "notice_id": notice_id,
        "office_id": office(CD_HF).id,
        "item_id": item.id,
        "case_id": case.id,
        "note_id": 1,
        "subtask_id": 1,
        "endpoint_id": 1,
        "filename": "favicon.svg",
        "user_id": users[CLERK].id,
    }
    return users, samples


# A region code or an office code, not a service.
SAMPLE_OVERRIDES = {
    "supervisor.region": {"code": "510000"},
    "public.bundle": {"code": "retirement"},
    "citizen.bundle_apply": {"code": "retirement"},
    **{f"admin.regions_{e}": {"code": "510000"} for e in ("edit", "active", "delete")},
    **{f"admin.offices_{e}": {"code": CD_HF} for e in ("edit", "active", "delete")},
}


def test_each_role_is_refused_exactly_where_the_matrix_says(app, tmp_path, monkeypatch):
    """GET every route as every role: refused where the matrix says no, answered (not 5xx)
    where it says yes. POST routes are sent only where the matrix says no (a refused POST
    changes nothing): the guard must refuse those too."""
    from tests.builders import NOW, login_as
    from tracker.web import wallclock

    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    users, samples = _matrix_world(app, tmp_path)
    adapter = app.url_map.bind("localhost")
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    wrong: list[str] = []
    for role in ROLES:
        client = app.test_client()
        if role != ANONYMOUS:
            login_as(client, users[role])
        for rule in rules:
            allowed = role in ACCESS[rule.endpoint]
            values = {**samples, **SAMPLE_OVERRIDES.get(rule.endpoint, {})}
            url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
            methods = ["GET"] if "GET" in (rule.methods or ()) else []
            methods += ["POST"] if "POST" in (rule.methods or ()) and not allowed else []
            for method in methods:
                response = client.open(url, method=method)
                status, was_refused = response.status_code, refused(response)
                response.close()
                if allowed and (was_refused or status >= 500):
                    wrong.append(
                        f"{role} {method} {url} ({rule.endpoint}): {status}, "
                        "the matrix says allowed"
                    )
                elif not allowed and not was_refused:
                    wrong.append(
                        f"{role} {method} {url} ({rule.endpoint}): {status}, "
                        "the matrix says refused"
                    )
    assert not wrong, "\n".join(wrong)


def _subclasses_flaskform(source: str) -> bool:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        bases: list[ast.expr] = []
        if isinstance(node, ast.ClassDef):
            bases = node.bases
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "type"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Tuple)
        ):
            bases = node.args[1].elts
        if any(getattr(b, "id", getattr(b, "attr", None)) == "FlaskForm" for b in bases):
            return True
    return False


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (PACKAGE / "web").rglob("*.py") if p.name != "fields.py"),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_forms_derive_from_the_project_form(path: Path):
    """Every form derives from ``tracker.web.fields.Form`` (WTForms' messages read once per
    language, not on each request: docs/performance.md)."""
    assert not _subclasses_flaskform(path.read_text(encoding="utf-8"))


def test_the_form_base_guard_can_fail():
    assert _subclasses_flaskform("class A(FlaskForm):\n    pass\n")
    assert _subclasses_flaskform("A = type('A', (FlaskForm,), {})\n")
    assert not _subclasses_flaskform("class A(Form):\n    pass\n")
