"""Who a workflow message is from, for its header (``meta["workflow"]``,
written by app/core/workflows): the agent that spoke, or who handed what to
whom. Plain text; agent names are the user's (shown as plain text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def speaker_title(role: str, meta: Mapping[str, Any]) -> str | None:
    """The header title of a workflow step's message; None for any other."""
    stamp = meta.get("workflow")
    if not isinstance(stamp, Mapping):
        return None
    agent = str(stamp.get("agent", ""))[:120]
    kind = stamp.get("role")
    if role == "assistant" and agent:
        step = stamp.get("step")
        return f"{agent} · step {step}" if isinstance(step, int) else agent
    if kind == "handoff_question":
        return f"{agent} asks {str(stamp.get('asked', ''))[:120]}"
    if kind == "synthesis_input":
        return f"Answers for {agent}"
    return None
