"""Office files (DOCX, PPTX, XLSX) are zip archives: look at the archive's
directory before any library unpacks it, and refuse zip bombs.

The sizes in the directory are trusted because Python's zipfile, which the
office libraries read through, never returns more than a member's declared
size (and fails its CRC check if the data says otherwise).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from app.core.documents.model import DocumentError, DocumentLimits


def check_archive(path: Path, name: str, limits: DocumentLimits) -> None:
    """Raises DocumentError unless ``path`` is a zip archive that unpacks to a
    bounded size, with a bounded number of members and expansion ratio."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise DocumentError(name, "damaged", "damaged or not an Office file") from None
    except OSError as exc:
        raise DocumentError(name, "unreadable",
                            f"cannot be read ({exc.strerror or exc})") from None
    if len(members) > limits.max_zip_members:
        raise DocumentError(name, "zip_bomb",
                            f"refused: the archive holds {len(members):,} parts")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_zip_ratio:
            raise DocumentError(name, "zip_bomb",
                                f"refused: a part expands {ratio:,.0f} times (a zip bomb?)")
    if total > limits.max_unpacked_bytes:
        raise DocumentError(name, "zip_bomb",
                            f"refused: it unpacks to {total:,} bytes "
                            f"(the limit is {limits.max_unpacked_bytes:,})")
