"""Supply-chain check (SECURITY.md test 20): ``pip-audit --strict`` over the pinned requirements.

An audit that could not reach its vulnerability database is reported as NOT RUN, never as
passed. pip-audit itself would say "No known vulnerabilities found" after skipping every
package it could not look up; ``--strict`` turns such a skip into an error, and this script
tells that error apart from a real finding:

    pip-audit: passed (...)          exit 0
    pip-audit: FAILED (...)          exit 1  a known vulnerability, or pip-audit broke
    pip-audit: NOT RUN (...)         exit 0 on a developer's machine (it says so and goes on),
                                     exit 2 under CI=true, where the audit must run,
                                     unless PIP_AUDIT_ALLOW_NOT_RUN=1 says otherwise

Usage: python .ci/pip_audit.py [REQUIREMENTS ...]   (default: requirements.txt requirements-dev.txt)
docs/security.md explains how to read each outcome.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")

# Known vulnerabilities accepted on purpose: ID -> why (also listed in docs/security.md).
# Prefer upgrading the pin; an entry here needs a reason a reviewer can check.
IGNORED_VULNS: dict[str, str] = {}

# pip-audit's summary once the audit has finished and found something.
_FOUND = re.compile(r"^Found \d+ known vulnerabilit.*$", re.MULTILINE)
# What pip-audit (or pip, while resolving the requirements) prints when the vulnerability
# database or the package index could not be reached or would not answer.
_SKIPPED = re.compile(r"could not be audited: (?P<name>\S+) \((?P<version>[^)]*)\)")
_SERVICE_DOWN = (
    "Could not connect to PyPI's vulnerability feed",
    "PyPI is not redirecting properly",
    "your network may be blocking this service",
    "ServiceError",
)
_NETWORK = (
    "NewConnectionError",
    "ProxyError",
    "NameResolutionError",
    "Temporary failure in name resolution",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "ConnectTimeout",
    "ReadTimeout",
    "ConnectionError",
)


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "passed", "FAILED" or "NOT RUN"
    detail: str

    @property
    def line(self) -> str:
        return f"pip-audit: {self.verdict} ({self.detail})"


def command(requirements: Sequence[str]) -> list[str]:
    cmd = [sys.executable, "-m", "pip_audit", "--strict", "--progress-spinner", "off"]
    for req in requirements:
        cmd += ["-r", req]
    for vuln in sorted(IGNORED_VULNS):
        cmd += ["--ignore-vuln", vuln]
    return cmd


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "ERROR" in ln or "Error" in ln]
    picked = (errors or lines or ["no output"])[-1]
    return picked.removeprefix("ERROR:pip_audit._cli:").strip()


def _shorten(line: str, limit: int = 240) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify(returncode: int, stdout: str, stderr: str) -> Outcome:
    """What one pip-audit run means. Never "passed" unless pip-audit exited 0."""
    text = stdout + "\n" + stderr
    if returncode == 0:
        said = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        return Outcome("passed", said[-1] if said else "No known vulnerabilities found")
    found_vulns = _FOUND.search(text)
    if found_vulns:  # the audit finished: whatever else was printed, this is a finding
        return Outcome("FAILED", found_vulns.group(0).strip())
    skipped = _SKIPPED.search(text)
    if skipped:
        # --strict stops at the first package it could not look up. Every requirement is
        # installed from PyPI, so "not found on PyPI" means the feed did not answer for it.
        return Outcome(
            "NOT RUN",
            "could not reach the vulnerability database: PyPI gave no "
            f"vulnerability record for {skipped['name']} {skipped['version']} "
            "(pip-audit: dependency not found on PyPI and could not be audited)",
        )
    down = [ln.strip() for ln in text.splitlines() if any(m in ln for m in _SERVICE_DOWN)]
    if down:
        said = down[0].removeprefix("ERROR:pip_audit._cli:").strip()
        return Outcome("NOT RUN", f"could not reach the vulnerability database: {_shorten(said)}")
    broken = [ln.strip() for ln in text.splitlines() if any(m in ln for m in _NETWORK)]
    if broken:
        where = (
            "the package index, to resolve the requirements"
            if "Failed to install packages" in text
            else "the vulnerability database"
        )
        line = broken[-1]
        line = line[min(line.find(m) for m in _NETWORK if m in line) :]  # from the error's name
        return Outcome("NOT RUN", f"could not reach {where}: {_shorten(line)}")
    return Outcome("FAILED", f"pip-audit exited {returncode}: {_last_error(text)}")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def exit_code(outcome: Outcome, env: Mapping[str, str]) -> int:
    if outcome.verdict == "passed":
        return 0
    if outcome.verdict == "FAILED":
        return 1
    if _truthy(env.get("CI")) and not _truthy(env.get("PIP_AUDIT_ALLOW_NOT_RUN")):
        return 2
    return 0


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603


def main(argv: Sequence[str], env: Mapping[str, str] = os.environ, run: Runner = _run) -> int:
    requirements = list(argv) or list(DEFAULT_REQUIREMENTS)
    done = run(command(requirements))
    outcome = classify(done.returncode, done.stdout, done.stderr)
    if outcome.verdict == "FAILED":
        if done.stdout.strip():
            print(done.stdout.rstrip())  # pip-audit's table: package, version, ID, fixed in
        if not _FOUND.search(done.stderr):
            print("\n".join(done.stderr.rstrip().splitlines()[-20:]))  # what broke
    print(outcome.line)
    code = exit_code(outcome, env)
    if outcome.verdict == "NOT RUN":
        if code:
            then = "failing, because CI must run this audit (docs/security.md)"
        elif _truthy(env.get("CI")):
            then = (
                "going on, because PIP_AUDIT_ALLOW_NOT_RUN=1 (this CI machine cannot reach "
                "the vulnerability data; see .ci/run)"
            )
        else:
            then = "going on (outside CI); run `make security` where PyPI answers"
        print("pip-audit: the dependencies were NOT checked for known vulnerabilities; " + then)
    for vuln, why in sorted(IGNORED_VULNS.items()):
        print(f"pip-audit: ignoring {vuln}: {why}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
