"""Property-based fuzzing of the HTTP API from its own OpenAPI schema: no
generated request, valid or not, may produce a 5xx, and every response must be
one the schema documents (status, content type, body).

Hypothesis drives schemathesis' strategies directly (rather than through
`schemathesis.pytest.from_fixture`, which does not run under pytest 9).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.http_api import background_server, create_app

from .test_http_api import AUTH, SMALL_CORPUS, TOKEN

OPERATIONS = [
    ("POST", "/v1/ask"),
    ("GET", "/v1/search"),
    ("GET", "/v1/index"),
    ("GET", "/v1/documents"),
    ("POST", "/v1/documents"),
    ("DELETE", "/v1/documents/{name}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]
# Not `positive_data_acceptance`: a schema-valid question can still be refused
# (422) for what it says, e.g. control characters; the schema cannot express that.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(make_engine: Any) -> Iterator[Any]:
    # Its own index: the fuzzer adds and deletes documents.
    engine = make_engine(SMALL_CORPUS)
    api_settings = engine.settings.replace("api", token=TOKEN, public_read=False, max_body_bytes=200_000)
    with background_server(create_app(engine, api_settings)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def test_every_operation_is_fuzzed(api_schema: Any) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_request_causes_a_server_error(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]
    valid_or_not = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=valid_or_not)
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def never_5xx(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    never_5xx()
