"""Agent specification: what an agent is, as the user configured it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain.clock import utc_now
from app.domain.generation import GenerationSettings

NAME_MAX_LENGTH = 255


def name_not_blank(value: str) -> str:
    """A stored name (agent, workflow): stripped, never blank."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("name must not be blank")
    return stripped


class FallbackTarget(BaseModel):
    """One entry of an agent's ordered fallback chain."""

    model_config = ConfigDict(frozen=True)

    provider: str = Field(min_length=1)
    model: str = Field(min_length=1)


class AgentSpec(BaseModel):
    """An agent as stored. ``id`` and ``revision`` are assigned by the store."""

    model_config = ConfigDict(validate_assignment=True)

    id: int | None = None
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    system_prompt: str = ""
    provider: str = ""
    model: str = ""
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=2048, ge=1, le=1_000_000)
    # Top-p, repeat penalty, context length, seed, stop sequences; each unset
    # one is left to the provider (app/domain/generation.py).
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    streaming: bool = True
    tools: list[str] = Field(default_factory=list)
    fallbacks: list[FallbackTarget] = Field(default_factory=list)
    local_only: bool = False
    # Per-tool approval policy overriding the tool's default ("auto"|"ask"|"deny").
    tool_policies: dict[str, Literal["auto", "ask", "deny"]] = Field(default_factory=dict)
    # Folder the file and python tools are confined to; None = the default
    # per-agent folder in the data folder (workspaces/<agent id>).
    workspace: str | None = None
    # Let the python tool run where real isolation is unavailable (macOS,
    # Windows, no user namespaces, running as root). Off by default; set only
    # by the person after a warning, never by an imported file (not portable).
    python_unisolated: bool = False
    # Tools that ask first which the person allowed for the local HTTP API
    # (app/api/turns.py): over the API nobody can be asked, so the others are
    # refused. Set only in the app, never by an API client or an imported file.
    api_tools: list[str] = Field(default_factory=list)
    # How many earlier turns are sent as memory; None = as many as fit, 0 = none.
    max_turns: int | None = Field(default=None, ge=0)
    revision: int = 0
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, value: str) -> str:
        return name_not_blank(value)

    def portable(self) -> dict:
        """The agent as shareable JSON data: no database identity, no timestamps."""
        data = self.model_dump(
            mode="json", exclude={"id", "revision", "created_at", "updated_at",
                                  "python_unisolated", "api_tools"}
        )
        data["generation"] = self.generation.compact()
        return data


class AgentRevision(BaseModel):
    """A frozen earlier (or current) state of an agent."""

    agent_id: int
    revision: int
    spec: AgentSpec
    created_at: datetime
