"""Hand-off tools: ``ask_<agent>`` lets one agent of a workflow ask another.

The tool runs the asked agent as a nested workflow step and returns its
answer as the tool's result. Where a call is refused — the depth limit, the
loop guard (the asked agent is already asking, directly or further up), the
local-only guarantee — the model gets a ToolError that says why, and the
refusal shows as an error tool result in the chat and in ``--json``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.core.tools.base import Tool, ToolContext, ToolError
from app.domain import AgentSpec

ASK_PREFIX = "ask_"
#: Provider APIs accept function names of up to 64 characters.
_NAME_LIMIT = 64
#: A nested agent may take a while: longer than an ordinary tool.
HANDOFF_TIMEOUT = 900.0


@dataclass(frozen=True)
class Frame:
    """Where a step runs: its number, its depth (0 = the first agent) and the
    agents asking, outermost first (the step's own agent last)."""

    step: int
    depth: int
    stack: tuple[str, ...]


#: (the asking step's frame, the asked agent's name, the question) -> the answer.
Ask = Callable[[Frame, str, str], Awaitable[str]]


def ask_tool_names(agents: Iterable[str]) -> dict[str, str]:
    """``ask_<slug>`` for each agent name (slug: ASCII lower case — accents
    dropped —, ``_`` for the rest; a number added where two names give the
    same slug). Provider APIs take ``[A-Za-z0-9_-]{1,64}``."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for agent in agents:
        ascii_name = unicodedata.normalize("NFKD", agent).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "agent"
        base = (ASK_PREFIX + slug)[:_NAME_LIMIT - 3]
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        names[agent] = name
    return names


class AskAgentTool(Tool):
    """``ask_<agent>(question)``: the asked agent's answer."""

    policy = "auto"
    timeout = HANDOFF_TIMEOUT

    def __init__(self, name: str, agent: AgentSpec, frame: Frame, ask: Ask) -> None:
        self.name = name
        self.agent_name = agent.name
        self.description = (
            f"Ask the agent {agent.name!r} a question and get its answer. "
            f"Write the whole question: the agent sees nothing else of this conversation.")
        self.parameters = {
            "type": "object",
            "properties": {"question": {"type": "string",
                                        "description": "the question for the agent"}},
            "required": ["question"],
        }
        self._frame = frame
        self._ask = ask

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        question = arguments.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ToolError(f"{self.name} needs a question (a non-empty text)")
        return {"question": question.strip()}

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        return await self._ask(self._frame, self.agent_name, arguments["question"])
