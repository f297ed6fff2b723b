"""First-run probe of local ports: an in-test Ollama-format server, the real
llama.cpp server, and a closed port."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack

import pytest

from app.core.local_probe import DetectedServer, base_url_for, probe_local_servers
from tests.support.discovery_helpers import (
    OLLAMA_TAGS,
    OLLAMA_VERSION,
    StallingListener,
    closed_port,
    ollama_server,
)


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


def test_the_usual_ports_are_probed_concurrently():
    # Three hung servers (connection accepted, no answer), 1 s timeout each:
    # one after the other is >= 3 s; probed together, about 1 s.
    with ExitStack() as stack:
        hung = [stack.enter_context(StallingListener()) for _ in range(3)]
        ports = dict(zip(("ollama", "lmstudio", "llamacpp"), (h.port for h in hung)))
        started = time.monotonic()
        found = asyncio.run(probe_local_servers(ports=ports, timeout=1.0))
        elapsed = time.monotonic() - started
    assert found == []
    arrivals = sorted(t for h in hung for t in h.accepted)
    assert len(arrivals) == 3  # one probe each: no retries on first run
    # All three were asked before the first could have given up.
    assert arrivals[-1] - arrivals[0] < 1.0
    assert elapsed < 2.2  # sequential: >= 3.0


def test_a_hung_port_does_not_hide_or_delay_a_server_that_answers():
    with ollama_server() as port, StallingListener() as hung_a, \
            StallingListener() as hung_b:
        started = time.monotonic()
        found = asyncio.run(probe_local_servers(
            ports={"ollama": port, "lmstudio": hung_a.port, "llamacpp": hung_b.port},
            timeout=1.5))
        elapsed = time.monotonic() - started
    assert [(s.kind, s.version) for s in found] == [("ollama", OLLAMA_VERSION)]
    assert hung_a.accepted and hung_b.accepted
    assert elapsed < 1.5 + 1.2  # sequential: >= 3.0


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
