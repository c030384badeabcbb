"""SECURITY.md test 20 — static analysis and supply chain.

bandit: no medium or high finding in our code that is not explained on its line, and the
configuration still catches the findings that matter. pip-audit: ``.ci/pip_audit.py`` runs
``pip-audit --strict`` and an audit that could not reach its database is reported as NOT RUN,
never as passed (failing under CI=true). The real pip-audit run is ``make security``, part of
``make test``; here its verdicts are checked against pip-audit's own outputs.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The same scan as the Makefile's BANDIT (targets and levels; the rest is in pyproject.toml).
BANDIT_LEVELS = ["--severity-level", "medium", "--confidence-level", "medium"]
BANDIT_TARGETS = ["tracker", "config.py", "wsgi.py"]


def _bandit(*targets: str | Path) -> list[dict[str, object]]:
    done = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
        [
            sys.executable,
            "-m",
            "bandit",
            "-c",
            "pyproject.toml",
            "-q",
            "-f",
            "json",
            *BANDIT_LEVELS,
            "-r",
            *map(str, targets),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert not report["errors"], report["errors"]
    results: list[dict[str, object]] = report["results"]
    assert done.returncode == (1 if results else 0), done.stderr
    return results


def test_bandit_finds_nothing_medium_or_high_in_our_code():
    found = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in _bandit(*BANDIT_TARGETS)
    ]
    assert found == [], "fix it, or explain it with `# nosec BXXX` and docs/security.md"


def test_bandit_configuration_still_catches_what_matters(tmp_path: Path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import subprocess\n"
        "from flask import Flask\n"
        "app = Flask(__name__)\n"
        "def find(db, name):\n"
        "    return db.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
        "def run(cmd):\n"
        "    return subprocess.call(cmd, shell=True)\n"
        "app.run(debug=True)\n",
        encoding="utf-8",
    )
    assert {"B608", "B602", "B201"} <= {r["test_id"] for r in _bandit(planted)}


# ---- pip-audit ---------------------------------------------------------------------------


def _load_wrapper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_pip_audit", ROOT / ".ci" / "pip_audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wrapper = _load_wrapper()

# What pip-audit 2.10 printed here (trimmed), one per situation.
PASSED = (0, "", "No known vulnerabilities found\n")
VULNERABLE = (
    1,
    "Name  Version ID                  Fix Versions\n"
    "----- ------- ------------------- ------------\n"
    "jinja2 3.1.2  GHSA-h5c8-rqwp-cp95 3.1.3\n",
    "Found 1 known vulnerability in 1 package\n",
)
FEED_404 = (
    1,
    "",
    "ERROR:pip_audit._cli:Flask: Dependency not found on PyPI and could not be "
    "audited: flask (3.1.3)\n",
)
FEED_UNREACHABLE = (
    1,
    "",
    "Traceback (most recent call last):\n"
    "urllib3.exceptions.ProxyError: ('Unable to connect to proxy', NewConnectionError(...))\n"
    "requests.exceptions.ProxyError: HTTPSConnectionPool(host='pypi.org', port=443): Max "
    "retries exceeded with url: /pypi/alembic/1.20.1/json (Caused by ProxyError('Unable to "
    "connect to proxy', NewConnectionError(\"HTTPSConnection(host='127.0.0.1', port=9): "
    'Failed to establish a new connection: [Errno 111] Connection refused")))\n',
)
FEED_TIMEOUT = (
    1,
    "",
    "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
    "ERROR:pip_audit._cli:Tip: your network may be blocking this service. "
    "Try another service with `-s SERVICE`\n",
)
INDEX_UNREACHABLE = (
    1,
    "",
    "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
    "after connection broken by 'NewConnectionError(\"HTTPSConnection(host='127.0.0.1', "
    "port=9): Failed to establish a new connection: [Errno 111] Connection refused\")': "
    "/simple/sqlalchemy/\n"
    "ERROR: No matching distribution found for SQLAlchemy==2.1.9\n"
    "ERROR:pip_audit._cli:Failed to install packages: ['python3.11', '-m', 'pip', 'install', "
    "'--dry-run', '-r', 'requirements.txt']\n",
)
BROKEN_REQUIREMENTS = (
    1,
    "",
    "ERROR: Cannot install flask==3.1.3 and flask==3.0.0 because these package "
    "versions have conflicting dependencies.\n"
    "ERROR:pip_audit._cli:Failed to install packages: ['python3.11', '-m', 'pip']\n",
)
NOT_REACHED = [FEED_404, FEED_UNREACHABLE, FEED_TIMEOUT, INDEX_UNREACHABLE]


def test_the_audit_is_strict_over_every_requirements_file():
    cmd = wrapper.command(["requirements.txt", "requirements-dev.txt"])
    assert cmd[1:4] == ["-m", "pip_audit", "--strict"]
    assert cmd[cmd.index("-r") + 1] == "requirements.txt"
    assert "requirements-dev.txt" in cmd


def test_a_clean_audit_passes():
    assert wrapper.classify(*PASSED).verdict == "passed"


@pytest.mark.parametrize("output", [VULNERABLE, BROKEN_REQUIREMENTS], ids=["vuln", "broken"])
def test_a_finding_or_a_broken_run_fails_everywhere(output):
    outcome = wrapper.classify(*output)
    assert outcome.verdict == "FAILED"
    assert wrapper.exit_code(outcome, {}) == wrapper.exit_code(outcome, {"CI": "true"}) == 1


@pytest.mark.parametrize("output", NOT_REACHED, ids=["404", "proxy", "timeout", "index"])
def test_an_unreachable_database_is_not_run_never_passed(output):
    outcome = wrapper.classify(*output)
    assert outcome.verdict == "NOT RUN"
    assert outcome.line.startswith("pip-audit: NOT RUN (could not reach ")
    assert "passed" not in outcome.line
    assert wrapper.exit_code(outcome, {}) == 0  # a developer offline: said, and going on
    assert wrapper.exit_code(outcome, {"CI": "true"}) == 2  # CI must run it
    assert wrapper.exit_code(outcome, {"CI": "true", "PIP_AUDIT_ALLOW_NOT_RUN": "1"}) == 0


def test_nothing_but_exit_zero_passes():
    for code, out, err in [
        VULNERABLE,
        BROKEN_REQUIREMENTS,
        *NOT_REACHED,
        (1, "", ""),
        (1, "", "No known vulnerabilities found\n"),
    ]:
        assert wrapper.classify(code, out, err).verdict != "passed"


@pytest.mark.parametrize(
    ("output", "env", "code", "says"),
    [
        (PASSED, {"CI": "true"}, 0, "pip-audit: passed (No known vulnerabilities found)"),
        (VULNERABLE, {}, 1, "pip-audit: FAILED (Found 1 known vulnerability in 1 package)"),
        (
            FEED_404,
            {},
            0,
            "pip-audit: NOT RUN (could not reach the vulnerability database: "
            "PyPI gave no vulnerability record for flask 3.1.3",
        ),
        (
            INDEX_UNREACHABLE,
            {"CI": "true"},
            2,
            "pip-audit: NOT RUN (could not reach the package index, to resolve the requirements: ",
        ),
    ],
)
def test_main_says_what_happened(output, env, code, says, capsys):
    ran: list[list[str]] = []

    def fake(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        ran.append(cmd)
        return subprocess.CompletedProcess(cmd, output[0], output[1], output[2])

    assert wrapper.main([], env=env, run=fake) == code
    printed = capsys.readouterr().out
    assert says in printed
    assert ran and "--strict" in ran[0] and "requirements-dev.txt" in ran[0]
    if output is VULNERABLE:
        assert "GHSA-h5c8-rqwp-cp95" in printed  # the table that says what to upgrade
    if code == 2:
        assert "failing, because CI must run this audit" in printed
