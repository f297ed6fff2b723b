"""First-run probe of local ports: an in-test Ollama-format server, the real
llama.cpp server, and a closed port."""

from __future__ import annotations

import asyncio

import pytest

from app.core.local_probe import DetectedServer, base_url_for, probe_local_servers
from tests.support.discovery_helpers import OLLAMA_TAGS, OLLAMA_VERSION, closed_port, ollama_server


def test_finds_ollama_and_llama_cpp_but_not_a_closed_port(llama_server):
    dead = closed_port()
    with ollama_server() as port:
        found = asyncio.run(probe_local_servers(ports={
            "ollama": port, "lmstudio": dead, "llamacpp": llama_server.port}))
    assert [s.kind for s in found] == ["ollama", "llamacpp"]
    ollama, llama = found
    assert ollama == DetectedServer(kind="ollama", base_url=f"http://127.0.0.1:{port}",
                                    version=OLLAMA_VERSION,
                                    model_count=len(OLLAMA_TAGS["models"]))
    assert llama.base_url == llama_server.base_url
    assert llama.model_count >= 1


def test_a_server_of_another_kind_on_a_port_is_not_mistaken():
    # This Ollama-format server has no /v1/models: the llama.cpp probe gets a 404.
    with ollama_server() as port:
        found = asyncio.run(probe_local_servers(ports={"llamacpp": port}))
    assert found == []


def test_nothing_listening_means_nothing_found():
    assert asyncio.run(probe_local_servers(ports={"ollama": closed_port(),
                                                  "llamacpp": closed_port()})) == []


@pytest.mark.parametrize("host", ["192.168.1.10", "example.com", "10.0.0.1"])
def test_only_loopback_addresses_are_probed(host):
    with pytest.raises(ValueError, match="loopback"):
        asyncio.run(probe_local_servers(host=host, ports={"ollama": 11434}))


def test_ipv6_loopback_urls_are_bracketed():
    assert base_url_for("ollama", "::1", 11434) == "http://[::1]:11434"
    assert base_url_for("lmstudio", "localhost", 1234) == "http://localhost:1234/v1"


def test_a_detected_server_becomes_a_local_provider_config():
    config = DetectedServer("llamacpp", "http://127.0.0.1:8080/v1").as_config("llama")
    assert (config.kind, config.base_url, config.is_local) == (
        "llamacpp", "http://127.0.0.1:8080/v1", True)
