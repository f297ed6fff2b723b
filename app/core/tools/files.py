"""The ``files`` tools: list, read, search and write inside the agent's workspace.

``files`` in an agent's tool list (and in presets) stands for the group
``list_files``, ``read_file``, ``search_files`` (run at once: reading is low
risk) and ``write_file`` (asks the user first by default). Every path goes
through workspace_fs, which refuses anything that would leave the workspace
and anything that is not a regular file or folder.
"""

from __future__ import annotations

import os
import secrets
import stat
from typing import Any

from app.core.tools.base import FunctionTool, Tool, ToolContext
from app.core.tools.file_search import search_files
from app.core.tools.workspace_fs import (
    MAX_NAME_BYTES,
    SNIFF_BYTES,
    O_NOFOLLOW,
    DirRef,
    Located,
    Workspace,
    WorkspaceError,
    close_dir,
    decode_text,
    entries,
    kind_of,
    looks_binary,
    open_dir,
    open_located_dir,
    open_regular,
    read_at,
    readlink_at,
)
from app.domain.live_files import is_live_stat

FILES_GROUP = "files"
FILES_TOOL_NAMES = ("list_files", "read_file", "search_files", "write_file")

READ_WINDOW = 40_000  # bytes per read_file call: the result must fit MAX_RESULT_CHARS
WRITE_LIMIT = 1024 * 1024
LIST_LIMIT = 500
LIST_DEPTH = 8


def _workspace(context: ToolContext) -> Workspace:
    return Workspace(context.workspace)


# --- read -----------------------------------------------------------------

def read_file(path: str, offset: int = 0, *, context: ToolContext) -> str:
    """Read a UTF-8 text file from the workspace.

    Long files come in windows of about 40 KB; the reply says where to continue.

    Args:
        path: Path relative to the workspace, with / separators.
        offset: Byte offset to start reading at (from a previous reply).
    """
    if offset < 0:
        raise WorkspaceError("offset must be 0 or more")
    with _workspace(context).locate(path) as found:
        fd, info = open_regular(found)
        try:
            if offset > info.st_size:  # also any offset the OS could not seek to
                raise WorkspaceError(f"offset {offset} is past the end of {found.rel} "
                                     f"({info.st_size} bytes)")
            head = read_at(fd, 0, SNIFF_BYTES) if offset else b""
            data = read_at(fd, offset, READ_WINDOW)
        finally:
            os.close(fd)
    size = info.st_size
    if looks_binary(head or data):
        raise WorkspaceError(f"{found.rel} looks like a binary file ({size} bytes); "
                             "only text files can be read")
    end = offset + len(data)
    text = decode_text(data, offset == 0, end >= size)
    if text is None:
        raise WorkspaceError(f"{found.rel} is not UTF-8 text; only text files can be read")
    if offset == 0 and end >= size:
        return text
    note = (f"[{found.rel}: bytes {offset}-{end} of {size}; the file is truncated here, "
            f"call read_file again with offset={end} for more]" if end < size else
            f"[{found.rel}: bytes {offset}-{end} of {size}, end of file]")
    return f"{note}\n{text}"


# --- list -----------------------------------------------------------------

def list_files(path: str = ".", recursive: bool = False, *,
               context: ToolContext) -> str:
    """List a folder of the workspace (folders end with /, files show their size).

    Args:
        path: Folder relative to the workspace; "." is the workspace itself.
        recursive: Also list sub-folders (up to 500 entries in all).
    """
    lines: list[str] = []
    with _workspace(context).locate(path) as found:
        if found.info is None or not stat.S_ISDIR(found.info.st_mode):
            raise WorkspaceError(f"{found.rel} is not a folder" if found.info else
                                 f"no such folder: {found.rel}")
        ref = open_located_dir(found)
        try:
            complete = _list_into(ref, "", recursive, 0, lines)
        finally:
            close_dir(ref)
    if not lines:
        return f"{found.rel} is empty"
    if not complete:
        lines.append(f"[stopped after {LIST_LIMIT} entries]")
    return "\n".join(lines)


