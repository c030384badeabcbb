"""Every role's main pages, taken from the access matrix (tests/access_matrix.py), for the
accessibility checks (issue 14 items 4 and 5: tests/browser/test_axe.py and the phone layout).

A role's pages are the HTML pages it may open: each GET endpoint of ``app.url_map`` whose
matrix entry names the role. Endpoints without URL arguments are opened as they are; those
with arguments are reached by following the first link of the kind on a page before
(``FOLLOW``). What is left out (files, exports, health checks, the public pages for signed-in
roles, who see the same page as anonymous visitors) is named in ``LEFT_OUT``, so that a new
page is either checked or left out on purpose (``test_every_page_is_checked_or_left_out``).
"""

from __future__ import annotations

from flask import Flask

from tests.access_matrix import ACCESS, ANONYMOUS, CITIZEN, CLERK, ROLES, SUPERVISOR
from tracker.services.demo import DEMO_PASSWORD

# The demo logins of each role (anonymous: none).
LOGINS: dict[str, str | None] = {
    ANONYMOUS: None,
    CITIZEN: "13900000001",
    CLERK: "clerk.cd.hf",
    SUPERVISOR: "sup.all",
    "admin": "admin",
}

# Endpoints with URL arguments: (page to look on, first link there starting with this prefix,
# suffix added to that link).
FOLLOW: dict[str, tuple[str, str, str]] = {
    "public.service": ("/services", "/services/", ""),
    "public.bundle": ("/bundles", "/bundles/", ""),
    "citizen.bundle_apply": ("/bundles", "/bundles/", "/apply"),
    "citizen.bundle_application": ("/cases", "/applications/", ""),
    "citizen.case": ("/cases", "/cases/", ""),
    "citizen.receipt": ("/cases", "/cases/", "/receipt"),
    "citizen.apply": ("/services", "/services/", "/apply"),
    "clerk.case": ("/clerk/", "/clerk/cases/", ""),
    "clerk.rectification": ("/clerk/rectifications", "/clerk/rectifications/", ""),
    "supervisor.region": ("/supervisor/", "/supervisor/regions/", ""),
    "supervisor.office": ("/supervisor/?group=office", "/supervisor/offices/", ""),
    "supervisor.case": ("via:/supervisor/clock /supervisor/offices/", "/supervisor/cases/", ""),
    "supervisor.rectification_item": ("/supervisor/ratings", "/supervisor/rectifications/", ""),
    "admin.services_edit": ("/admin/services", "/admin/services/", ""),
    "admin.regions_edit": ("/admin/regions", "/admin/regions/", ""),
    "admin.offices_edit": ("/admin/offices", "/admin/offices/", ""),
    "admin.staff_edit": ("/admin/staff", "/admin/staff/", ""),
}

# Pages that exist only when the data has one (the demo clerk's office may have no
# rectification item; the demo data files no 一件事 bundle): checked when reached, said in
# the report when not.
NEEDS_DATA = {"clerk.rectification", "citizen.bundle_application"}

# GET endpoints that are not HTML pages of their own, or are checked under another role.
LEFT_OUT: dict[str, str] = {
    "static": "files",
    "public.healthz": "health check (JSON)",
    "public.readyz": "health check (JSON)",
    "auth.logout": "signs out (a confirmation page only without a session)",
    "admin.catalogue_export": "a ZIP file",
    "supervisor.open_data": "a CSV/JSON download",
    "citizen.download": "a file",
    "citizen.material_file": "a file",
    "citizen.notice": "a PDF",
    "clerk.download": "a file",
    "clerk.notice": "a PDF",
    "citizen.delete_material": "a confirmation reached from 我的材料 when a file is saved",
    "citizen.supplement": "only for a case whose supplement is requested (test_citizen_journey)",
}
# Pages left out of the axe check: /api/v1/docs is drawn by the vendored Swagger UI for
# developers (its own markup: nested buttons and method labels below 4.5:1; docs/accessibility.md).
LEFT_OUT_PAGES = {"api.docs": "Swagger UI's page for developers"}
# Pages everyone may open: checked for the anonymous visitor only (plus the home page, whose
# header and menu differ per role).
PUBLIC_FOR_ANONYMOUS_ONLY = ("public.", "auth.login", "auth.register")


