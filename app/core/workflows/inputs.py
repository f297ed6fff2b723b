"""What a workflow step is given: the synthesis agent's input, and the
``meta`` of a hand-off question (who asked whom)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: An answer longer than this is cut in the synthesis input (with a note).
MAX_ANSWER_CHARS = 20_000

SYNTHESIS_TASK = (
    "Merge these answers into one answer to the question. Say where the agents agree "
    "and where they differ, naming the agents; where they contradict each other, say "
    "which answer you find better supported and why.")


def synthesis_input(question: str, answers: Sequence[tuple[str, str]],
                    failed: Sequence[str] = ()) -> str:
    """The synthesis agent's message: the question, each agent's answer under
    its name, the agents that gave none, then the task."""
    parts = [f"Question:\n{question}", f"Answers from {len(answers)} agents:"]
    for name, text in answers:
        body = text if len(text) <= MAX_ANSWER_CHARS else (
            text[:MAX_ANSWER_CHARS] + "\n[… answer cut here for length]")
        parts.append(f"## {name}\n{body.strip() or '(an empty answer)'}")
    if failed:
        parts.append("No answer from: " + ", ".join(failed))
    parts.append(SYNTHESIS_TASK)
    return "\n\n".join(parts)


def handoff_question_meta(workflow: str, asker: str, asked: str) -> dict[str, Any]:
    """``meta`` of the stored question one agent hands to another."""
    return {"workflow": {"name": workflow, "role": "handoff_question", "agent": asker,
                         "asked": asked}}
