"""What the runner records with a finished reply, besides its text and tool
calls: ``meta`` (round, routing, attempts; on the first round the context
that was sent and the tool problems; stop reason, error kind, ignored tool
calls) and the usage, as app/core/runner.py writes them. Pure functions."""

from __future__ import annotations

from typing import Any

from app.core.history_turns import HistoryWindow
from app.core.fallback import Attempt, FallbackStream
from app.core.routing import RoutePlan
from app.domain import ChatRequest, Error, ToolCallRecord, Usage, UsageStats


def reply_meta(number: int, plan: RoutePlan, fallback: FallbackStream, *,
               context: dict[str, Any], tool_problems: list[str],
               stop_reason: str | None = None, error: Error | None = None,
               ignored: int = 0) -> dict[str, Any]:
    """The ``meta`` of the reply of round ``number``."""
    meta: dict[str, Any] = {
        "round": number,
        "routing": plan.to_meta(),
        "attempts": [attempt.to_meta() for attempt in fallback.attempts],
    }
    if number == 1:
        meta["context"] = context
        if tool_problems:
            meta["tool_problems"] = list(tool_problems)
    if stop_reason:
        meta["stop_reason"] = stop_reason
    if error is not None:
        meta["error_kind"] = error.kind
    if ignored:
        meta["ignored_tool_calls"] = ignored
    return meta


def context_meta(window: HistoryWindow | None, request: ChatRequest | None) -> dict[str, Any]:
    """How much of the conversation the request carried (``meta["context"]``)."""
    return {
        "history_turns": len(window.turns) if window else 0,
        "history_read": window.messages_read if window else 0,
        "trimmed": window.more_before if window else False,
        "messages_sent": len(request.messages) if request else 0,
    }


def unique_call_id(call_id: str, earlier: list[ToolCallRecord]) -> str:
    """``call_id``, made unique within the round (some servers repeat or omit ids)."""
    taken = {c.call_id for c in earlier}
    candidate = call_id or f"call_{len(earlier)}"
    suffix = 1
    while candidate in taken:
        candidate = f"{call_id or 'call'}_{suffix}"
        suffix += 1
    return candidate


def usage_stats(usage: Usage | None, answered: Attempt | None) -> UsageStats | None:
    if usage is not None:
        return UsageStats(prompt_tokens=usage.prompt_tokens,
                          completion_tokens=usage.completion_tokens,
                          ttft_ms=usage.ttft_ms, tokens_per_s=usage.tokens_per_s)
    if answered is not None and answered.elapsed_ms is not None:
        # The provider reported nothing; the time to its first token is still known.
        return UsageStats(ttft_ms=answered.elapsed_ms)
    return None
