"""A message's attachments in its ``attachments`` column: a JSON list of
Attachment (image bytes in base64)."""

from __future__ import annotations

from pydantic import TypeAdapter

from app.domain.attachments import Attachment

_LIST = TypeAdapter(list[Attachment])


def attachments_to_db(attachments: list[Attachment]) -> str:
    return _LIST.dump_json(attachments).decode("utf-8") if attachments else "[]"


def attachments_from_db(value: str) -> list[Attachment]:
    """Raises ValueError (a pydantic ValidationError) for a damaged column."""
    return _LIST.validate_json(value)
