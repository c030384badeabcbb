"""``make run``: the web server and the job worker side by side, stopped together.

Ctrl-C (SIGINT) or SIGTERM to the launcher is passed on to both children; whichever child
stops first (or fails to start) stops the other; a child that has not stopped after
``GRACE_SECONDS`` is killed. The launcher's exit status is the first child's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

GRACE_SECONDS = 10.0


def commands(host: str, port: int, workers: int) -> dict[str, list[str]]:
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    return {
        "web": [*flask, "run", "--host", host, "--port", str(port), "--no-reload"],
        "worker": [*flask, "tracker", "worker", "--workers", str(workers)],
    }


def _stop(procs: dict[str, subprocess.Popen[bytes]], sig: int) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(sig)


def _wait_all(procs: dict[str, subprocess.Popen[bytes]], grace: float) -> None:
    deadline = time.monotonic() + grace
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(host: str, port: int, workers: int = 2, echo: Sequence[str] = ()) -> int:
    stopping: list[int] = []

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, argv in commands(host, port, workers).items():
            # A session of their own: a terminal's Ctrl-C reaches the launcher only, which
            # passes it on once (a second SIGINT would cut Huey's graceful stop short).
            procs[name] = subprocess.Popen(  # noqa: S603 (our own argv)
                argv, env=os.environ.copy(), start_new_session=True
            )
            print(f"{name}: pid {procs[name].pid}", flush=True)
        for line in echo:
            print(line, flush=True)
        status = 0
        while not stopping:
            ended = [p for p in procs.values() if p.poll() is not None]
            if ended:
                status = ended[0].returncode or 0
                break
            time.sleep(0.2)
        # SIGINT is graceful for both Flask and Huey.
        _stop(procs, signal.SIGINT)
        _wait_all(procs, GRACE_SECONDS)
        print("web server and worker stopped", flush=True)
        return status
    finally:
        _stop(procs, signal.SIGKILL)
        for s, handler in previous.items():
            signal.signal(s, handler)
