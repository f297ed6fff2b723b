"""What is sent to a model and what is known about models and providers.

Provider-neutral: each provider module translates these to its wire format.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.domain.attachments import ChatImage
from app.domain.message import ToolCallRecord


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None  # tool name, for role "tool"
    #: Images for a vision model (user messages with image attachments).
    images: list[ChatImage] = Field(default_factory=list)


class ToolSpec(BaseModel):
    """A tool as offered to the model: name, description, JSON schema."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )


# "auto": the model decides; "none": no tools; "required": must call one;
# a tool name: must call that tool.
ToolChoice = Literal["auto", "none", "required"] | str


class ChatRequest(BaseModel):
    model: str
    messages: list[ChatMessage]
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: ToolChoice | None = None
    # Generation settings (app/domain/generation.py); None / [] = provider default.
    # Each provider sends only those it supports, in its own field.
    context_length: int | None = None  # Ollama num_ctx, embedded n_ctx
    top_p: float | None = None
    repeat_penalty: float | None = None
    seed: int | None = None
    stop: list[str] = Field(default_factory=list)


BASE_MODEL_NOTE = "base model"  # how lists mark a model that completes text, not chats


class ModelInfo(BaseModel):
    """One model as discovered on one provider."""

    provider: str
    id: str
    display_name: str = ""
    size_bytes: int | None = None
    quantization: str | None = None
    family: str | None = None
    parameter_size: str | None = None
    context_length: int | None = None
    capabilities: list[str] = Field(default_factory=list)  # e.g. "tools", "vision"
    loaded: bool | None = None
    #: True for a base model: it continues text rather than chats (no chat
    #: template, not instruction-tuned); None when the provider does not tell.
    base_model: bool | None = None

    @property
    def label(self) -> str:
        """Human label: name, then size and quantization where known, and
        "base model" for one that completes text rather than chats."""
        parts = [self.display_name or self.id]
        extra = [p for p in (self.parameter_size, self.quantization) if p]
        if self.size_bytes:
            extra.insert(0, f"{self.size_bytes / 1e9:.1f} GB")
        if self.base_model:
            extra.append(BASE_MODEL_NOTE)
        return parts[0] + (f" ({', '.join(extra)})" if extra else "")


class ProbeResult(BaseModel):
    """What one cheap request to a provider showed (used for connection tests)."""

    version: str | None = None
    model_count: int | None = None
    auth_ok: bool | None = None


class ConnectionReport(BaseModel):
    """The result of testing a provider, in words a person can act on."""

    provider: str
    reachable: bool
    latency_ms: float | None = None
    version: str | None = None
    model_count: int | None = None
    auth_ok: bool | None = None
    error_kind: str | None = None
    message: str = ""
    fix: str = ""
