"""An in-test Ollama that pulls and deletes, in Ollama's documented format.

A real HTTP server (``FaultServer``: a thread, 127.0.0.1, a free port) with
state: the models it has (``installed``, listed by ``GET /api/tags`` and
described by ``POST /api/show``) and a registry it can pull from. Shapes as
docs/api.md in ollama/ollama documents them and its server writes them
(server/download.go, server/images.go, server/routes.go):

- ``POST /api/pull`` streams NDJSON (chunked): ``{"status": "pulling
  manifest"}``; per layer ``{"status": "pulling <digest[7:19]>", "digest":
  "sha256:<64 hex>", "total": n}`` (no ``completed`` yet) then the same with
  ``completed`` growing to ``total``; ``{"status": "verifying sha256
  digest"}``, ``{"status": "writing manifest"}``, ``{"status": "removing any
  unused layers"}`` (as docs/api.md lists it), ``{"status": "success"}``. A
  name the registry does not have: ``pulling manifest`` and then the error
  line ``{"error": "pull model manifest: file does not exist"}`` (an error
  after the stream began is written as one line, status staying 200).
- ``DELETE /api/delete`` ``{"model": name}``: 200 with no body, or 404
  ``{"error": "model '<name>' not found"}``.
- ``POST /api/show``: the entry's show answer with ``capabilities``, or 404
  ``{"error": "model '<name>' not found"}``.

Faults for the next pulls (``pull_faults``, one per pull): ``error-mid`` (an
error line after some progress), ``cut`` (the connection closes mid-layer),
``no-success`` (the stream ends properly without ``success``), ``500``
(``{"error": ...}`` with status 500 before any line).
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass, replace

from tests.providers.fault_server import Exchange, FaultServer
from tests.providers.ollama_wire import VERSION, ModelEntry, default_models

PULL_FAULTS = frozenset({"error-mid", "cut", "no-success", "500"})
MID_PULL_ERROR = "max retries exceeded: unexpected EOF"


@dataclass
class RegistryModel:
    """A model the registry serves: its metadata and its layers' sizes."""

    entry: ModelEntry
    layer_sizes: tuple[int, ...]

    def layers(self) -> list[tuple[str, int]]:
        return [("sha256:" + hashlib.sha256(f"{self.entry.name}/{i}".encode()).hexdigest(),
                 size) for i, size in enumerate(self.layer_sizes)]


def default_registry() -> dict[str, RegistryModel]:
    gemma = ModelEntry("gemma3:270m", 291_554_930, "gemma3", "268.10M", "Q8_0", "gemma3",
                       32_768, ["completion"])
    embed = ModelEntry("nomic-embed-text:latest", 274_302_450, "nomic-bert", "137M", "F16",
                       "nomic-bert", 2_048, ["embedding"])
    return {
        gemma.name: RegistryModel(gemma, (291_546_944, 7_985)),
        "gemma3:270m-alias": RegistryModel(gemma, (291_546_944,)),
        embed.name: RegistryModel(embed, (274_290_656, 11_357)),
    }


class OllamaLibraryServer(FaultServer):
    """``with OllamaLibraryServer() as ollama:``; ``ollama.url`` is the root."""

    def __init__(self, installed: list[ModelEntry] | None = None,
                 registry: dict[str, RegistryModel] | None = None, *,
                 steps: int = 4, delay: float = 0.0) -> None:
        super().__init__()
        self.installed = {m.name: m for m in (installed or default_models())}
        self.registry = registry or default_registry()
        self.pull_faults: deque[str] = deque()
        self.steps = steps      # progress lines per layer after the first
        self.delay = delay      # seconds between progress lines
        self.route("GET", "/api/version", lambda ex: ex.send_json(200, {"version": VERSION}))
        self.route("GET", "/api/tags", self._tags)
        self.route("POST", "/api/show", self._show)
        self.route("POST", "/api/pull", self._pull)
        self.route("DELETE", "/api/delete", self._delete)

    def inject(self, *faults: str) -> None:
        assert set(faults) <= PULL_FAULTS, f"unknown pull faults {set(faults) - PULL_FAULTS}"
        self.pull_faults.extend(faults)

    # -- routes ------------------------------------------------------------------------
    def _tags(self, ex: Exchange) -> None:
        ex.send_json(200, {"models": [m.tag() for m in self.installed.values()]})

    def _show(self, ex: Exchange) -> None:
        name = _model(ex)
        entry = self.installed.get(name)
        if entry is None:
            ex.send_json(404, {"error": f"model '{name}' not found"})
        else:
            ex.send_json(200, entry.show())

    def _delete(self, ex: Exchange) -> None:
        name = _model(ex)
        if self.installed.pop(name, None) is None:
            ex.send_json(404, {"error": f"model '{name}' not found"})
        else:
            ex.send_body(200, b"")

    def _pull(self, ex: Exchange) -> None:
        name = _model(ex)
        fault = self.pull_faults.popleft() if self.pull_faults else None
        if fault == "500":
            ex.send_json(500, {"error": "llama runner process has terminated"})
            return
        ex.send_head(200, {"Content-Type": "application/x-ndjson"})
        line = self._writer(ex)
        line({"status": "pulling manifest"})
        model = self.registry.get(name)
        if model is None:
            line({"error": "pull model manifest: file does not exist"})
            ex.end()
            return
        for index, (digest, size) in enumerate(model.layers()):
            status = f"pulling {digest[7:19]}"
            line({"status": status, "digest": digest, "total": size})
            for step in range(1, self.steps + 1):
                line({"status": status, "digest": digest, "total": size,
                      "completed": size * step // self.steps})
                if index == 0 and step == self.steps // 2 and fault in ("error-mid", "cut"):
                    if fault == "cut":
                        ex.cut()
                        return
                    line({"error": MID_PULL_ERROR})
                    ex.end()
                    return
        line({"status": "verifying sha256 digest"})
        line({"status": "writing manifest"})
        line({"status": "removing any unused layers"})
        if fault == "no-success":
            ex.end()
            return
        self.installed[name] = replace(model.entry, name=name)
        line({"status": "success"})
        ex.end()

    def _writer(self, ex: Exchange):
        def line(obj: dict) -> None:
            ex.write(json.dumps(obj).encode() + b"\n", delay=self.delay)
        return line


def _model(ex: Exchange) -> str:
    body = ex.request.json if ex.request.body else None
    return str(body.get("model") or body.get("name") or "") if isinstance(body, dict) else ""
