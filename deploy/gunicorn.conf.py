"""gunicorn settings for Tongban: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``
(docs/deploy.md). Every setting can be changed through the environment:

- ``BIND`` (default 127.0.0.1:8000): where nginx (deploy/nginx/tongban.conf) finds it.
- ``WEB_CONCURRENCY``: sync workers; default two per core this process may run on (a request
  waits on the database about as long as it computes). Each worker is one request at a time.
- ``RATELIMIT_STORAGE_URI``: with more than one worker it must be shared storage
  (redis://host:6379/0): the server refuses to start on per-process memory counters
  (issue #13 item 7).
- ``GUNICORN_TIMEOUT`` (30 s): a worker silent that long is killed and replaced;
  ``GUNICORN_GRACEFUL_TIMEOUT`` (30 s): on SIGTERM or a reload, how long running requests
  may finish; ``GUNICORN_KEEPALIVE`` (75 s, above nginx's upstream keepalive_timeout 60 s so
  gunicorn never closes a connection nginx is about to reuse).
- ``GUNICORN_MAX_REQUESTS`` (5000, ±10 % jitter): a worker is replaced after that many
  requests, gracefully (bounds any slow leak); 0 turns it off.
- ``ACCESS_LOG`` (``-``: standard output; a path; empty: none), ``ERROR_LOG`` (``-``).

Graceful reload (new code or settings, no request lost): ``kill -HUP <master pid>`` — the
master re-reads this file, starts new workers, and the old ones finish their requests within
the graceful timeout. ``kill -TERM`` stops the same way; ``kill -QUIT`` stops at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import rate_limit_storage_problem  # noqa: E402 - after the path is set


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores())
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - heartbeat files
# X-Forwarded-* are the app's business (ProxyFix, PROXY_FIX_X_* in config.py): gunicorn
# itself trusts no peer's forwarded headers, so one setting decides what is believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = os.environ.get("ERROR_LOG", "-")
# Client address as the proxy saw it, request, status, bytes, duration in microseconds,
# and the request id nginx sends (X-Request-Id), to follow one request across both logs.
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s" id=%({x-request-id}i)s'
)
proc_name = os.environ.get("GUNICORN_PROC_NAME", "tongban")


def on_starting(server: Any) -> None:
    problem = rate_limit_storage_problem(server.cfg.workers)
    if problem:
        server.log.error("refusing to start: %s", problem)
        raise SystemExit(f"refusing to start: {problem}")
