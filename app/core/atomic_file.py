"""Replacing a file in one step, so an interrupted write never leaves half a file.

The content goes to a temporary file beside the target (same folder, so the
rename cannot cross file systems), which is then renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.domain.live_files import refuse_live


class FolderNotWritable(OSError):
    """The temporary file could not be created: the target's folder is the problem."""


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary path)``, then rename the temporary file to ``path``.

    On any failure (``write`` raising included) the temporary file is removed
    and ``path`` is left as it was. Raises ``FolderNotWritable`` when the
    folder takes no new file, ``LiveDatabaseFileError`` (an OSError) when ``path``
    is a file of the open database, ``OSError`` for other file-system failures, and
    whatever ``write`` raises.
    """
    refuse_live(path)   # renaming over the open database's files would lose it
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                        dir=folder)
    except OSError as exc:
        raise FolderNotWritable(exc.errno, exc.strerror or str(exc), str(folder)) from exc
    os.close(handle)
    partial = Path(name)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
