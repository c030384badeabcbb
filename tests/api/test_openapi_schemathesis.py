"""Schemathesis against our own OpenAPI document (SECURITY.md: bad input never a 500): every
operation, a bounded number of generated requests each (valid and invalid), answered with no
server error, a status the document declares, its declared media type and a body that fits
its schema. The document itself must be valid OpenAPI 3.1 (schemathesis refuses otherwise).

The token is an office token with a named operator, the widest credential (it files, reads,
moves, reads the queue and the figures), in a world with one case to find."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import CD_MI, MI, bearer, token_for
from tests.builders import citizen, clerk, submit

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _document() -> dict[str, Any]:
    """The document as the API serves it (it depends on the code only, not on the data)."""
    from tests.conftest import config_for
    from tracker import create_app

    answer = create_app(config_for("sqlite://")).test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return dict(answer.get_json())


# (schemathesis.pytest.from_fixture does not work with pytest 9 yet; the document is loaded
# once here and each generated request is sent to the test's own app.)
schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def world(app: Any) -> dict[str, str]:
    submit(MI, citizen(), CD_MI, CD_MI)
    return bearer(token_for(office_code=CD_MI), **{"Tongban-Operator": clerk(CD_MI).username})


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_holds_to_the_document(case: Any, app: Any, world: dict[str, str]) -> None:
    case.call_and_validate(app=app, headers=world, checks=CHECKS)
