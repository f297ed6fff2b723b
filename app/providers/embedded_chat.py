"""How the embedded engine writes a conversation into a prompt for one model.

The model's own chat template (GGUF ``tokenizer.chat_template``, a Jinja
template) when it has one; the built-in ``gemma`` / ChatML formats for a base
model without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.providers.gguf_file import chat_template

log = logging.getLogger(__name__)

#: ``Engine.chat_format`` when the prompt is written by the model's own template.
TEMPLATE_FORMAT = "chat_template"

__all__ = ["TEMPLATE_FORMAT", "chat_setup", "token_text"]


def chat_setup(metadata: dict[str, Any], eos_id: int, bos_id: int,
               token_name: Callable[[int], str]) -> tuple[str, Any]:
    """How prompts are written for a model: ``(chat_format, formatter)``.

    A GGUF with its own ``tokenizer.chat_template`` gets llama-cpp-python's
    Jinja2ChatFormatter of that template (``TEMPLATE_FORMAT``), so every
    instruction-tuned model is prompted the way it was trained. Without one
    (a base model, like the bundled Gemma 3 270M) Gemma models use the
    ``gemma`` format and anything else ChatML (llama.cpp would guess Llama 2);
    so does a template that does not compile."""
    template = chat_template(metadata)
    if template is not None:
        import jinja2
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            formatter = Jinja2ChatFormatter(
                template=template, eos_token=token_name(eos_id) if eos_id >= 0 else "",
                bos_token=token_name(bos_id) if bos_id >= 0 else "",
                stop_token_ids=[eos_id] if eos_id >= 0 else None)
        except jinja2.TemplateError as exc:
            log.warning("the model's chat template does not compile (%s); using a "
                        "built-in format", exc)
        else:
            return TEMPLATE_FORMAT, formatter
    architecture = str(metadata.get("general.architecture", ""))
    return ("gemma" if architecture.startswith("gemma") else "chatml"), None


def token_text(llama: Any, token: int) -> str:
    """A special token's text (``<eos>``), as llama-cpp-python reads it itself."""
    return llama._model.token_get_text(token)
