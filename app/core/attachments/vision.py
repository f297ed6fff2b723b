"""Whether a model can see images, decided before a request with images is
sent: the person's own switch for the model (settings
``attachments.vision_models``) wins; else what the provider says
(Ollama's ``/api/show`` ``capabilities``, as ``ModelInfo.capabilities``);
else no — with a message that says how to turn the switch on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain import ModelInfo, ProviderConfig
from app.domain.attachments import Attachment


@dataclass(frozen=True)
class VisionCheck:
    ok: bool
    message: str = ""


def has_images(attachments: Sequence[Attachment]) -> bool:
    return any(a.kind == "image" for a in attachments)


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
        return VisionCheck(False, f"The built-in engine cannot read images ({model}). "
                                  "Pick a vision model on Ollama or an OpenAI-compatible "
                                  "server, or send the message without images.")
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
