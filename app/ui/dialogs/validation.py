"""Field checks for the dialogs: each returns the message shown at the field,
or None when the value is fine. Pure functions (no Qt), easy to test."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.domain.agent import NAME_MAX_LENGTH

TEMPERATURE_MIN, TEMPERATURE_MAX = 0.0, 2.0
MAX_TOKENS_MIN, MAX_TOKENS_MAX = 1, 1_000_000


def name_problem(name: str, *, taken: bool = False) -> str | None:
    stripped = name.strip()
    if not stripped:
        return "A name is required."
    if len(stripped) > NAME_MAX_LENGTH:
        return f"The name is too long ({len(stripped)} of at most {NAME_MAX_LENGTH} characters)."
    if taken:
        return f"Another agent is already called “{stripped}”."
    return None


def temperature_problem(value: float) -> str | None:
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        return f"Temperature must be between {TEMPERATURE_MIN:g} and {TEMPERATURE_MAX:g}."
    return None


def max_tokens_problem(value: int) -> str | None:
    if value < MAX_TOKENS_MIN:
        return "Max tokens must be at least 1."
    if value > MAX_TOKENS_MAX:
        return f"Max tokens must be at most {MAX_TOKENS_MAX:,}."
    return None


def fallback_problem(entries: Sequence[tuple[str, str]]) -> str | None:
    """Every fallback entry needs both a provider and a model; no duplicates."""
    seen: set[tuple[str, str]] = set()
    for number, (provider, model) in enumerate(entries, start=1):
        if not provider.strip() or not model.strip():
            missing = "provider" if not provider.strip() else "model"
            return f"Fallback {number} has no {missing}."
        key = (provider.strip().lower(), model.strip().lower())
        if key in seen:
            return f"Fallback {number} repeats an earlier entry."
        seen.add(key)
    return None


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable regular expression (None when it is)."""
    if not pattern:
        return "The pattern is empty."
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    if compiled.fullmatch(""):
        return "The pattern matches empty text, so it would match every message."
    return None
