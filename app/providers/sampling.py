"""Generation settings as wire fields, shared by the provider modules.

``top_p``, ``repeat_penalty``, ``seed`` and ``stop`` happen to be spelled the
same in every wire format we speak: the OpenAI chat-completions body (OpenAI,
llama-cpp-python's server, LM Studio), Ollama's ``options`` object and
llama-cpp-python's ``create_chat_completion`` arguments. A context length has
no common spelling (Ollama ``options.num_ctx``; the embedded engine's
``Llama(n_ctx=…)``; none per request on OpenAI-compatible servers), so each
provider handles it itself. Which settings a provider accepts is declared in
its own module; only those are sent.
"""

from __future__ import annotations

from typing import Any

from app.domain import ChatRequest
from app.domain.generation import GENERATION_SETTINGS, GenerationSetting

ALL_SETTINGS: frozenset[GenerationSetting] = frozenset(GENERATION_SETTINGS)


def sampling_fields(request: ChatRequest,
                    supported: frozenset[GenerationSetting]) -> dict[str, Any]:
    """The request's set ``top_p``/``repeat_penalty``/``seed``/``stop`` that
    ``supported`` names, under those field names (unset ones are left out)."""
    fields: dict[str, Any] = {}
    if "top_p" in supported and request.top_p is not None:
        fields["top_p"] = request.top_p
    if "repeat_penalty" in supported and request.repeat_penalty is not None:
        fields["repeat_penalty"] = request.repeat_penalty
    if "seed" in supported and request.seed is not None:
        fields["seed"] = request.seed
    if "stop" in supported and request.stop:
        fields["stop"] = list(request.stop)
    return fields
