"""Embeddings: the vendor JSON of each protocol's embedding call, checked.

``POST {base}/embeddings`` (OpenAI-compatible: ``data[i].embedding``) and
``POST /api/embed`` (Ollama: ``embeddings``) both take a list of texts and
answer one vector per text; the embedded engine embeds in process
(app/providers/embedded_embed.py). Whatever a server answers is checked here:
one finite vector per text, all of one dimension.
"""

from __future__ import annotations

import math
from typing import Any

from app.providers.base import ProviderError

#: Texts per request: servers bound a request's size, and a long batch delays
#: cancelling (pausing) an indexing run.
MAX_BATCH = 64
MAX_DIMENSIONS = 16_384


def openai_body(model: str, texts: list[str]) -> dict[str, Any]:
    return {"model": model, "input": texts, "encoding_format": "float"}


def ollama_body(model: str, texts: list[str]) -> dict[str, Any]:
    return {"model": model, "input": texts, "truncate": True}


def openai_vectors(data: Any, count: int, where: str) -> list[list[float]]:
    """The vectors of an OpenAI ``/embeddings`` answer, in input order."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProviderError("protocol", f"{where} answered an embedding request with "
                            "something that is not an embedding list")
    ordered = sorted((item for item in items if isinstance(item, dict)),
                     key=lambda item: item.get("index", 0) if isinstance(
                         item.get("index"), int) else 0)
    return checked_vectors([item.get("embedding") for item in ordered], count, where)


def ollama_vectors(data: Any, count: int, where: str) -> list[list[float]]:
    """The vectors of an Ollama ``/api/embed`` answer."""
    vectors = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(vectors, list):
        raise ProviderError("protocol", f"{where} answered an embedding request without "
                            "embeddings")
    return checked_vectors(vectors, count, where)


def checked_vectors(vectors: list[Any], count: int, where: str) -> list[list[float]]:
    """``vectors`` if they are ``count`` finite number lists of one dimension."""
    if len(vectors) != count:
        raise ProviderError("protocol", f"{where} answered {len(vectors)} embeddings for "
                            f"{count} texts")
    out: list[list[float]] = []
    for vector in vectors:
        if vector and isinstance(vector, list) and isinstance(vector[0], list):
            vector = _mean(vector, where)
        if not isinstance(vector, list) or not 0 < len(vector) <= MAX_DIMENSIONS or \
                not all(isinstance(x, int | float) and math.isfinite(x) for x in vector):
            raise ProviderError("protocol", f"{where} sent an embedding that is not a "
                                "list of numbers")
        out.append([float(x) for x in vector])
    if len({len(v) for v in out}) > 1:
        raise ProviderError("protocol", f"{where} sent embeddings of different sizes")
    return out


def _mean(rows: list[Any], where: str) -> list[float]:
    """One vector per token (a server whose model has no pooling, e.g.
    llama-cpp-python's with Gemma 3): their mean, as mean pooling would give."""
    if not all(isinstance(row, list) and len(row) == len(rows[0]) for row in rows):
        raise ProviderError("protocol", f"{where} sent token embeddings of different sizes")
    if not all(isinstance(x, int | float) and math.isfinite(x) for row in rows for x in row):
        raise ProviderError("protocol", f"{where} sent an embedding that is not a list of "
                            "numbers")
    count = len(rows)
    return [sum(column) / count for column in zip(*rows, strict=True)]
