"""Counts in words: "1 model", "2 models" — never "1 models"."""

from __future__ import annotations

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
