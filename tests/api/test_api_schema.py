"""schemathesis against the running server's own /openapi.json: generated
requests for every operation (bounded examples, so it stays short in CI);
no 500, and every answer matches the schema (status documented, body
shaped as declared, the error envelope included). A 502 is the documented
answer when an agent's provider fails (no provider here answers for the
agents schemathesis makes up), so it is allowed; a 500 never is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from app.domain import AgentSpec
from app.store import Store
from tests.api.conftest import make_context
from tests.support.api_server import TOKEN, ServedApi, serve_api
from tests.support.scripted_providers import ScriptedProvider, answer, config

#: Examples per operation: enough to reach each answer, bounded for CI.
EXAMPLES = 25


@pytest.fixture(scope="module")
def schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    home = tmp_path_factory.mktemp("schema-home")
    with Store.in_folder(home) as store:
        store.providers.create(config("local"))
        store.agents.create(AgentSpec(name="fast", provider="local", model="m"))

    def fast(provider_config):
        return ScriptedProvider(provider_config, answer("hello", " there"))

    with serve_api(make_context(home, providers=fast)) as api:
        api.context.limits.requests_per_minute = 1_000_000
        yield api


@pytest.fixture(scope="module")
def api_schema(schema_server: ServedApi):
    return schemathesis.openapi.from_url(f"{schema_server.url}/openapi.json",
                                         headers=schema_server.headers())


def no_server_error(ctx, response, case) -> bool | None:
    """No 5xx but the documented 502 (a provider that failed)."""
    assert response.status_code < 500 or response.status_code == 502, (
        f"{case.method} {case.path} answered {response.status_code}: {response.text[:300]}")
    return None


def test_the_api_answers_as_its_schema_says(api_schema, schema_server: ServedApi) -> None:
    checked = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_as_declared(case) -> None:
            case.call_and_validate(
                base_url=schema_server.url, headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30, checks=[no_server_error, status_code_conformance,
                                    content_type_conformance, response_schema_conformance])

        answers_as_declared()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert {"GET /health", "GET /api/agents", "POST /api/agents/{agent_id}/chat",
            "DELETE /api/sessions/{conversation_id}"} <= set(checked)