def _list_into(ref: DirRef, prefix: str, recursive: bool, depth: int,
               lines: list[str]) -> bool:
    """Append entries of a folder; False when the cap was hit. Symlinks are
    shown, never followed."""
    for entry in entries(ref):
        if len(lines) >= LIST_LIMIT:
            return False
        info = entry.stat(follow_symlinks=False)
        name = prefix + entry.name
        if stat.S_ISDIR(info.st_mode):
            lines.append(name + "/")
            if recursive and depth < LIST_DEPTH:
                child = open_dir(ref, entry.name)
                try:
                    if not _list_into(child, name + "/", recursive, depth + 1, lines):
                        return False
                finally:
                    close_dir(child)
        elif stat.S_ISREG(info.st_mode):
            lines.append(f"{name} ({info.st_size} bytes)")
        elif stat.S_ISLNK(info.st_mode):
            lines.append(f"{name} -> {readlink_at(ref, entry)} (symlink)")
        else:
            lines.append(f"{name} ({kind_of(info.st_mode)}, not usable)")
    return True


# --- write ----------------------------------------------------------------

def write_file(path: str, content: str, *, context: ToolContext) -> str:
    """Create or replace a UTF-8 text file in the workspace (folders are created).

    Args:
        path: Path relative to the workspace, with / separators.
        content: The complete new content of the file.
    """
    if len(content) > WRITE_LIMIT:  # every character is at least one byte:
        # refuse before encoding (a 1 GB string would need another GB or more)
        raise WorkspaceError(f"the content is {len(content)} characters; at most "
                             f"{WRITE_LIMIT} bytes can be written at once")
    data = content.encode("utf-8")  # at most 4 x WRITE_LIMIT bytes
    if len(data) > WRITE_LIMIT:
        raise WorkspaceError(f"the content is {len(data)} bytes; at most {WRITE_LIMIT} "
                             "bytes can be written at once")
    with _workspace(context).locate(path, create_dirs=True) as found:
        if found.name is None:
            raise WorkspaceError("give a file name, not the workspace folder")
        mode = 0o644
        if found.info is not None:
            if stat.S_ISDIR(found.info.st_mode):
                raise WorkspaceError(f"{found.rel} is a folder")
            if not stat.S_ISREG(found.info.st_mode):
                raise WorkspaceError(f"{found.rel} is {kind_of(found.info.st_mode)}; "
                                     "only regular files can be written")
            if is_live_stat(found.info):
                raise WorkspaceError(f"{found.rel} is AgentDesk's open database; "
                                     "the tools never replace it")
            mode = stat.S_IMODE(found.info.st_mode)
        _atomic_write(found, data, mode)
        existed = found.info is not None
    return f"{'replaced' if existed else 'created'} {found.rel} ({len(data)} bytes)"


def _atomic_write(found: Located, data: bytes, mode: int) -> None:
    """Write to a new temporary file next to the target, then rename over it:
    readers see the old or the new content, never half of it."""
    final = found.name
    temp_name = temporary_name(os.path.basename(final))
    if found.dir_fd is None:
        temp_name = os.path.join(os.path.dirname(final), temp_name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | getattr(os, "O_BINARY", 0)
    fd = os.open(temp_name, flags | getattr(os, "O_CLOEXEC", 0), mode, dir_fd=found.dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, final, src_dir_fd=found.dir_fd, dst_dir_fd=found.dir_fd)
    except BaseException:
        try:
            os.unlink(temp_name, dir_fd=found.dir_fd)
        except FileNotFoundError:
            pass
        raise


def temporary_name(final: str) -> str:
    """``.<name>.<random>.tmp``, with the name shortened (on a character
    boundary) so the whole stays within MAX_NAME_BYTES: a file name of 255
    bytes can still be written."""
    suffix = f".{secrets.token_hex(4)}.tmp"
    room = MAX_NAME_BYTES - 1 - len(suffix)
    stem = final.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return f".{stem}{suffix}"


class _WriteTool(FunctionTool):
    def summarize(self, arguments: dict[str, Any]) -> str:
        content = arguments.get("content", "")
        if not isinstance(content, str) or len(content) > WRITE_LIMIT:
            size = (f"{len(content)} characters" if isinstance(content, str)
                    else "non-text content")
            return f"write {size} to {arguments.get('path', '?')} (refused: too large)"
        return (f"write {len(content.encode('utf-8'))} bytes to "
                f"{arguments.get('path', '?')} in the workspace")


def files_tools() -> list[Tool]:
    """The ``files`` group: reading runs at once, writing asks by default."""
    return [
        FunctionTool(list_files, policy="auto", risk="low", timeout=30),
        FunctionTool(read_file, policy="auto", risk="low", timeout=30),
        FunctionTool(search_files, policy="auto", risk="low", timeout=60),
        _WriteTool(write_file, policy="ask", risk="medium", timeout=30),
    ]
