"""Keep native libraries' stderr off the command line's output.

llama.cpp and ggml may write to the stderr *file descriptor* directly, past
Python's ``sys.stderr`` (our own llama.cpp log routing, app/providers/
llama_logs.py, catches what goes through its log callback). While a command
streams a reply, descriptor 2 points at a file in the log folder; Python's
``sys.stderr`` keeps writing to the real stderr through a copy of the
descriptor, so the command's own notes, status line and prompts still show.
The file is rewritten on each run and survives a crash (for a bug report).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

NATIVE_STDERR_FILENAME = "engine-stderr.log"
STDERR_FD = 2


@contextmanager
def native_stderr_to(path: Path) -> Iterator[None]:
    """Send what native code writes to descriptor 2 to ``path`` while inside.

    Where descriptors cannot be duplicated (no stderr at all), nothing changes."""
    python_stderr = sys.stderr
    try:
        python_stderr.flush()
        saved = os.dup(STDERR_FD)
    except (OSError, ValueError) as exc:
        log.debug("stderr left as it is: %s", exc)
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sink = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        os.close(saved)
        log.warning("cannot write %s; native stderr not redirected: %s", path, exc)
        yield
        return
    # sys.stderr moves to the copy only when it writes to descriptor 2 itself
    # (not when it is already something else, e.g. a test's capture).
    terminal = None
    if _fileno(python_stderr) == STDERR_FD:
        terminal = os.fdopen(os.dup(saved), "w", buffering=1,
                             encoding=getattr(python_stderr, "encoding", None) or "utf-8",
                             errors="backslashreplace")
    os.dup2(sink, STDERR_FD)
    os.close(sink)
    if terminal is not None:
        sys.stderr = terminal
    try:
        yield
    finally:
        if terminal is not None:
            terminal.flush()
        os.dup2(saved, STDERR_FD)
        os.close(saved)
        if terminal is not None:
            sys.stderr = python_stderr
            terminal.close()
        size = path.stat().st_size if path.exists() else 0
        if size:
            log.info("native code wrote %d bytes to stderr; kept in %s", size, path)


def _fileno(stream: object) -> int | None:
    try:
        return stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