def role_pages(app: Flask, role: str) -> list[str]:
    """The role's pages: paths, or ``follow:<endpoint>`` for those found by a link."""
    pages: list[str] = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            endpoint = rule.endpoint
            if "GET" not in (rule.methods or ()) or endpoint in LEFT_OUT:
                continue
            if endpoint.startswith(("api.", "open311.")):
                continue  # JSON/XML interfaces; api.docs is Swagger UI's page (LEFT_OUT_PAGES)
            if role not in ACCESS.get(endpoint, ()):
                continue
            if (
                role != ANONYMOUS
                and endpoint.startswith(PUBLIC_FOR_ANONYMOUS_ONLY)
                and endpoint != "public.home"
            ):
                continue
            if rule.arguments:
                pages.append(f"follow:{endpoint}")
            else:
                pages.append(url_for(endpoint))
    return pages


def all_roles() -> tuple[str, ...]:
    return ROLES


def sign_in(page, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form.auth-form button[type=submit], form.auth-form input[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")[:300]


def choose(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The header's language switch, as a person uses it."""
    page.locator(f"form.lang-switch button[value={lang}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-Hans")


def resolve(page, path: str) -> str | None:  # type: ignore[no-untyped-def]
    """A path to open: ``follow:<endpoint>`` becomes the first matching link's address (None
    for a page of ``NEEDS_DATA`` that the demo data does not reach)."""
    if not path.startswith("follow:"):
        return path
    endpoint = path.removeprefix("follow:")
    source, prefix, suffix = FOLLOW[endpoint]
    # "via:<page> <prefix>": the pages linked from <page> under <prefix>, tried in turn.
    sources = [source]
    if source.startswith("via:"):
        first, under = source.removeprefix("via:").split()
        page.goto(page.base + first)
        sources = _links(page, under)[:12]
    for each in sources:
        page.goto(page.base + each)
        found = _links(page, prefix)
        if found:
            return found[0] + suffix
    if endpoint in NEEDS_DATA:
        return None
    raise AssertionError(f"no link under {prefix} on {source}")


def _links(page, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Links of the page's main part to one item under ``prefix`` (not its list, not "new")."""
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        bare = href.split("?")[0].split("#")[0]
        rest = bare.removeprefix(prefix)
        if bare.startswith(prefix) and rest not in ("", "new") and "/" not in rest.strip("/"):
            found.append(bare.rstrip("/"))
    return list(dict.fromkeys(found))


# Refused forms: (role, page, form selector, values typed before submitting). Each is sent
# with the browser's own checks off (novalidate), so that the server's answer is what shows.
REFUSED: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "register": (ANONYMOUS, "/register", "form.auth-form", {}),
    "login": (ANONYMOUS, "/login", "form.auth-form", {"login": "nobody", "password": "wrong"}),
    "login-empty": (ANONYMOUS, "/login", "form.auth-form", {}),
    "apply": (CITIZEN, "follow:citizen.apply", "form.apply-form", {}),
    "password": (CITIZEN, "/account/password", "main form", {}),
    "clerk-action": (
        CLERK,
        "case-with:form.clerk-action-form:has(details)",
        "form.clerk-action-form:has(details)",
        {},
    ),
    "admin-region": ("admin", "/admin/regions/new", "main form.admin-form, main form", {}),
    "admin-staff": ("admin", "/admin/staff/new", "main form.admin-form, main form", {}),
}


def refuse(tab, name: str) -> str:  # type: ignore[no-untyped-def]
    """Open the form ``name`` of REFUSED, submit it and return the page's path."""
    _role, path, form, values = REFUSED[name]
    if path.startswith("case-with:"):
        path = first_case_with(tab, path.removeprefix("case-with:"))
    else:
        path = str(resolve(tab, path))
    tab.goto(tab.base + path)
    target = tab.locator(form).last if "admin" in name else tab.locator(form).first
    if target.locator("details").count():
        target.locator("summary").first.click()
    for field, value in values.items():
        target.locator(f"[name={field}]").fill(value)
    target.evaluate("f => { f.noValidate = true; }")
    with tab.expect_navigation():
        target.locator("button[type=submit], input[type=submit]").last.click()
    assert tab.locator(".error-summary").count(), f"{name}: no error summary on {tab.url}"
    return path


def first_case_with(tab, selector: str) -> str:  # type: ignore[no-untyped-def]
    """The first case of the clerk's queue whose page offers ``selector``."""
    tab.goto(tab.base + "/clerk/")
    hrefs = tab.eval_on_selector_all(
        "main a[href^='/clerk/cases/']", "els => els.map(e => e.getAttribute('href'))"
    )
    for href in dict.fromkeys(hrefs):
        tab.goto(tab.base + href)
        if tab.locator(selector).count():
            return str(href)
    raise AssertionError(f"no case in the queue offers {selector}")
