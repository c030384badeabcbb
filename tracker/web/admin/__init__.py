"""The admin console (/admin/): regions, offices, services, the calendar, staff accounts,
API clients and the admin's own audit trail. An admin configures; an admin never reads case
contents or applicants' personal data (SECURITY.md, separation of duties).

Each section is a module that registers its routes on ``bp`` and its entry on the console's
home page with :func:`tracker.web.admin.views.section`; importing it here installs it."""

from . import (  # noqa: F401  (register the routes)
    audit,
    calendar,
    catalogue,
    clients,
    offices,
    regions,
    services,
    staff,
    views,
)
from .views import bp

__all__ = ["bp"]
