"""Configuration classes. ``get_config(name)`` picks one; ``DATABASE_URL`` selects PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE / 'tracker.sqlite'}"
    # psycopg 3 is the PostgreSQL driver: accept the usual postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _replica_binds() -> dict[str, object]:
    """``DATABASE_REPLICA_URL``: a streaming replica that dashboards and exports read from
    (tracker/routing.py, docs/deploy.md); unset, they read the primary."""
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return {}
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return {"replica": url}


def _hops(name: str) -> int:
    return int(os.environ.get(name, "0") or 0)


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # Seals the audit log (docs/security.md); unset: derived from SECRET_KEY.
    AUDIT_KEY: str | None = os.environ.get("AUDIT_KEY") or None
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": False}
    SQLALCHEMY_BINDS: dict[str, object] = _replica_binds()
    # Behind a reverse proxy (deploy/nginx/tongban.conf): how many proxies set each
    # X-Forwarded-* header (werkzeug's ProxyFix). 0 = not trusted (the default): only turn
    # them on when every request reaches the app through that proxy.
    PROXY_FIX_X_FOR = _hops("PROXY_FIX_X_FOR")
    PROXY_FIX_X_PROTO = _hops("PROXY_FIX_X_PROTO")
    PROXY_FIX_X_HOST = _hops("PROXY_FIX_X_HOST")
    PROXY_FIX_X_PORT = _hops("PROXY_FIX_X_PORT")
    PROXY_FIX_X_PREFIX = _hops("PROXY_FIX_X_PREFIX")
    # (No session options here: Flask-SQLAlchemy 3.1 reads them only from SQLAlchemy(...)'s
    # arguments. A SQLALCHEMY_SESSION_OPTIONS line that sat here did nothing; sessions keep
    # SQLAlchemy's expire_on_commit=True, which the services are written and tested for.)
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    TIMEZONE = "Asia/Shanghai"
    # Working days left at which a case counts as at risk (PRODUCT.md, legal clock).
    AT_RISK_WORKING_DAYS = 3
    # Art. 32: days the receiving office has to accept, reject or ask for supplements.
    ACCEPTANCE_LIMIT_WORKING_DAYS = 5
    # Flask-Limiter: per-process memory by default; set RATELIMIT_STORAGE_URI=redis://… for
    # several workers (the machine runs Redis on 6379).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Several installations (or a test) sharing one Redis keep their counters apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    # Only the benchmark turns it off (its load comes from one address): RATELIMIT_ENABLED=0.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    TRACK_RATE_LIMIT = "30 per minute"
    OPEN311_RATE_LIMIT = "120 per minute"  # per API key (per address without one)
    # JSON API: per token (per address without one); Redis-backed with RATELIMIT_STORAGE_URI.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    LOCKOUT_FAILURES = 5
    LOCKOUT_MINUTES = 15
    # Strict-Transport-Security max-age in seconds; 0 sends none (development, testing, and
    # deployments whose TLS proxy sets the header itself). Production: one year.
    HSTS_SECONDS = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 3600
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Shared storage (NFS, an object-store mount) when several app servers run (docs/deploy.md).
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(INSTANCE / "uploads")
    # What one applicant may store per Beijing day, all forms together (SECURITY.md #13).
    UPLOAD_DAILY_BYTES = int(os.environ.get("UPLOAD_DAILY_BYTES", str(100 * 1024 * 1024)))
    # Background jobs (docs/jobs.md): unset = SQLite queue in instance/jobs.sqlite;
    # redis://host:6379/0 for several machines (Huey has no RabbitMQ backend).
    JOBS_URL: str | None = os.environ.get("JOBS_URL") or None
    JOBS_NAME = os.environ.get("JOBS_NAME", "tongban")
    # Webhooks (docs/jobs.md): private/loopback targets are refused unless allowed here or
    # the host is on the allow-list (comma-separated host names; when set, only those).
    WEBHOOK_ALLOW_PRIVATE = os.environ.get("WEBHOOK_ALLOW_PRIVATE", "0") == "1"
    WEBHOOK_ALLOWED_HOSTS = os.environ.get("WEBHOOK_ALLOWED_HOSTS", "")
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
    WEBHOOK_CLAIM_SECONDS = float(os.environ.get("WEBHOOK_CLAIM_SECONDS", "60"))
    # Written notices (docs/notices.md): the signing keys (a CA and one certificate per office)
    # live here, never in git. Auto-create: a missing CA or office key is made on first use
    # (development, tests, the demo); production creates them with `tracker notice-keys create`.
    NOTICE_KEYS_DIR = os.environ.get("NOTICE_KEYS_DIR", str(INSTANCE / "notice-keys"))
    NOTICE_KEYS_AUTOCREATE = os.environ.get("NOTICE_KEYS_AUTOCREATE", "1") == "1"
    VERIFY_RATE_LIMIT = "30 per minute"
    # The site's public address for the QR code on notices (…/verify?code=…); unset: the
    # address of the request that first draws the PDF.
    PUBLIC_BASE_URL: str | None = os.environ.get("PUBLIC_BASE_URL") or None
    # Supervisor figures from the rollups (Flask-Caching, docs/performance.md): per process in
    # memory by default; CACHE_REDIS_URL=redis://host:6379/1 shares them across servers. The
    # key carries the rollups' last change, so a new event is seen at once; the timeout only
    # bounds memory and writes made outside the app (``tracker rollup --rebuild``).
    # CACHE_TYPE=NullCache switches it off (bench/profile.py measures pages both ways).
    CACHE_TYPE = os.environ.get("CACHE_TYPE") or (
        "RedisCache" if os.environ.get("CACHE_REDIS_URL") else "SimpleCache"
    )
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or None
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "tongban:")
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "60"))
    CACHE_THRESHOLD = 2000  # SimpleCache: entries kept per process
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = Config.SECRET_KEY or "dev-only-not-secret"  # noqa: S105 (development only)
    # No SMS gateway in development: the registration code is also shown on the page.
    SMS_CODE_ECHO = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 (tests only)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_BINDS: dict[str, object] = {}  # a test names its replica itself
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    JOBS_URL = "memory://"  # nothing is consumed unless a test runs the jobs itself
    WEBHOOK_ALLOW_PRIVATE = True  # the tests' receivers listen on 127.0.0.1
    # Notice signing keys: a throw-away folder per test process, never the repo's instance/.
    NOTICE_KEYS_DIR = tempfile.mkdtemp(prefix="tongban-notice-keys-")
    # No figure cache unless a test asks for it (tests/web/test_figure_cache.py):
    # TEST_CACHE_TYPE=SimpleCache runs the supervisor tests through it.
    CACHE_TYPE = os.environ.get("TEST_CACHE_TYPE", "NullCache")
    CACHE_NO_NULL_WARNING = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    NOTICE_KEYS_AUTOCREATE = os.environ.get("NOTICE_KEYS_AUTOCREATE", "0") == "1"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 86400)))
    # TRUSTED_PROXIES=1: the app runs behind one reverse proxy (deploy/nginx/tongban.conf),
    # which sets X-Forwarded-For, -Proto and -Host; a PROXY_FIX_X_* setting still overrides.
    PROXY_FIX_X_FOR = Config.PROXY_FIX_X_FOR or _hops("TRUSTED_PROXIES")
    PROXY_FIX_X_PROTO = Config.PROXY_FIX_X_PROTO or _hops("TRUSTED_PROXIES")
    PROXY_FIX_X_HOST = Config.PROXY_FIX_X_HOST or _hops("TRUSTED_PROXIES")

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production (see README, Configuration)")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("TRACKER_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(
            f"unknown configuration {name!r}; choose one of {sorted(CONFIGS)}"
        ) from None


def rate_limit_storage_problem(workers: int, env: Mapping[str, str] | None = None) -> str | None:
    """Why ``workers`` processes must not start with this environment's rate-limit storage:
    per-process memory lets each worker count on its own (the login limit of 20 a minute first
    answered 429 at request 32 under two workers). None when it is fine."""
    env = os.environ if env is None else env
    if env.get("RATELIMIT_ENABLED", "1") == "0" or workers <= 1:
        return None
    storage = env.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith("memory://"):
        return (
            f"{workers} workers with per-process rate-limit counters: set "
            "RATELIMIT_STORAGE_URI=redis://host:6379/0 (shared storage), or run one worker"
        )
    return None
