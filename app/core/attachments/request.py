"""The user message a request carries: the text, each document's text in a
delimited block after it, and the images beside it (``ChatMessage.images``).
``fit_user_message`` trims the documents to the room the model's context
window leaves, and says so."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain import ChatMessage
from app.domain.attachments import Attachment, ChatImage

#: How many prompt tokens one image is counted as (vision encoders take a few
#: hundred to about a thousand per image).
IMAGE_TOKENS = 768
_CHARS_PER_TOKEN = 4
TRIM_MARK = "\n[… the rest was left out to fit the model's context]"


def _block(attachment: Attachment, text: str) -> str:
    name = attachment.name.replace('"', "'")
    return f'<document name="{name}">\n{text}\n</document>'


def user_chat_message(text: str, attachments: Sequence[Attachment]) -> ChatMessage:
    """The request message for a user message and its attachments, untrimmed."""
    message, _notes = fit_user_message(text, attachments, None)
    return message


def fit_user_message(text: str, attachments: Sequence[Attachment],
                     room_tokens: int | None) -> tuple[ChatMessage, list[str]]:
    """The user message with documents cut so the whole takes at most
    ``room_tokens`` (None: no limit), and a note per document that was cut."""
    documents = [a for a in attachments if a.kind == "document" and a.text]
    images = [ChatImage(mime=a.mime, data=a.data, name=a.name) for a in attachments
              if a.kind == "image" and a.data]
    notes: list[str] = []
    keep = [len(a.text) for a in documents]
    if room_tokens is not None and documents:
        fixed = len(text) + sum(len(_block(a, "")) for a in documents) \
            + len(TRIM_MARK) * len(documents)
        room_chars = max(0, room_tokens * _CHARS_PER_TOKEN - fixed
                         - IMAGE_TOKENS * _CHARS_PER_TOKEN * len(images))
        total = sum(keep)
        if total > room_chars:
            keep = _shares(keep, room_chars)
            for attachment, kept in zip(documents, keep, strict=True):
                if kept < len(attachment.text):
                    notes.append(f"{attachment.name}: only the first {kept:,} of "
                                 f"{len(attachment.text):,} characters fit the model's "
                                 "context")
    blocks = []
    for attachment, kept in zip(documents, keep, strict=True):
        body = attachment.text if kept >= len(attachment.text) \
            else attachment.text[:kept] + TRIM_MARK
        blocks.append(_block(attachment, body))
    content = "\n\n".join(part for part in [text, *blocks] if part)
    return ChatMessage(role="user", content=content, images=images), notes


def _shares(lengths: list[int], room: int) -> list[int]:
    """Characters to keep of each text so they add up to at most ``room``:
    short ones whole, the long ones sharing what is left equally."""
    keep = [0] * len(lengths)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    left = room
    for position, index in enumerate(order):
        share = left // (len(order) - position)
        keep[index] = min(lengths[index], share)
        left -= keep[index]
    return keep
