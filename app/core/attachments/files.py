"""A file someone attached, to an Attachment: an image (by its bytes'
signature) or a document (app.core.documents), each refused with one clear
sentence when it cannot be sent."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.core.attachments.images import ImageProblem, prepare_image, sniff_image
from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.documents import DocumentError, DocumentLimits, convert_file
from app.domain.attachments import Attachment

#: An image file larger than this is refused before it is read.
MAX_IMAGE_BYTES = 40 * 1024 * 1024
#: Characters of a document's text kept with the message at most (about
#: 15,000 tokens); the runner trims further to what the model's window has.
DEFAULT_DOCUMENT_CHARS = 60_000
DEFAULT_MAX_IMAGE_SIDE = 1568
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}


class AttachmentError(ValueError):
    """A file that cannot be attached; ``str()`` names it and says why."""


def attach_file(path: Path | str, *, max_document_chars: int = DEFAULT_DOCUMENT_CHARS,
                max_image_side: int = DEFAULT_MAX_IMAGE_SIDE) -> Attachment:
    """The attachment for the file at ``path``; raises AttachmentError."""
    path = Path(path)
    if _is_image(path):
        return attach_image_bytes(_read_image(path), path.name, max_image_side)
    try:
        document = convert_file(path, DocumentLimits(max_chars=max(max_document_chars * 4,
                                                                   100_000)))
    except DocumentError as exc:
        raise AttachmentError(str(exc)) from None
    text = document.text()
    notes = [document.note] if document.note else []
    if len(text) > max_document_chars:
        notes = [f"trimmed to the first {max_document_chars:,} of {len(text):,} characters"]
        text = text[:max_document_chars]
    try:
        size = path.stat().st_size
    except OSError:              # gone since it was read: the text is what counts
        size = 0
    return Attachment(kind="document", name=path.name, mime=document.kind, size=size,
                      text=text, note="; ".join(notes))


def attach_image_bytes(data: bytes, name: str,
                       max_image_side: int = DEFAULT_MAX_IMAGE_SIDE) -> Attachment:
    """An image attachment from bytes (a pasted picture); raises AttachmentError."""
    try:
        return prepare_image(data, name, max_image_side)
    except ImageProblem as exc:
        raise AttachmentError(f"{name}: {exc}") from None


def attach_files(paths: Iterable[Path | str], **options: int
                 ) -> tuple[list[Attachment], list[str]]:
    """Attachments for ``paths`` and one sentence per file that was refused
    (one bad file never stops the others)."""
    attached: list[Attachment] = []
    problems: list[str] = []
    for path in paths:
        try:
            attached.append(attach_file(path, **options))
        except AttachmentError as exc:
            problems.append(str(exc))
    return attached, problems


def _is_image(path: Path) -> bool:
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            return sniff_image(handle.read(16))
    except OSError:
        return False              # the document reader words the problem


def _read_image(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_IMAGE_BYTES, text=False)
    except BoundedReadError as exc:
        raise AttachmentError(str(exc)) from None
