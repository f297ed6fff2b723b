"""Confine file access to an agent's workspace folder.

Paths from the model are checked as text first (relative, ``/`` separated, no
``..``, no NUL, no drive letters or UNC names), then walked one component at a
time from an open descriptor of the workspace root, the way the kernel
resolves a path but with a "beneath" rule:

- every directory is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to its
  parent's descriptor (``dir_fd``), so no symlink is ever followed by the OS;
- a symlink met on the way is read (``readlink``) and its target spliced into
  the walk: ``..`` pops one level (never above the root), an absolute target
  must lie inside the workspace; anything else is refused;
- the final object is ``lstat``-ed before it is opened (only regular files and
  directories are accepted: no FIFOs, sockets or devices; FIFOs would also
  block the open), opened with ``O_NOFOLLOW | O_NONBLOCK`` and ``fstat``-ed
  again: a swap between the two checks is detected by device and inode.

Where ``os.open`` has no ``dir_fd`` (Windows), the resolved real path is
checked to lie in the workspace instead; there a rename race between the
check and the open remains (documented in docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.tools.base import ToolError
from app.domain.live_files import is_live_stat

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_BINARY = getattr(os, "O_BINARY", 0)
HAS_DIR_FD = os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd

MAX_PATH_CHARS = 1024
MAX_NAME_CHARS = 255
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems, in UTF-8 bytes
MAX_SYMLINK_HOPS = 40
_DRIVE = re.compile(r"^[A-Za-z]:")


class WorkspaceError(ToolError):
    """A path the tools refuse; the message tells the model why."""


def split_path(path: str) -> list[str]:
    """Check a model-given path as text; return its components ([] = root)."""
    if not isinstance(path, str):
        raise WorkspaceError("the path must be text")
    if "\x00" in path:
        raise WorkspaceError("the path contains a NUL character")
    if len(path) > MAX_PATH_CHARS:
        raise WorkspaceError(f"the path is longer than {MAX_PATH_CHARS} characters")
    if "\\" in path:
        raise WorkspaceError("use / as the path separator (backslashes and UNC "
                             "paths are not allowed)")
    if _DRIVE.match(path) or (os.name == "nt" and ":" in path):
        raise WorkspaceError("drive letters are not allowed; paths are relative "
                             "to the workspace")
    if path.startswith("/"):
        raise WorkspaceError("absolute paths are not allowed; paths are relative "
                             "to the workspace")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise WorkspaceError("'..' is not allowed in paths; paths stay inside "
                             "the workspace")
    if any(len(part) > MAX_NAME_CHARS for part in parts):
        raise WorkspaceError(f"a path component is longer than {MAX_NAME_CHARS} characters")
    if any(len(part.encode("utf-8", errors="surrogatepass")) > MAX_NAME_BYTES
           for part in parts):
        raise WorkspaceError(f"a path component is longer than {MAX_NAME_BYTES} bytes "
                             "in UTF-8")
    return parts


@dataclass
class Located:
    """Where a path ended: the directory holding it and its name there.

    ``name`` is None for the workspace root itself; ``info`` is the lstat of
    the object (None if it does not exist). ``dir_fd`` is None on platforms
    without ``dir_fd`` support, where ``name`` is then a full path."""

    dir_fd: int | None
    name: str | None
    info: os.stat_result | None
    rel: str  # path relative to the workspace, after symlinks, for messages

    def open(self, flags: int, mode: int = 0o644) -> int:
        target = self.name if self.name is not None else "."
        return os.open(target, flags | O_CLOEXEC | O_BINARY, mode, dir_fd=self.dir_fd)


def kind_of(mode: int) -> str:
    for test, label in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symlink")):
        if test(mode):
            return label
    return "not a regular file"


class Workspace:
    """One agent's folder. Created when missing."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root))

    @contextmanager
    def locate(self, path: str, *, create_dirs: bool = False) -> Iterator[Located]:
        """Resolve ``path`` inside the workspace (following symlinks only
        while they stay inside). With ``create_dirs`` missing folders on the
        way are made. Descriptors are closed when the block ends."""
        parts = split_path(path)
        if not HAS_DIR_FD:
            yield self._locate_by_realpath(parts, create_dirs)
            return
        root_fd = os.open(self.root, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        stack, names = [root_fd], []
        try:
            yield self._walk(parts, stack, names, create_dirs)
        finally:
            for fd in stack:
                os.close(fd)

    def _walk(self, parts: list[str], stack: list[int], names: list[str],
              create_dirs: bool) -> Located:
        queue, hops = deque(parts), 0
        while queue:
            name = queue.popleft()
            if name in ("", "."):
                continue
            if name == "..":  # only from a symlink target (user paths refuse it)
                if not names:
                    raise WorkspaceError("a symlink on this path points outside the workspace")
                os.close(stack.pop())
                names.pop()
                continue
            last = not queue
            try:
                info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            except FileNotFoundError:
                if last:
                    return Located(stack[-1], name, None, "/".join([*names, name]))
                if not create_dirs:
                    raise WorkspaceError(
                        f"no such folder: {'/'.join([*names, name])}") from None
                os.mkdir(name, 0o755, dir_fd=stack[-1])
                info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    raise WorkspaceError("too many symlinks on this path")
                target = os.readlink(name, dir_fd=stack[-1])
                queue.extendleft(reversed(self._link_parts(target, stack, names)))
                continue
            if last:
                return Located(stack[-1], name, info, "/".join([*names, name]))
            if not stat.S_ISDIR(info.st_mode):
                raise WorkspaceError(f"{'/'.join([*names, name])} is not a folder")
            stack.append(os.open(name, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                                 dir_fd=stack[-1]))
            names.append(name)
        return Located(stack[-1], None, os.fstat(stack[-1]), "/".join(names) or ".")

    def _link_parts(self, target: str, stack: list[int], names: list[str]) -> list[str]:
        """A symlink target as components to walk next; absolute targets must
        point into the workspace (the walk restarts at the root)."""
        if "\x00" in target:
            raise WorkspaceError("a symlink on this path is malformed")
        if not target.startswith("/"):
            return target.split("/")
        root = str(self.root)
        if target != root and not target.startswith(root.rstrip("/") + "/"):
            raise WorkspaceError("a symlink on this path points outside the workspace")
        while len(stack) > 1:
            os.close(stack.pop())
        names.clear()
        return target[len(root):].split("/")

    def _locate_by_realpath(self, parts: list[str], create_dirs: bool) -> Located:
        """Fallback without dir_fd: check the resolved real path (racy)."""
        real = Path(os.path.realpath(self.root.joinpath(*parts)))
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError("this path leads outside the workspace (symlink)")
        if create_dirs:
            real.parent.mkdir(parents=True, exist_ok=True)
        elif not real.parent.is_dir():
            raise WorkspaceError(f"no such folder: {'/'.join(parts[:-1])}")
        try:
            info: os.stat_result | None = os.stat(real, follow_symlinks=False)
        except FileNotFoundError:
            info = None
        rel = real.relative_to(self.root).as_posix()
        return Located(None, str(real), info, rel or ".")


def open_regular(located: Located, flags: int = os.O_RDONLY) -> tuple[int, os.stat_result]:
    """Open an existing regular file found by ``locate``; refuse the rest."""
    if located.info is None:
        raise WorkspaceError(f"no such file: {located.rel}")
    if stat.S_ISDIR(located.info.st_mode):
        raise WorkspaceError(f"{located.rel} is a folder, not a file")
    if not stat.S_ISREG(located.info.st_mode):
        raise WorkspaceError(f"{located.rel} is {kind_of(located.info.st_mode)}; "
                             "only regular files can be used")
    if is_live_stat(located.info):   # opening it would drop the store's SQLite locks
        raise WorkspaceError(f"{located.rel} is AgentDesk's open database; "
                             "the tools never open it")
    fd = located.open(flags | O_NOFOLLOW | O_NONBLOCK)
    info = os.fstat(fd)
    if (info.st_dev, info.st_ino) != (located.info.st_dev, located.info.st_ino) or \
            not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise WorkspaceError(f"{located.rel} changed while it was being opened")
    return fd, info


# --- reading helpers shared by the file tools ---------------------------

SNIFF_BYTES = 8192


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:SNIFF_BYTES]


