"""Test doubles for discovery and connection tests: scripted ChatProviders, a
fake clock, and a tiny in-test server speaking Ollama's documented
``/api/version`` + ``/api/tags`` format.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.domain import ModelInfo, ProbeResult, ProviderConfig
from app.providers.base import ChatProvider, ProviderError, ProviderOptions


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Script:
    """What a scripted provider does.

    ``models`` / ``error``: the answer of list_models (``error`` wins);
    ``delay``: real seconds list_models sleeps first (a dead provider sleeps
    for ever); ``probes``: one step per probe() call, each a ProbeResult to
    return or a ProviderError to raise; ``probe_costs``: fake-clock seconds
    each probe takes.
    """

    models: Sequence[str] = ()
    error: ProviderError | None = None
    delay: float = 0.0
    probes: list[ProbeResult | ProviderError] = field(default_factory=list)
    probe_costs: list[float] = field(default_factory=list)
    clock: FakeClock | None = None
    probe_delay: float = 0.0


class ScriptedProvider(ChatProvider):
    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 script: Script | None = None) -> None:
        super().__init__(config, options)
        self.script = script or Script()
        self.list_calls = 0
        self.list_started: list[float] = []  # time.monotonic() of each list_models call
        self.probe_calls = 0
        self.closed = False

    def stream_chat(self, request):  # pragma: no cover - not used by discovery
        raise NotImplementedError

    async def list_models(self) -> list[ModelInfo]:
        self.list_calls += 1
        self.list_started.append(time.monotonic())
        if self.script.delay:
            await asyncio.sleep(self.script.delay)
        if self.script.error is not None:
            raise self.script.error
        # The provider field is deliberately wrong: the catalog must set it.
        return [ModelInfo(provider="someone-else", id=model) for model in self.script.models]

    async def probe(self) -> ProbeResult:
        index = self.probe_calls
        self.probe_calls += 1
        if self.script.probe_delay:
            await asyncio.sleep(self.script.probe_delay)
        if self.script.clock is not None and index < len(self.script.probe_costs):
            self.script.clock.advance(self.script.probe_costs[index])
        step = self.script.probes[min(index, len(self.script.probes) - 1)]
        if isinstance(step, ProviderError):
            raise step
        return step

    async def aclose(self) -> None:
        self.closed = True


class ScriptedFactory:
    """build_provider stand-in: provider name -> Script; records every build."""

    def __init__(self, scripts: dict[str, Script]) -> None:
        self.scripts = scripts
        self.built: list[ScriptedProvider] = []

    def __call__(self, config: ProviderConfig,
                 options: ProviderOptions | None = None) -> ScriptedProvider:
        provider = ScriptedProvider(config, options, self.scripts[config.name])
        self.built.append(provider)
        return provider

    def builds_of(self, name: str) -> int:
        return sum(1 for p in self.built if p.config.name == name)


def config(name: str, kind: str = "ollama", **extra) -> ProviderConfig:
    extra.setdefault("base_url", "http://127.0.0.1:11434")
    return ProviderConfig(name=name, kind=kind, **extra)


# -- a minimal Ollama-format server -------------------------------------------------

OLLAMA_TAGS = {"models": [
    {"name": "llama3.2:1b", "model": "llama3.2:1b", "size": 1321098329,
     "digest": "a" * 64, "modified_at": "2024-10-01T10:00:00Z",
     "details": {"format": "gguf", "family": "llama", "families": ["llama"],
                 "parameter_size": "1.2B", "quantization_level": "Q8_0"}},
    {"name": "qwen2.5:0.5b", "model": "qwen2.5:0.5b", "size": 397821319,
     "digest": "b" * 64, "modified_at": "2024-10-02T10:00:00Z",
     "details": {"format": "gguf", "family": "qwen2", "families": ["qwen2"],
                 "parameter_size": "494.03M", "quantization_level": "Q4_K_M"}},
]}
OLLAMA_VERSION = "0.5.7"


class _OllamaHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/api/version":
            self._json(200, {"version": OLLAMA_VERSION})
        elif self.path == "/api/tags":
            self._json(200, OLLAMA_TAGS)
        elif self.path == "/api/ps":
            self._json(200, {"models": []})
        else:
            self._json(404, {"error": "404 page not found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/api/show":
            known = {m["name"] for m in OLLAMA_TAGS["models"]}
            if body.get("model") in known:
                self._json(200, {"capabilities": ["completion"],
                                 "model_info": {"llama.context_length": 4096}})
            else:
                self._json(404, {"error": f"model '{body.get('model')}' not found"})
        else:
            self._json(404, {"error": "404 page not found"})

    def _json(self, status: int, data: object) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:  # quiet
        return


@contextmanager
def ollama_server(port: int = 0) -> Iterator[int]:
    """Serve the Ollama-format endpoints on 127.0.0.1; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _OllamaHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StallingListener:
    """A loopback port that accepts TCP connections and never answers: what a
    hung server looks like to a client (the request is sent, no byte comes
    back). Records when each connection arrived (``time.monotonic()``)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=16)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self.accepted: list[float] = []
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stalling-listener",
                                        daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            self.accepted.append(time.monotonic())
            self._held.append(conn)  # kept open, silent, until stop()

    def __enter__(self) -> StallingListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()


# -- a minimal OpenAI-format /v1/models server that checks the API key ------------

@contextmanager
def openai_models_server(api_key: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Serve ``GET /v1/models``; yields (port, the Authorization headers seen).
    With ``api_key``, any other key gets OpenAI's 401 error body."""
    seen: list[str] = []

    class Handler(_OllamaHandler):
        def do_GET(self) -> None:  # noqa: N802
            auth = self.headers.get("Authorization") or ""
            seen.append(auth)
            if self.path != "/v1/models":
                self._json(404, {"error": {"message": "not found"}})
            elif api_key is not None and auth != f"Bearer {api_key}":
                self._json(401, {"error": {"message": "Incorrect API key provided",
                                           "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
            else:
                self._json(200, {"object": "list", "data": [
                    {"id": "gpt-test", "object": "model", "owned_by": "test"}]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
