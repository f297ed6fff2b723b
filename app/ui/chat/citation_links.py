"""A citation's link and label, shared by the citation bar and the source
viewer: only a ``file:`` URL of an existing regular local file that is not one
of the open database's own files is ever opened, whatever the stored meta says."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl

from app.domain.live_files import is_live

OpenFn = Callable[[QUrl], object]


def is_pdf(reference: dict[str, Any]) -> bool:
    """PDFs open in the desktop's viewer at their page; other files in the app's."""
    return Path(str(reference.get("path") or "")).suffix.lower() == ".pdf"


def citation_url(reference: dict[str, Any]) -> QUrl | None:
    """The file URL a reference opens (at its page), or None when it must not open."""
    path = reference.get("path")
    if not isinstance(path, str) or not os.path.isabs(path):
        return None
    if not Path(path).is_file() or is_live(path):
        return None
    url = QUrl.fromLocalFile(path)
    if url.scheme() != "file" or not url.isLocalFile():
        return None
    if reference.get("page"):
        url.setFragment(f"page={int(reference['page'])}")
    return url


def reference_label(reference: dict[str, Any]) -> str:
    where = f" — {reference['location']}" if reference["location"] else ""
    return f"[{reference['n']}] {Path(reference['path']).name}{where}"
