"""An in-test LM Studio 0.4+ with REST API v1's model management, as
LM Studio documents it (lmstudio-ai/docs 1_developer/2_rest/list.md,
load.md, unload.md):

- ``GET /api/v1/models``: ``{"models": [...]}``, each with ``type``,
  ``publisher``, ``key``, ``display_name``, ``architecture``,
  ``quantization: {"name", "bits_per_weight"}``, ``size_bytes``,
  ``params_string``, ``loaded_instances: [{"id", "config": {"context_length"}}]``,
  ``max_context_length``, ``format``, ``capabilities: {"vision",
  "trained_for_tool_use"}`` (absent for embedding models), ``description``;
- ``POST /api/v1/models/load`` ``{"model", "config"}`` ->
  ``{"model_instance_id", "config", "load_time_seconds"}``;
- ``POST /api/v1/models/unload`` ``{"instance_id"}`` -> ``{"instance_id"}``.

State lives in ``v1`` (the models with their loaded instances). Loading a
model that is already loaded adds a second instance (``<key>:2``), which is
what the client must avoid. Built on LMStudioServer, so v0, /v1 and chat
answer too; an LM Studio before 0.4.0 is plain ``LMStudioServer``.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.providers.fault_server import Exchange
from tests.providers.lmstudio_server import LMStudioServer

# GET /api/v1/models as documented (list.md), plus one loaded vision+tools model.
V1_MODELS: dict[str, Any] = {"models": [
    {"type": "llm", "publisher": "lmstudio-community", "key": "gemma-3-270m-it-qat",
     "display_name": "Gemma 3 270m Instruct Qat", "architecture": "gemma3",
     "quantization": {"name": "Q4_0", "bits_per_weight": 4}, "size_bytes": 241410208,
     "params_string": "270M",
     "loaded_instances": [{"id": "gemma-3-270m-it-qat", "config": {"context_length": 4096}}],
     "max_context_length": 32768, "format": "gguf",
     "capabilities": {"vision": False, "trained_for_tool_use": False}, "description": None},
    {"type": "llm", "publisher": "qwen", "key": "qwen/qwen3-vl-4b",
     "display_name": "Qwen3 VL 4B", "architecture": "qwen3vl",
     "quantization": {"name": "Q4_K_M", "bits_per_weight": 4}, "size_bytes": 3_300_000_000,
     "params_string": "4B", "loaded_instances": [], "max_context_length": 262144,
     "format": "gguf", "capabilities": {"vision": True, "trained_for_tool_use": True},
     "description": None},
    {"type": "embedding", "publisher": "gaianet",
     "key": "text-embedding-nomic-embed-text-v1.5-embedding",
     "display_name": "Nomic Embed Text v1.5",
     "quantization": {"name": "F16", "bits_per_weight": 16}, "size_bytes": 274290560,
     "params_string": None, "loaded_instances": [], "max_context_length": 2048,
     "format": "gguf"},
]}


class LMStudioV1Server(LMStudioServer):
    def __init__(self) -> None:
        super().__init__()
        self.v1: dict[str, Any] = copy.deepcopy(V1_MODELS)
        self.route("GET", "/api/v1/models", lambda ex: ex.send_json(200, self.v1))
        self.route("POST", "/api/v1/models/load", self._load)
        self.route("POST", "/api/v1/models/unload", self._unload)

    def model(self, key: str) -> dict[str, Any] | None:
        return next((m for m in self.v1["models"] if m["key"] == key), None)

    def _load(self, ex: Exchange) -> None:
        body = ex.request.json or {}
        model = self.model(str(body.get("model")))
        if model is None:
            ex.send_json(404, {"error": {"message": f"Model {body.get('model')!r} not found",
                                         "type": "invalid_request_error"}})
            return
        count = len(model["loaded_instances"])
        instance = model["key"] if count == 0 else f"{model['key']}:{count + 1}"
        config = {"context_length": (body.get("config") or {}).get("context_length", 4096)}
        model["loaded_instances"].append({"id": instance, "config": config})
        ex.send_json(200, {"model_instance_id": instance, "config": config,
                           "load_time_seconds": 1.25})

    def _unload(self, ex: Exchange) -> None:
        instance = (ex.request.json or {}).get("instance_id")
        for model in self.v1["models"]:
            kept = [i for i in model["loaded_instances"] if i["id"] != instance]
            if len(kept) != len(model["loaded_instances"]):
                model["loaded_instances"] = kept
                ex.send_json(200, {"instance_id": instance})
                return
        ex.send_json(404, {"error": {"message": f"No loaded instance {instance!r}"}})

    def loaded(self) -> dict[str, list[str]]:
        return {m["key"]: [i["id"] for i in m["loaded_instances"]] for m in self.v1["models"]}
