"""Counts in words: "1 model", "2 models" — never "1 models"."""

from __future__ import annotations

from app.domain import UsageStats

_IRREGULAR = {"memory": "memories", "reply": "replies", "match": "matches",
              "entry": "entries", "copy": "copies"}


def plural(count: int, word: str, many: str | None = None, *, grouped: bool = False) -> str:
    """``count`` followed by ``word``, in the plural unless the count is one.

    ``many`` overrides the plural form (default: a known irregular one, else
    ``word + "s"``); ``grouped`` writes thousands with commas (1,024)."""
    number = f"{count:,}" if grouped else str(count)
    if count == 1:
        return f"{number} {word}"
    return f"{number} {many or _IRREGULAR.get(word, word + 's')}"


def usage_words(usage: UsageStats | None) -> list[str]:
    """A reply's metrics in words: "42 tokens", "31.5 tok/s", "first token 210 ms"
    (those known) — a reply's footer and a compare column alike."""
    if usage is None:
        return []
    parts: list[str] = []
    if usage.completion_tokens is not None:
        parts.append(plural(usage.completion_tokens, "token", grouped=True))
    if usage.tokens_per_s is not None:
        parts.append(f"{usage.tokens_per_s:.1f} tok/s")
    if usage.ttft_ms is not None:
        parts.append(f"first token {usage.ttft_ms:,.0f} ms")
    return parts
