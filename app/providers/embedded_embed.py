"""Embeddings from the embedded engine: llama.cpp in process, on the provider's GGUF.

A chat engine cannot embed (llama.cpp needs ``embedding=True`` and a pooling
type when the model is loaded), so embeddings use their own ``Llama`` of the
same file, loaded on first use and kept for the process (one per file, with a
lock: llama.cpp contexts are not thread-safe). Mean pooling gives one vector
per text (Gemma 3 270M: 640 dimensions, ~45 ms per short text on 2 cores).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from app.providers.base import ProviderError
from app.providers.embedded_engine import check_model_file, import_llama_cpp
from app.providers.embeddings import checked_vectors

EMBED_N_CTX = 2048
_engines: dict[Path, tuple[Any, threading.Lock]] = {}
_engines_lock = threading.Lock()


def _engine(path: Path) -> tuple[Any, threading.Lock]:
    with _engines_lock:
        found = _engines.get(path)
        if found is not None:
            return found
        llama_cpp = import_llama_cpp()
        check_model_file(path)
        try:
            llama = llama_cpp.Llama(model_path=str(path), embedding=True, n_ctx=EMBED_N_CTX,
                                    n_batch=EMBED_N_CTX, n_ubatch=EMBED_N_CTX,
                                    pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                                    n_threads=os.cpu_count() or 1, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ProviderError("server", f"the embedded engine could not load {path.name} "
                                f"for embeddings: {exc}") from exc
        _engines[path] = found = (llama, threading.Lock())
        return found


def embed_texts(path: Path, texts: list[str]) -> list[list[float]]:
    """One vector per text (blocking: call on a worker thread). Each text is
    cut to what fits the context (about 4 characters a token, a safe bound)."""
    llama, lock = _engine(path)
    limit = EMBED_N_CTX * 2
    with lock:
        try:
            vectors = llama.embed([text[:limit] for text in texts])
        except (ValueError, RuntimeError) as exc:
            raise ProviderError("server", f"the embedded engine could not embed: {exc}") \
                from exc
    return checked_vectors(list(vectors), len(texts), path.name)


def close_all() -> None:
    """Free every embedding engine (tests, quitting)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for llama, lock in engines:
        with lock:
            llama.close()