def decode_text(data: bytes, at_start: bool, at_end: bool) -> str | None:
    """UTF-8 text, tolerating a character cut at either edge of a window;
    None when the bytes are not UTF-8 text."""
    if not at_start:
        cut = 0
        while cut < min(3, len(data)) and 0x80 <= data[cut] <= 0xBF:
            cut += 1
        data = data[cut:]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(data, final=at_end)
    except UnicodeDecodeError:
        return None


def read_at(fd: int, offset: int, size: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    chunks, left = [], size
    while left > 0 and (chunk := os.read(fd, left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# Folders are walked by descriptor (posix) or by path (no dir_fd: Windows).
DirRef = int | str


def open_dir(parent: DirRef, name: str) -> DirRef:
    if isinstance(parent, str):
        return os.path.join(parent, name)
    return os.open(name, os.O_RDONLY | O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0),
                   dir_fd=parent)


def close_dir(ref: DirRef) -> None:
    if isinstance(ref, int):
        os.close(ref)


def entries(ref: DirRef, limit: int = 10_000) -> list[os.DirEntry[str]]:
    """A folder's entries sorted by name (the first ``limit`` the OS gives)."""
    taken: list[os.DirEntry[str]] = []
    with os.scandir(ref) as found:  # type: ignore[type-var]
        for entry in found:
            taken.append(entry)
            if len(taken) >= limit:
                break
    return sorted(taken, key=lambda entry: entry.name)


def readlink_at(ref: DirRef, entry: os.DirEntry[str]) -> str:
    if isinstance(ref, str):
        return os.readlink(entry.path)
    return os.readlink(entry.name, dir_fd=ref)


def open_entry(ref: DirRef, entry: os.DirEntry[str]) -> int:
    flags = os.O_RDONLY | O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if isinstance(ref, str):
        return os.open(entry.path, flags)
    return os.open(entry.name, flags, dir_fd=ref)


def open_located_dir(found: Located) -> DirRef:
    if found.dir_fd is None:  # no dir_fd: name is the full path
        return found.name
    return found.open(os.O_RDONLY | O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0))
