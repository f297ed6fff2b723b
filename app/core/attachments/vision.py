"""Whether a model can see images, decided before a request with images is
sent: the person's own switch for the model (settings
``attachments.vision_models``) wins; else what the provider says
(Ollama's ``/api/show`` ``capabilities``, as ``ModelInfo.capabilities``);
else no — with a message that says how to turn the switch on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain import ChatMessage, ModelInfo, ProviderConfig
from app.domain.attachments import Attachment


#: The built-in engine loads no multimodal projector, so it never sees images.
EMBEDDED_NO_VISION = ("The built-in engine can't read images; choose a vision model on "
                      "Ollama, LM Studio or a compatible server (or send the message "
                      "without images).")


@dataclass(frozen=True)
class VisionCheck:
    ok: bool
    message: str = ""


def has_images(attachments: Sequence[Attachment]) -> bool:
    return any(a.kind == "image" for a in attachments)


def omitted_note(name: str) -> str:
    """What a request says in place of an earlier image the model cannot see."""
    shown = " ".join(name.split())[:120] or "an image"
    return f"[image omitted: {shown}; this model has no vision]"


def without_images(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The messages with each image replaced by a short note in the text
    (``omitted_note``). Only the request changes: the stored messages keep
    their attachments."""
    out: list[ChatMessage] = []
    for message in messages:
        if not message.images:
            out.append(message)
            continue
        notes = "\n".join(omitted_note(image.name) for image in message.images)
        content = f"{message.content}\n\n{notes}" if message.content else notes
        out.append(message.model_copy(update={"images": [], "content": content}))
    return out


def model_key(provider: str, model: str) -> str:
    """How a model is named in ``attachments.vision_models``: PROVIDER/MODEL."""
    return f"{provider}/{model}".lower()


def check_vision(config: ProviderConfig | None, model: str, models: Sequence[ModelInfo],
                 vision_models: Sequence[str]) -> VisionCheck:
    """Can ``model`` on ``config`` be sent images? ``models``: what the
    provider listed (may be empty); ``vision_models``: the person's switches."""
    provider = config.name if config is not None else ""
    if model_key(provider, model) in {key.lower() for key in vision_models}:
        return VisionCheck(True)
    if config is not None and config.kind == "embedded":
        return VisionCheck(False, EMBEDDED_NO_VISION)
    info = next((m for m in models if m.provider.lower() == provider.lower()
                 and m.id == model), None)
    if info is not None and info.capabilities:
        if "vision" in info.capabilities:
            return VisionCheck(True)
        return VisionCheck(False, f"{model} on {provider} cannot read images (its "
                                  "capabilities do not include vision). Pick a vision "
                                  "model, or send the message without images.")
    return VisionCheck(False, f"AgentDesk does not know whether {model} on {provider} can "
                              "read images. If it can, turn on \"Model can see images\" "
                              f"for it (settings attachments.vision_models: "
                              f"\"{model_key(provider, model)}\"); otherwise pick a vision "
                              "model or send the message without images.")
