"""The web layer's one clock: every view asks ``wallclock.now()`` for the moment it acts at.

Services take ``now`` as an argument and never read the time; the views read it here, once per
operation. Tests set the time for every page at once with
``monkeypatch.setattr(tracker.web.wallclock, "now", lambda: MOMENT)``, so call it through the
module (``wallclock.now()``), never ``from .wallclock import now``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)
