"""The files an MCP server's command line runs, as content digests, so that
approving a server approves what it runs, not only how it is called.

Before issue 21 the approval covered the command line's *text*: a server
approved as ``python /home/me/mcp/server.py`` kept running, with no question,
after ``server.py`` (or the program itself) was replaced. Now the program
(found on ``PATH`` as the operating system finds it) and every argument that
names an existing file of code (a script by its suffix, or an executable file;
relative names from the current folder, which the server inherits) are part
of the fingerprint; a changed, added or removed one makes the server ask
again. Data files named in the arguments (a database, a log) change by use
and are left out.

Cost: files up to ``FULL_HASH_BYTES`` are hashed whole; a larger file (an
interpreter, ``node``) by its size, modification time and its first and last
4 MB, which any package manager's replacement changes. Digests are cached by
(path, size, mtime, inode), so a fingerprint costs one ``stat`` per file
after the first time.

Limits: code a package runner fetches by name (``npx pkg``, ``uvx pkg``) or an
interpreter finds by module name (``python -m pkg``) is not a file on the
command line, so it is not covered (pin its version in the arguments: the text
is approved); nor are files the server's own code imports.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

FULL_HASH_BYTES = 8 * 1024 * 1024
_EDGE_BYTES = 4 * 1024 * 1024
_CHUNK = 1024 * 1024


#: Arguments that name a file with one of these suffixes (or an executable
#: file) are code the server runs; other files (a database, a log, a data
#: folder's contents) change by use and are not part of the approval.
CODE_SUFFIXES = frozenset({
    ".py", ".pyw", ".pyz", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".sh", ".bash",
    ".zsh", ".rb", ".pl", ".php", ".lua", ".jar", ".exe", ".bat", ".cmd", ".ps1", ".wasm"})


def command_files(command: str | None, args: list[str]) -> list[list[str]]:
    """``[word, digest]`` for the program and for each argument that names an
    existing file of code (``CODE_SUFFIXES`` or executable), in command-line order."""
    found: list[list[str]] = []
    for index, word in enumerate([command or "", *args]):
        path = _program(word) if index == 0 else _code_file(word)
        if path is not None:
            found.append([word, file_digest(path)])
    return found


def file_digest(path: Path) -> str:
    """The content digest of ``path`` (cached while it is unchanged on disk);
    ``"unreadable"`` when it cannot be read (that, too, is approved as such)."""
    try:
        info = path.stat()
    except OSError:
        return "unreadable"
    return _digest(str(path), info.st_size, info.st_mtime_ns, info.st_ino)


@lru_cache(maxsize=256)
def _digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            if size <= FULL_HASH_BYTES:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
            else:
                hasher.update(f"size={size};mtime_ns={mtime_ns};".encode())
                hasher.update(handle.read(_EDGE_BYTES))
                handle.seek(max(0, size - _EDGE_BYTES))
                hasher.update(handle.read(_EDGE_BYTES))
    except OSError:
        return "unreadable"
    return hasher.hexdigest()


def _program(word: str) -> Path | None:
    if not word:
        return None
    found = shutil.which(word)
    return Path(found).resolve() if found else _existing_file(word)


def _code_file(word: str) -> Path | None:
    path = _existing_file(word)
    if path is None:
        return None
    return path if path.suffix.lower() in CODE_SUFFIXES or os.access(path, os.X_OK) else None


def _existing_file(word: str) -> Path | None:
    if not word or "\x00" in word or len(word) > 4096:
        return None
    try:
        path = Path(word)            # exec passes it as is: no ~ or $VAR expansion
        return path.resolve() if path.is_file() else None
    except (OSError, ValueError):
        return None
