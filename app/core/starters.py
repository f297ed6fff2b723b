"""Starter prompts for an empty chat: a few things to ask this agent.

The kind of agent is read from its system prompt: a shipped preset's own
prompt (app/core/presets.py) is recognised exactly; any other prompt by a
few telling words (code, research, math, writing). Without a match, and for
an agent without a system prompt, generic starters are offered. Qt-free, so
the window's greeting, the CLI and the coming HTTP API share them.
"""

from __future__ import annotations

import re

from app.core.presets import PRESETS
from app.domain import AgentSpec

MAX_STARTERS = 3

STARTERS: dict[str, tuple[str, ...]] = {
    "general": ("Help me plan my week",
                "Explain how compound interest works",
                "Write a polite email declining a meeting"),
    "research": ("What are the main arguments for and against a four-day work week?",
                 "Summarise the current state of solid-state batteries",
                 "Find primary sources on the history of the printing press"),
    "code": ("Write a Python function that reads a CSV file into a list of dicts",
             "Explain what this error means: IndexError: list index out of range",
             "Review my code for bugs and readability"),
    "math-tutor": ("Explain the Pythagorean theorem with an example",
                   "How do I solve 3x + 7 = 22?",
                   "What is a derivative, intuitively?"),
    "writer": ("Write a short story that begins with a lost key",
               "Give me five names for a seaside café",
               "Write a haiku about the first snow"),
}
GENERIC: tuple[str, ...] = ("What can you help me with?",
                            "Explain a concept to me in simple terms",
                            "Help me write a short message")

# Words in a system prompt that tell its kind, checked in this order.
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("code", re.compile(r"\b(code|coding|programm\w*|software|developer|python)\b", re.I)),
    ("math-tutor", re.compile(r"\b(math\w*|algebra|calculus|equations?)\b", re.I)),
    ("research", re.compile(r"\b(research\w*|sources?|cite|citations?)\b", re.I)),
    ("writer", re.compile(r"\b(writer|writing|stor(y|ies)|poems?|poetry|creative)\b", re.I)),
)


def agent_kind(system_prompt: str) -> str | None:
    """The preset kind a system prompt belongs to (None: no telling)."""
    prompt = system_prompt.strip()
    if not prompt:
        return None
    for preset in PRESETS:
        if prompt == preset.system_prompt.strip():
            return preset.key
    for kind, words in _KIND_WORDS:
        if words.search(prompt):
            return kind
    return None


def starter_prompts(agent: AgentSpec, limit: int = MAX_STARTERS) -> list[str]:
    """Up to ``limit`` prompts a person might start a chat with ``agent`` with."""
    kind = agent_kind(agent.system_prompt)
    return list(STARTERS.get(kind, GENERIC) if kind else GENERIC)[:limit]
