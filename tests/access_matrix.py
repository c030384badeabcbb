"""Who may reach which page: one entry per endpoint of ``app.url_map`` (SECURITY.md, "Nobody
sees what is not theirs"; ARCHITECTURE.md, "each blueprint installs one access guard").

An entry names the roles that are *not refused* there. Refused means 403, 404, a redirect
to the login page (anonymous visitors of a guarded page), or 401 (the API, which wants a
bearer token whatever the browser session). Being sent somewhere else is not a
refusal: a signed-in person who opens ``/login`` or ``/register`` is sent to their home page,
``/logout`` without a session goes to the home page.

``tests/test_architecture.py`` fails when an endpoint has no entry (a new route, of any
blueprint, admin included, must be placed here on purpose), when an entry names an endpoint
that no longer exists, and when a role gets a different answer than its entry says.
"""

from __future__ import annotations

ANONYMOUS, CITIZEN, CLERK, SUPERVISOR, ADMIN = (
    "anonymous",
    "citizen",
    "clerk",
    "supervisor",
    "admin",
)
ROLES = (ANONYMOUS, CITIZEN, CLERK, SUPERVISOR, ADMIN)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
CITIZENS = frozenset({CITIZEN})
CLERKS = frozenset({CLERK})
SUPERVISORS = frozenset({SUPERVISOR})
ADMINS = frozenset({ADMIN})  # the admin console (/admin/)
# The JSON API (/api/v1) authenticates by bearer token only: a browser session, of any role,
# is refused there with 401 (no token), which ``refused`` counts like a redirect to log in.
API_TOKEN_ONLY: frozenset[str] = frozenset()

ACCESS: dict[str, frozenset[str]] = {
    # public: tracking without login, the catalogue, health checks, static files
    "public.home": EVERYONE,
    "public.services": EVERYONE,
    "public.service": EVERYONE,
    "public.bundle_list": EVERYONE,
    "public.bundle": EVERYONE,
    "public.track": EVERYONE,
    "public.healthz": EVERYONE,
    "public.readyz": EVERYONE,
    "public.verify": EVERYONE,  # notice verification by code (no personal data)
    "static": EVERYONE,
    # auth
    "auth.login": EVERYONE,
    "auth.register": EVERYONE,
    "auth.logout": EVERYONE,
    "auth.password": SIGNED_IN,
    "auth.language": EVERYONE,  # the header's language switch (a POST form)
    # citizen (/)
    "citizen.apply": CITIZENS,
    "citizen.cases": CITIZENS,
    "citizen.case": CITIZENS,
    "citizen.receipt": CITIZENS,
    "citizen.download": CITIZENS,
    "citizen.notice": CITIZENS,
    "citizen.supplement": CITIZENS,
    "citizen.withdraw": CITIZENS,
    "citizen.bundle_apply": CITIZENS,
    "citizen.bundle_application": CITIZENS,
    "citizen.bundle_withdraw": CITIZENS,
    "citizen.rate": CITIZENS,
    "citizen.follow_up": CITIZENS,
    "citizen.notifications": CITIZENS,
    "citizen.notifications_read": CITIZENS,
    "citizen.materials": CITIZENS,  # 我的材料 (issue #16 item 4)
    "citizen.material_file": CITIZENS,
    "citizen.delete_material": CITIZENS,
    # clerk (/clerk)
    "clerk.queue": CLERKS,
    "clerk.queue_search": CLERKS,
    "clerk.case": CLERKS,
    "clerk.notice": CLERKS,
    "clerk.act": CLERKS,
    "clerk.assign": CLERKS,
    "clerk.bulk": CLERKS,
    "clerk.reveal": CLERKS,
    "clerk.download": CLERKS,
    "clerk.subtask_act": CLERKS,
    "clerk.delivery": CLERKS,
    "clerk.rectifications": CLERKS,
    "clerk.rectification": CLERKS,
    "clerk.notes": CLERKS,
    "clerk.delete_note": CLERKS,
    "clerk.webhooks": CLERKS,
    "clerk.disable_webhook": CLERKS,
    "clerk.rotate_webhook": CLERKS,
    # supervisor (/supervisor)
    "supervisor.dashboard": SUPERVISORS,
    "supervisor.region": SUPERVISORS,
    "supervisor.office": SUPERVISORS,
    "supervisor.clock": SUPERVISORS,
    "supervisor.ratings": SUPERVISORS,
    "supervisor.rectification_item": SUPERVISORS,
    "supervisor.extensions": SUPERVISORS,
    "supervisor.decide_extension": SUPERVISORS,
    "supervisor.workload": SUPERVISORS,
    "supervisor.case": SUPERVISORS,
    "supervisor.open_data": SUPERVISORS,
    # Open311 GeoReport v2 (/open311/v2): guarded by API keys, not by the session. Every role
    # reaches the catalogue; keyed endpoints answer 401 to anyone without a key (the key ×
    # scope matrix is in tests/web/test_open311.py).
    **{
        f"open311.{name}_{fmt}": EVERYONE
        for name in ("discovery", "services", "service_definition")
        for fmt in ("json", "xml")
    },
    **{
        f"open311.{name}_{fmt}": API_TOKEN_ONLY
        for name in ("requests", "request", "token", "updates")
        for fmt in ("json", "xml")
    },
    # JSON API (/api/v1): the document and its reference page are public; every other route
    # wants a bearer token (tests/api/ hold each token scope to its cases, queues and figures)
    "api.openapi": EVERYONE,
    "api.docs": EVERYONE,
    "api.services": API_TOKEN_ONLY,
    "api.service": API_TOKEN_ONLY,
    "api.create_case": API_TOKEN_ONLY,
    "api.get_case": API_TOKEN_ONLY,
    "api.events": API_TOKEN_ONLY,
    "api.act": API_TOKEN_ONLY,
    "api.office_queue": API_TOKEN_ONLY,
    "api.daily": API_TOKEN_ONLY,
    # admin (/admin): each route gets an entry here (ADMINS) as it is added
    "admin.home": ADMINS,
    # admin: services, versioned; catalogue import and export
    "admin.services": ADMINS,
    "admin.services_new": ADMINS,
    "admin.services_edit": ADMINS,
    "admin.services_publish": ADMINS,
    "admin.services_discard": ADMINS,
    "admin.services_retire": ADMINS,
    "admin.services_reinstate": ADMINS,
    "admin.catalogue": ADMINS,
    "admin.catalogue_export": ADMINS,
    "admin.catalogue_import": ADMINS,
    "admin.catalogue_confirm": ADMINS,
    "admin.calendar": ADMINS,
    "admin.calendar_upload": ADMINS,
    "admin.calendar_confirm": ADMINS,
    "admin.clients": ADMINS,
    "admin.clients_create_token": ADMINS,
    "admin.clients_revoke_token": ADMINS,
    "admin.clients_add_webhook": ADMINS,
    "admin.clients_retry_delivery": ADMINS,
    "admin.audit": ADMINS,
    "admin.regions": ADMINS,
    "admin.regions_new": ADMINS,
    "admin.regions_edit": ADMINS,
    "admin.regions_active": ADMINS,
    "admin.regions_delete": ADMINS,
    "admin.offices": ADMINS,
    "admin.offices_new": ADMINS,
    "admin.offices_edit": ADMINS,
    "admin.offices_active": ADMINS,
    "admin.offices_delete": ADMINS,
    "admin.staff": ADMINS,
    "admin.staff_new": ADMINS,
    "admin.staff_edit": ADMINS,
    "admin.staff_password": ADMINS,
    "admin.staff_lock": ADMINS,
    "admin.staff_active": ADMINS,
}
