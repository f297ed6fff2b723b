"""An in-test LM Studio server speaking LM Studio's documented wire format.

No LM Studio binary can be installed here, so tests talk to this real HTTP
server (``FaultServer`` underneath: a thread, 127.0.0.1, a free port). What
it says, and where each shape comes from:

- ``GET /api/v0/models`` (REST API v0, LM Studio 0.3.6+): ``{"object": "list",
  "data": [...]}`` with ``type`` (llm, vlm, embeddings), ``publisher``,
  ``arch``, ``compatibility_type``, ``quantization``, ``state`` (loaded,
  not-loaded) and ``max_context_length`` (lmstudio.ai/docs, "REST API v0").
- ``GET /v1/models``: OpenAI's model list.
- ``POST /v1/chat/completions`` with ``stream: true``: OpenAI's
  ``chat.completion.chunk`` SSE events ending with ``data: [DONE]``; a tool
  call arrives in pieces, as LM Studio's "Tool Use" page shows it: a first
  fragment with ``index``, ``id``, ``type`` and the function name with empty
  arguments, then fragments carrying only more of ``function.arguments``;
  the last chunk has ``finish_reason: "tool_calls"``.
- A model it does not have: 404 with OpenAI's error object, LM Studio's
  wording (``Model "x" not found. Please specify a valid model.`` followed
  by the list of its models), ``type: invalid_request_error``,
  ``param: model``, ``code: model_not_found``.
- A path it does not serve (an LM Studio older than 0.3.6 has no
  ``/api/v0``): ``{"error": "Unexpected endpoint or method. (GET /path)"}``,
  answered with status 200 by the versions people probed, 404 by others
  (``unknown_status``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.providers.fault_server import Exchange, FaultServer, Handler, Recorded, sse_event

CREATED = 1730913210

# The response of GET /api/v0/models exactly as LM Studio's REST API v0 documents it
# (one model marked loaded, so the loaded state is seen both ways).
V0_MODELS: dict[str, Any] = {"object": "list", "data": [
    {"id": "qwen2-vl-7b-instruct", "object": "model", "type": "vlm",
     "publisher": "mlx-community", "arch": "qwen2_vl", "compatibility_type": "mlx",
     "quantization": "4bit", "state": "not-loaded", "max_context_length": 32768},
    {"id": "meta-llama-3.1-8b-instruct", "object": "model", "type": "llm",
     "publisher": "lmstudio-community", "arch": "llama", "compatibility_type": "gguf",
     "quantization": "Q4_K_M", "state": "loaded", "max_context_length": 131072},
    {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model", "type": "embeddings",
     "publisher": "nomic-ai", "arch": "nomic-bert", "compatibility_type": "gguf",
     "quantization": "Q4_0", "state": "not-loaded", "max_context_length": 2048},
]}


@dataclass
class StudioReply:
    """One scripted streamed answer: text pieces, then tool calls (each a
    name and the argument fragments LM Studio sends one per chunk)."""

    content: list[str] = field(default_factory=lambda: ["Hello", " from", " LM Studio"])
    tool_calls: list[tuple[str, list[str]]] = field(default_factory=list)
    finish_reason: str | None = None  # default: "tool_calls" with calls, else "stop"


def model_not_found(model: str, known: list[str]) -> dict[str, Any]:
    """LM Studio's 404 body for a model it does not have."""
    listing = "\n".join(known)
    return {"error": {
        "message": f"Model \"{model}\" not found. Please specify a valid model."
                   f"\n\nYour models:\n\n{listing}",
        "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}


def unexpected_endpoint(method: str, path: str) -> dict[str, Any]:
    """LM Studio's answer for a path it does not serve."""
    return {"error": f"Unexpected endpoint or method. ({method} {path})"}


class LMStudioServer(FaultServer):
    """``with LMStudioServer() as studio:``; ``studio.url`` is the server root
    (``http://127.0.0.1:PORT``), as LM Studio shows it; the OpenAI-compatible
    API is under ``/v1``. ``script`` holds the next chat replies; requests are
    recorded (``requests_to``) like every FaultServer's."""

    def __init__(self, models: dict[str, Any] | None = None, *, native_api: bool = True,
                 unknown_status: int = 200) -> None:
        super().__init__()
        self.v0_models = models or V0_MODELS
        self.unknown_status = unknown_status
        self.script: deque[StudioReply] = deque()
        if native_api:
            self.route("GET", "/api/v0/models", self._v0_models)
        self.route("GET", "/v1/models", self._v1_models)
        self.route("POST", "/v1/chat/completions", self._chat)

    @property
    def model_ids(self) -> list[str]:
        return [m["id"] for m in self.v0_models["data"]]

    def next_handler(self, recorded: Recorded) -> Handler | None:
        handler = super().next_handler(recorded)
        if handler is not None:
            return handler
        return lambda ex: ex.send_json(self.unknown_status,
                                       unexpected_endpoint(recorded.method, recorded.path))

    # -- routes ------------------------------------------------------------------------
    def _v0_models(self, ex: Exchange) -> None:
        ex.send_json(200, self.v0_models)

    def _v1_models(self, ex: Exchange) -> None:
        ex.send_json(200, {"object": "list", "data": [
            {"id": model_id, "object": "model", "owned_by": "organization_owner"}
            for model_id in self.model_ids]})

    def _chat(self, ex: Exchange) -> None:
        body = ex.request.json or {}
        model = body.get("model")
        if model not in self.model_ids:
            ex.send_json(404, model_not_found(str(model), self.model_ids))
            return
        reply = self.script.popleft() if self.script else StudioReply()
        ex.send_head(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        for chunk in reply_chunks(model, reply):
            ex.write(sse_event(chunk))
        ex.write(sse_event("[DONE]"))
        ex.end()


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None
           ) -> dict[str, Any]:
    return {"id": "chatcmpl-gb1t1uqzefudice8ntxd9i", "object": "chat.completion.chunk",
            "created": CREATED, "model": model, "system_fingerprint": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish_reason}]}


def reply_chunks(model: str, reply: StudioReply) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of one streamed reply."""
    chunks = [_chunk(model, {"role": "assistant", "content": ""})]
    chunks += [_chunk(model, {"content": text}) for text in reply.content]
    for index, (name, fragments) in enumerate(reply.tool_calls):
        call_id = str(814890118 + index)
        chunks.append(_chunk(model, {"tool_calls": [
            {"index": index, "id": call_id, "type": "function",
             "function": {"name": name, "arguments": ""}}]}))
        chunks += [_chunk(model, {"tool_calls": [
            {"index": index, "function": {"arguments": piece}}]}) for piece in fragments]
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    chunks.append(_chunk(model, {}, finish))
    return chunks

