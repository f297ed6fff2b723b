"""Files attached to a user message: images (sent to vision models) and
documents (their text, sent with the message). Stored with the message and
exported with it; image bytes travel as base64 in JSON."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import BaseModel, field_serializer, field_validator

AttachmentKind = Literal["image", "document"]

#: The image types a vision model is sent (after a GIF becomes its first frame).
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


class Attachment(BaseModel):
    """One attached file as it is sent: an image's (scaled-down) bytes, or a
    document's text (trimmed to the context budget; ``note`` then says so)."""

    kind: AttachmentKind
    name: str
    mime: str = ""
    #: The original file's size in bytes.
    size: int = 0
    #: Image: the bytes sent (PNG or JPEG). Empty for documents.
    data: bytes = b""
    #: Document: the text sent, with [page N]/heading markers. Empty for images.
    text: str = ""
    width: int | None = None
    height: int | None = None
    #: What was done to fit it (scaled down, text trimmed), in words; shown.
    note: str = ""

    # Bytes are written as standard base64 in JSON (the store's column,
    # exports) and read back from base64 in JSON and Python data alike
    # (URL-safe base64 too).
    @field_serializer("data", when_used="json")
    def _data_as_base64(self, data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    @field_validator("data", mode="before")
    @classmethod
    def _base64_data(cls, value: object) -> object:
        if isinstance(value, str):
            standard = value.replace("-", "+").replace("_", "/")
            return base64.b64decode(standard.encode("ascii"), validate=True)
        return value

    @property
    def label(self) -> str:
        """The chip's words: name, and pixel size or characters."""
        if self.kind == "image" and self.width and self.height:
            return f"{self.name} ({self.width}×{self.height})"
        if self.kind == "document":
            return f"{self.name} ({len(self.text):,} characters)"
        return self.name


class ChatImage(BaseModel):
    """An image in a request, provider-neutral: each provider sends it in its
    own shape (Ollama ``images``, OpenAI ``image_url`` content parts)."""

    mime: str
    data: bytes
    #: The attachment's file name (only said in a note when the image is left out).
    name: str = ""

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.base64}"
