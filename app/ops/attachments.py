"""Attaching files to a message: the one job the window (button, paste,
drop), the CLI (``chat --attach``) and any other entry point do, with the
person's settings applied (image size, document budget)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.core.attachments import AttachmentError, attach_file
from app.core.attachments.files import attach_image_bytes
from app.domain.attachments import Attachment
from app.settings import AppSettings

#: Attachments on one message at most.
MAX_ATTACHMENTS = 16


def attach_paths(settings: AppSettings, paths: Iterable[Path | str],
                 already: int = 0) -> tuple[list[Attachment], list[str]]:
    """Attachments for ``paths`` (``already`` attached before), and one
    sentence for each file that could not be attached."""
    options = settings.attachments
    attached: list[Attachment] = []
    problems: list[str] = []
    for path in paths:
        if already + len(attached) >= MAX_ATTACHMENTS:
            problems.append(f"{Path(path).name}: at most {MAX_ATTACHMENTS} files "
                            "can be attached to one message")
            continue
        try:
            attached.append(attach_file(path, max_document_chars=options.max_document_chars,
                                        max_image_side=options.max_image_side))
        except AttachmentError as exc:
            problems.append(str(exc))
    return attached, problems


def attach_image(settings: AppSettings, data: bytes, name: str) -> Attachment:
    """A pasted image (encoded bytes); raises AttachmentError."""
    return attach_image_bytes(data, name, settings.attachments.max_image_side)


def set_model_vision(settings: AppSettings, provider: str, model: str, sees: bool) -> None:
    """The person's switch "this model can see images", saved to the settings file."""
    from app.core.attachments.vision import model_key

    key = model_key(provider, model)
    kept = [k for k in settings.attachments.vision_models if k.lower() != key]
    settings.attachments.vision_models = [*kept, key] if sees else kept
    settings.save()


def model_sees_images(settings: AppSettings, provider: str, model: str) -> bool:
    """Whether the person switched on images for this model."""
    from app.core.attachments.vision import model_key

    key = model_key(provider, model)
    return any(k.lower() == key for k in settings.attachments.vision_models)


__all__ = ["MAX_ATTACHMENTS", "AttachmentError", "attach_image", "attach_paths",
           "model_sees_images", "set_model_vision"]
