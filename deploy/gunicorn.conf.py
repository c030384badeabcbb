"""gunicorn settings for Tongban: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Environment: ``BIND`` (default 127.0.0.1:8000), ``WEB_CONCURRENCY`` (workers, default 2),
``RATELIMIT_STORAGE_URI`` (required as shared storage, e.g. redis://127.0.0.1:6379/0, when
more than one worker runs: the server refuses to start otherwise — issue #13 item 7).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import rate_limit_storage_problem  # noqa: E402 - after the path is set

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - heartbeat files
accesslog = "-"


def on_starting(server: Any) -> None:
    problem = rate_limit_storage_problem(server.cfg.workers)
    if problem:
        server.log.error("refusing to start: %s", problem)
        raise SystemExit(f"refusing to start: {problem}")
