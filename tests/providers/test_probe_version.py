"""The version a connection test shows (issue 13, item 10): the product's own
version, never the HTTP server's name from the ``Server`` header ("uvicorn")."""

from __future__ import annotations

import asyncio

import pytest

from app.core.connection_test import check_provider
from app.domain import ProviderConfig
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.fault_server import FaultServer, json_reply, status

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1))
MODELS = {"object": "list", "data": [{"id": "gemma3", "object": "model"}]}


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


def probe_twice(server: FaultServer, kind: str):
    async def go():
        provider = OpenAICompatProvider(
            ProviderConfig(name="p", kind=kind, base_url=server.url + "/v1"), OPTIONS)
        try:
            return await provider.probe(), await provider.probe()
        finally:
            await provider.aclose()
    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["llamacpp", "openai"])
def test_the_server_header_is_not_a_version(server: FaultServer, kind: str) -> None:
    server.route("GET", "/v1/models", json_reply(MODELS, headers={
        "Server": "uvicorn", "openai-version": "2020-10-01"}))
    server.route("GET", "/props", status(404, {"detail": "Not Found"}))
    first, second = probe_twice(server, kind)
    assert first.version is None and second.version is None
    assert first.model_count == 1


def test_llama_cpp_names_its_build(server: FaultServer) -> None:
    server.route("GET", "/v1/models", json_reply(MODELS, headers={"Server": "llama.cpp"}))
    server.route("GET", "/props", json_reply({"build_info": "b5092-d3bd7193",
                                              "total_slots": 1}))
    first, second = probe_twice(server, "llamacpp")
    assert first.version == second.version == "b5092-d3bd7193"
    assert len(server.requests_to("/props")) == 1          # asked once per provider


def test_other_kinds_never_ask_for_props(server: FaultServer) -> None:
    server.route("GET", "/v1/models", json_reply(MODELS))
    first, _second = probe_twice(server, "openai")
    assert first.version is None and server.requests_to("/props") == []


def test_an_explicit_version_header_still_counts(server: FaultServer) -> None:
    server.route("GET", "/v1/models", json_reply(MODELS, headers={
        "Server": "uvicorn", "X-Server-Version": "0.3.16"}))
    first, _second = probe_twice(server, "llamacpp")
    assert first.version == "0.3.16" and server.requests_to("/props") == []


def test_the_real_llama_cpp_python_server_shows_no_uvicorn(llama_server) -> None:
    config = ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url)
    report = asyncio.run(check_provider(config))
    assert report.reachable is True
    assert report.version is None or "uvicorn" not in report.version.lower()
