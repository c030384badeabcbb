"""`make bench` keeps working: a smoke run of bench/run.py (1,000 cases, one scenario, 2 s of load).

It times nothing: it checks that the benchmark builds its dataset, serves it, measures it
with wrk, writes its JSON with requests answered and no error, and stops what it started.
wrk is a Debian package (`make wrk`); without it the test skips, except under CI=true, where
.ci/run installs it and a missing wrk is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_bench_runs_end_to_end_and_stops_its_server(tmp_path):
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is not installed: .ci/run installs it under CI")
        pytest.skip("wrk is not installed (make wrk)")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "BENCH_DATABASE_URL", "BENCH_PORT", "BENCH_CASES")
    }
    port = _free_port()
    command = [
        *(sys.executable, "bench/run.py", "--cases", "1000", "--scenarios", "track"),
        *("--seconds", "2", "--warmup", "1", "--port", str(port)),
        *("--data-dir", str(tmp_path / "data"), "--results-dir", str(tmp_path / "results")),
    ]
    done = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    [written] = (tmp_path / "results").glob("*.json")
    report = json.loads(written.read_text(encoding="utf-8"))
    track = report["results"]["track"]
    assert report["cases"] == 1000 and report["runs"][0]["generated"]["cases"] == 1000
    assert track["requests"] > 0 and track["rps"] > 0
    assert track["non_2xx"] == 0
    with socket.socket() as s:  # the server it started is gone: nothing listens on its port
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
        s.bind(("127.0.0.1", port))
