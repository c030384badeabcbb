"""Conditional GET for the machine interfaces (/api/v1, /open311/v2).

Every 200 answer to a GET carries a strong ``ETag`` computed from the bytes sent; a client
that sends it back in ``If-None-Match`` gets ``304 Not Modified`` with no body while the
answer would be the same bytes. The tag comes from the answer itself, not from a version
number, so it can never claim "unchanged" for an answer that changed: anything a case's
answer shows (its moves, its clock on a new day, the moves offered to the operator, the
applicant's profile, the language) changes the bytes and so the tag. It saves the transfer
and the client's parsing, not the server's work (docs/performance.md, "Conditional GET").

Answers with personal data keep ``Cache-Control: no-store`` (a client revalidates from its
own memory, nothing stores them on the way); public answers get ``no-cache`` (store, but ask
every time) and ``Vary: Accept-Language, Cookie`` (the language comes from either).
"""

from __future__ import annotations

from flask import Response, g, request


def revalidate(response: Response) -> Response:
    """``after_request`` hook of a machine-interface blueprint."""
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or response.direct_passthrough
        or response.is_streamed
    ):
        return response
    if not g.get("personal_data"):
        response.headers["Cache-Control"] = "no-cache"
        response.vary.update(("Accept-Language", "Cookie"))
    response.add_etag()
    return response.make_conditional(request)
