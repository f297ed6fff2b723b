"""Seeing, from another process, whether this process still holds its POSIX locks.

On Linux/POSIX, closing any descriptor of a file drops every fcntl lock the
process holds on it — the way an innocent ``open()`` + ``close()`` of
``agentdesk.db`` breaks SQLite. strace is not available everywhere, so tests
check the effect instead: a child process asks for an exclusive lock on a byte
without waiting. It gets it only if nobody (this process) holds that byte.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

#: SQLite's unix VFS: every connection that has the WAL index open keeps a
#: shared lock on this byte of ``-shm`` (the "dead man switch", UNIX_SHM_DMS =
#: 120 + 8); the last connection to close takes it exclusively, checkpoints and
#: deletes -wal/-shm.
SHM_DMS_BYTE = 128

_PROBE = r"""
import fcntl, os, sys
path, offset = sys.argv[1], int(sys.argv[2])
try:
    fd = os.open(path, os.O_RDWR)
except FileNotFoundError:
    print("missing")
    raise SystemExit
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
except OSError:
    print("held")
else:
    print("free")
"""


def lock_state(path: Path, offset: int = 0) -> str:
    """"held" (another process — this one — locks byte ``offset`` of ``path``),
    "free", or "missing" (no such file). Asked from a child process, so the
    probe's own descriptor never touches this process's locks."""
    result = subprocess.run([sys.executable, "-c", _PROBE, str(path), str(offset)],
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def hold_lock(path: Path, offset: int = 0) -> int:
    """Lock byte ``offset`` of ``path`` (shared) in this process; returns the
    descriptor, which the caller keeps open and closes at the end."""
    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, offset)
    return fd
