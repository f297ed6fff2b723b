"""Workflows: several agents working on one question (issue 19).

* ``chain``: each agent's answer is the next agent's input;
* ``handoff``: the first agent may ask the others (``ask_<agent>`` tools),
  within ``max_depth`` nested asks and never an agent already asking;
* ``parallel``: every agent answers the question at once, then the
  ``synthesis`` agent merges their answers, saying where they agree and differ.

Agents are named (as in agent files), so a workflow file travels between
machines. The run's events are the run events of ``events.py`` tagged with
their step, plus ``StepStart``/``StepEnd`` naming the agent and model; their
``type`` values are the NDJSON vocabulary of ``agentdesk workflows run --json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.domain.agent import NAME_MAX_LENGTH, name_not_blank
from app.domain.clock import utc_now
from app.domain.events import RunEvent
from app.domain.message import MessageStatus, UsageStats

WorkflowKind = Literal["chain", "handoff", "parallel"]
WORKFLOW_KINDS: tuple[WorkflowKind, ...] = ("chain", "handoff", "parallel")
#: How deep hand-offs may nest by default (the first agent asks = depth 1).
DEFAULT_MAX_DEPTH = 3
MAX_STEPS = 16


class WorkflowSpec(BaseModel):
    """A workflow as stored. ``id`` and ``revision`` are assigned by the store.

    ``agents``: chain — in order; handoff — the first answers and may ask the
    rest; parallel — those asked at once. ``synthesis``: the parallel kind's
    merging agent.
    """

    model_config = ConfigDict(validate_assignment=True)

    id: int | None = None
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    kind: WorkflowKind = "chain"
    description: str = Field(default="", max_length=2000)
    agents: list[str] = Field(default_factory=list, max_length=MAX_STEPS)
    synthesis: str | None = None
    max_depth: int = Field(default=DEFAULT_MAX_DEPTH, ge=1, le=8)
    revision: int = 0
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, value: str) -> str:
        return name_not_blank(value)

    @field_validator("agents")
    @classmethod
    def _agent_names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not name for name in names):
            raise ValueError("an agent name must not be blank")
        return names

    @model_validator(mode="after")
    def _fits_its_kind(self) -> WorkflowSpec:
        if self.synthesis is not None:
            self.__dict__["synthesis"] = self.synthesis.strip() or None
        if self.kind == "chain" and len(self.agents) < 2:
            raise ValueError("a chain needs at least two agents")
        if self.kind == "handoff":
            if len(self.agents) < 2:
                raise ValueError("a hand-off needs a first agent and at least one to ask")
            if len({a.casefold() for a in self.agents}) != len(self.agents):
                raise ValueError("a hand-off names each agent once")
        if self.kind == "parallel":
            if len(self.agents) < 2:
                raise ValueError("a parallel workflow needs at least two agents")
            if self.synthesis is None:
                raise ValueError("a parallel workflow needs a synthesis agent")
        elif self.synthesis is not None:
            raise ValueError("only a parallel workflow has a synthesis agent")
        return self

    def agent_names(self) -> list[str]:
        """Every agent the workflow uses, each once, in order of appearance."""
        seen: dict[str, str] = {}
        for name in [*self.agents, *([self.synthesis] if self.synthesis else [])]:
            seen.setdefault(name.casefold(), name)
        return list(seen.values())

    def portable(self) -> dict[str, Any]:
        """Shareable JSON data: no database identity, no timestamps."""
        return self.model_dump(mode="json", exclude={"id", "revision", "created_at",
                                                     "updated_at"})


class WorkflowRevision(BaseModel):
    """A frozen earlier (or current) state of a workflow."""

    workflow_id: int
    revision: int
    spec: WorkflowSpec
    created_at: datetime


StepRole = Literal["step", "handoff", "branch", "synthesis"]


class StepStart(BaseModel):
    """A step begins: ``agent`` answers with ``model`` of ``provider``.
    ``parent``: the step that asked (hand-off), None otherwise."""

    type: Literal["step_start"] = "step_start"
    step: int
    agent: str
    model: str
    provider: str
    role: StepRole = "step"
    depth: int = 0
    parent: int | None = None


class StepEnd(BaseModel):
    """A step ended; its reply is stored as ``message_id`` (the last round's)."""

    type: Literal["step_end"] = "step_end"
    step: int
    agent: str
    model: str | None = None
    provider: str | None = None
    status: MessageStatus
    message_id: int | None = None
    usage: UsageStats | None = None
    error: str | None = None


class StepEvent(BaseModel):
    """A run event of one step (steps of a parallel run interleave)."""

    model_config = ConfigDict(frozen=True)

    step: int
    event: RunEvent

    def line(self) -> dict[str, Any]:
        """The NDJSON line: the run event's own JSON plus its ``step``."""
        return {**self.event.model_dump(mode="json"), "step": self.step}


class WorkflowEnd(BaseModel):
    """The run ended: ``status`` complete (every step answered), error, or
    cancelled; ``answer`` the final step's text."""

    type: Literal["workflow_end"] = "workflow_end"
    conversation_id: int
    status: Literal["complete", "error", "cancelled"]
    answer: str = ""
    error: str | None = None


WorkflowEvent = StepStart | StepEnd | StepEvent | WorkflowEnd


def workflow_meta(step: int, agent: str, role: StepRole, *, workflow: str,
                  depth: int = 0, parent: int | None = None) -> dict[str, Any]:
    """What a step's messages carry in ``meta["workflow"]`` (who spoke)."""
    data: dict[str, Any] = {"name": workflow, "step": step, "agent": agent, "role": role}
    if depth:
        data["depth"] = depth
    if parent is not None:
        data["parent"] = parent
    return data
