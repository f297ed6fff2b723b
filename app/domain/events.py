"""The run-event union: what flows provider -> runner -> UI/CLI.

Each event's ``type`` is also its NDJSON ``type`` in ``agentdesk chat --json``.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

StopReason = Literal["stop", "length", "tool_calls", "cancelled"]
ErrorKind = Literal[
    "unreachable",
    "auth",
    "not_found",
    "rate_limited",
    "context_length",
    "server",
    "protocol",
    "timeout",
    "limit",  # the reply passed a size or duration bound (app/providers/limits.py)
    "unsupported",  # the model cannot take what the message holds (images: no vision)
]


class TextDelta(BaseModel):
    type: Literal["token"] = "token"
    text: str


class ThinkingDelta(BaseModel):
    type: Literal["thinking"] = "thinking"
    text: str


class ToolCall(BaseModel):
    type: Literal["tool_call"] = "tool_call"
    call_id: str
    name: str
    # Parsed JSON object, or the raw string when the model produced invalid JSON.
    arguments: dict | str = Field(default_factory=dict)


class ToolResult(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    content: str
    is_error: bool = False


class Usage(BaseModel):
    type: Literal["usage"] = "usage"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None


class Done(BaseModel):
    type: Literal["done"] = "done"
    stop_reason: StopReason = "stop"


EngineState = Literal["loading_model", "waiting_engine", "generating"]


#: How each state reads to a person (the chat bubble, the CLI's stderr).
STATE_TEXTS: dict[str, str] = {
    "loading_model": "loading model…",
    "waiting_engine": "waiting for the engine (another chat is using it)",
    "generating": "thinking…",
}
#: Shown on a reply that ended because it reached its max tokens (stop reason "length").
TOKEN_LIMIT_NOTE = "stopped at the token limit"


class Status(BaseModel):
    """What the engine is doing before the first token (not content: never
    recorded). ``loading_model``: the model file is being loaded;
    ``waiting_engine``: the engine is busy with another request (another chat);
    ``generating``: the engine took this request — the reply follows."""

    type: Literal["status"] = "status"
    state: EngineState
    detail: str = ""


class Error(BaseModel):
    type: Literal["error"] = "error"
    kind: ErrorKind
    message: str
    retryable: bool = False
    retry_after: float | None = None


RunEvent = Annotated[
    TextDelta | ThinkingDelta | ToolCall | ToolResult | Usage | Done | Error | Status,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)


def parse_event(data: dict | str | bytes) -> RunEvent:
    """Parse one event from a dict or a JSON line."""
    if isinstance(data, dict):
        return _EVENT_ADAPTER.validate_python(data)
    return _EVENT_ADAPTER.validate_json(data)
