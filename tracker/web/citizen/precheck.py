"""The apply page's first step for a service with a guided pre-check (情形引导).

Without JavaScript: the questions are a GET form to the apply address itself; its answers
travel in the query (``pc_<question code>``), then as hidden fields of the form, and the
form shows only the materials and fields they leave. The rules are ``domain/precheck.py``;
the checks are the filing service's, shared with the API.
"""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from werkzeug.wrappers import Response

from ...domain.precheck import PREFIX, Outcome, preset
from ...models import Service
from ...services import filing, queries


def _suggested(outcome: Outcome | None) -> dict[str, Service]:
    """The services the answers' hints point to, by code (only those still offered)."""
    found: dict[str, Service] = {}
    for hint in outcome.hints if outcome is not None else ():
        if hint.service and (other := queries.service_by_code(hint.service)) is not None:
            found[hint.service] = other
    return found


def _page(
    service: Service,
    values: dict[str, str],
    errors: dict[str, Any],
    outcome: Outcome | None,
    status: int,
) -> Response:
    stopped = outcome is not None and outcome.stopped
    return make_response(
        render_template(
            "citizen/precheck.html",
            service=service,
            questions=service.precheck or [],
            values=values,
            errors={} if stopped else errors,
            stops=[h for h in outcome.hints if h.stop] if stopped and outcome else [],
            suggested=_suggested(outcome),
            prefix=PREFIX,
        ),
        status,
    )


def precheck_step(service: Service) -> tuple[Outcome | None, Response | None]:
    """(the answers' outcome, None) to go on to the form; (None, page) to show the questions
    (first visit, ``edit``, missing or wrong answers, or an answer that stops here)."""
    if not service.precheck:
        return None, None
    source = request.form if request.method == "POST" else request.args
    given = {k: v for k, v in source.items() if k.startswith(PREFIX)}
    values = {k.removeprefix(PREFIX): v for k, v in given.items()}
    if request.method != "POST" and (not given or "edit" in request.args):
        return None, _page(service, values, {}, None, 200)
    outcome, errors = filing.read_precheck(service, given, prefix=PREFIX)
    if errors or outcome is None:
        stop_only = outcome is not None and request.method != "POST"
        return None, _page(service, values, errors, outcome, 200 if stop_only else 422)
    return outcome, None


def precheck_preset(outcome: Outcome | None) -> dict[str, str]:
    """Form values the answers settle (e.g. the registration type), filled in for the form."""
    return preset(outcome) if outcome is not None else {}


def precheck_hints(outcome: Outcome | None) -> dict[str, Service]:
    return _suggested(outcome)
