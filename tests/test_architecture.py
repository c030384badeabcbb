"""Layering rules that keep the code easy to read: the domain is pure, only services commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
BANNED_IN_DOMAIN = {"flask", "werkzeug", "sqlalchemy", "wtforms", "flask_sqlalchemy",
                    "flask_login", "flask_wtf", "flask_babel"}


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
    sorted(p for p in PACKAGE.rglob("*.py")
           if "services" not in p.parts and p.name != "database.py"),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_services_commit(path: Path):
    assert not _commits(path), "commit outside tracker/services (use write_transaction)"


def test_the_guard_test_can_fail(tmp_path: Path):
    bad = tmp_path / "x.py"
    bad.write_text("from flask import g\nimport sqlalchemy.orm\ndb.session.commit()\n")
    assert {"flask", "sqlalchemy"} <= imported_roots(bad) and _commits(bad)
