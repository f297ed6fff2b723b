"""Discovery and the connection test against the REAL llama.cpp server."""

from __future__ import annotations

import asyncio

from app.core.connection_test import check_provider
from app.core.discovery import ModelCatalog
from app.core.provider_factory import build_provider
from app.domain import ProviderConfig
from tests.support.discovery_helpers import closed_port


def _llama(base_url: str, name: str = "llama") -> ProviderConfig:
    return ProviderConfig(name=name, kind="llamacpp", base_url=base_url)


def test_connection_to_the_real_server(llama_server):
    report = asyncio.run(check_provider(_llama(llama_server.base_url)))
    assert report.reachable is True, report
    assert report.model_count >= 1
    assert report.latency_ms is not None and report.latency_ms > 0
    assert report.auth_ok is True
    assert report.error_kind is None


def test_connection_to_a_closed_port_names_the_fix():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    report = asyncio.run(check_provider(_llama(url)))
    assert report.reachable is False
    assert report.error_kind == "unreachable"
    assert url in report.message
    assert "llama-server -m MODEL.gguf" in report.fix


def test_catalog_lists_gemma_and_reports_the_dead_provider(llama_server):
    configs = [_llama(llama_server.base_url),
               _llama(f"http://127.0.0.1:{closed_port()}/v1", name="gone")]
    catalog = ModelCatalog(configs, factory=build_provider, timeout=20)
    result = asyncio.run(catalog.get())
    assert llama_server.model in [m.id for m in result.models]
    assert {m.provider for m in result.models} == {"llama"}
    assert list(result.errors) == ["gone"]
    assert result.errors["gone"].error_kind == "unreachable"
