"""A token sees the cases of its holder's scope, and nothing else."""

from __future__ import annotations

from tests.builders import NOW, citizen, office, submit, supervisor
from tracker.services.api_tokens import TokenScope, create_token
from tracker.services.case_access import case_for


def _token(scope, **holder):
    return create_token(name="t", scope=scope, now=NOW, created_by="test", **holder).token


def test_each_token_sees_only_its_scope(app):
    alice, bob = citizen(), citizen()
    chengdu = submit("mi-offsite-registration", alice, "510100-mi", "510100-mi")
    chongqing = submit("mi-offsite-registration", bob, "500112-mi", "500112-mi")
    seen = {
        "alice": _token(TokenScope.CITIZEN, user=alice),
        "chengdu office": _token(TokenScope.OFFICE, office=office("510100-mi")),
        "chongqing hf office": _token(TokenScope.OFFICE, office=office("500112-hf")),
        "sichuan supervisor": _token(TokenScope.SUPERVISOR, user=supervisor("510000")),
        "chengdu supervisor": _token(TokenScope.SUPERVISOR, user=supervisor("510100")),
        "national supervisor": _token(TokenScope.SUPERVISOR, user=supervisor(None)),
    }
    visible = {
        name: {c.tracking_number for c in (chengdu, chongqing) if case_for(t, c.tracking_number)}
        for name, t in seen.items()
    }
    assert visible == {
        "alice": {chengdu.tracking_number},
        "chengdu office": {chengdu.tracking_number},
        "chongqing hf office": set(),
        "sichuan supervisor": {chengdu.tracking_number},
        "chengdu supervisor": {chengdu.tracking_number},
        "national supervisor": {chengdu.tracking_number, chongqing.tracking_number},
    }
    assert case_for(seen["alice"], "no-such-number") is None
