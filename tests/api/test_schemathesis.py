"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis 4): whatever a client sends,
valid for the schema or not, no 5xx, and every response matches what the schema documents (status, content
type, body schema).

Hypothesis drives schemathesis' strategies directly (`schema.as_strategy`): `schemathesis.pytest.from_fixture`,
the lazy loader our fixture-built app would need, fails on pytest 9 (`Function` has no `_nodeid`).
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.wiring import Services
from tests.api.conftest import KEYS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(client: TestClient, services: Services) -> schemathesis.BaseSchema:
    _ = services.assistant  # load the models first: the first chat would otherwise hit the client's timeout
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def _fuzz(schema: schemathesis.BaseSchema, key: str, max_examples: int) -> None:
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=60)

    run()


@pytest.mark.slow
def test_every_route_conforms_as_merchant(api_schema: schemathesis.BaseSchema) -> None:
    _fuzz(api_schema, KEYS[("fynbos", "merchant")], max_examples=120)


@pytest.mark.slow
def test_admin_routes_conform_as_admin(api_schema: schemathesis.BaseSchema) -> None:
    # The admin key reaches what the merchant's cannot: top-ups and ingestion.
    _fuzz(api_schema.include(path_regex="^/v1/(admin|ingest)"), KEYS[("fynbos", "admin")], max_examples=60)
