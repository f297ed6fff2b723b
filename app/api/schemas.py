"""The API's request and response bodies (its OpenAPI schema). Built from the
domain models; what an API client may set is narrower than what the window
may (no tool policies, workspace, sandbox exemption or API tool allowance:
those are the person's choices in the app)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from app.domain import AgentSpec
from app.domain.agent import NAME_MAX_LENGTH

T = TypeVar("T")

#: Largest id SQLite stores (a larger one is simply unknown, never an overflow).
MAX_ID = 2**63 - 1
#: An id in a path: a positive whole number SQLite can hold.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

#: Longest system prompt an API client may set.
MAX_SYSTEM_PROMPT = 100_000


class AgentIn(BaseModel):
    """An agent as a client creates or replaces it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH, pattern=r"\S")
    system_prompt: str = Field(default="", max_length=MAX_SYSTEM_PROMPT)
    provider: str = Field(default="", max_length=200)
    model: str = Field(default="", max_length=500)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=2048, ge=1, le=1_000_000)
    tools: list[str] = Field(default_factory=list, max_length=100)
    max_turns: int | None = Field(default=None, ge=0, le=10_000)

    def applied_to(self, spec: AgentSpec | None) -> AgentSpec:
        """A new spec (``spec`` None) or ``spec`` with these fields replaced."""
        values = self.model_dump()
        values["tools"] = list(dict.fromkeys(name.strip() for name in self.tools if name.strip()))
        if spec is None:
            return AgentSpec(**values)
        return spec.model_copy(update={**values, "name": values["name"].strip()})


class AgentOut(BaseModel):
    id: int
    name: str
    system_prompt: str
    provider: str
    model: str
    temperature: float
    max_tokens: int
    tools: list[str]
    max_turns: int | None
    api_tools: list[str] = Field(description="tools that ask first and that the person "
                                             "allowed for API use (set in the app)")
    revision: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, spec: AgentSpec) -> "AgentOut":
        data: dict[str, Any] = spec.model_dump(include=set(cls.model_fields) - {"api_tools"})
        return cls(**data, api_tools=list(spec.api_tools))


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Deleted(BaseModel):
    deleted: bool = True
    id: int
