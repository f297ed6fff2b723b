"""The ``search_files`` tool: find text in the workspace's files.

Literal search runs here; a regular expression runs in a child interpreter
that is killed at a deadline, because Python's ``re`` has no time limit and
some patterns backtrack for ages. Files are walked by descriptor without
following symlinks (see workspace_fs), with caps on files, bytes and matches.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys

from app.core.tools.base import ToolContext
from app.core.tools.workspace_fs import (
    DirRef,
    Workspace,
    WorkspaceError,
    close_dir,
    decode_text,
    entries,
    kind_of,
    looks_binary,
    open_dir,
    open_entry,
    open_located_dir,
    open_regular,
    read_at,
)
from app.domain.live_files import is_live_stat

SEARCH_DEPTH = 8
SEARCH_FILE_LIMIT = 2_000
SEARCH_FILE_BYTES = 1024 * 1024  # larger files are skipped
SEARCH_TOTAL_BYTES = 20 * 1024 * 1024
SEARCH_MATCH_LIMIT = 200
SEARCH_REGEX_SECONDS = 10.0


async def search_files(query: str, path: str = ".", regex: bool = False,
                       ignore_case: bool = False, *,
                       context: ToolContext) -> str:
    """Search the text files of a workspace folder (and its sub-folders) for a string.

    Returns up to 200 matching lines as path:line: text; skips binary files and files over 1 MB.

    Args:
        query: The text to look for (or a Python regular expression with regex=true).
        path: Folder relative to the workspace; "." is the whole workspace.
        regex: Treat query as a regular expression (limited to 10 seconds).
        ignore_case: Match regardless of upper and lower case.
    """
    if not query or len(query) > 500:
        raise WorkspaceError("the query must be 1 to 500 characters")
    files, notes = await asyncio.to_thread(_collect_texts, Workspace(context.workspace), path)
    if regex:
        matches = await _regex_search(query, ignore_case, files)
    else:
        matches = _literal_search(query, ignore_case, files)
    if not matches:
        return "\n".join(["no matches", *notes])
    if len(matches) >= SEARCH_MATCH_LIMIT:
        notes.append(f"[stopped after {SEARCH_MATCH_LIMIT} matches]")
    return "\n".join([*matches, *notes])


def _collect_texts(workspace: Workspace, path: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(relative path, text) of the searchable files under ``path``, with notes."""
    texts: list[tuple[str, str]] = []
    budget = {"bytes": SEARCH_TOTAL_BYTES, "skipped": 0}
    with workspace.locate(path) as found:
        if found.info is None:
            raise WorkspaceError(f"no such folder: {found.rel}")
        if stat.S_ISREG(found.info.st_mode):
            fd, _info = open_regular(found)
            try:
                data = read_at(fd, 0, SEARCH_FILE_BYTES + 1)
            finally:
                os.close(fd)
            text = None if looks_binary(data) else decode_text(data, True, True)
            if text is None or len(data) > SEARCH_FILE_BYTES:
                raise WorkspaceError(f"{found.rel} is binary or larger than 1 MB")
            return [(found.rel, text)], []
        if not stat.S_ISDIR(found.info.st_mode):
            raise WorkspaceError(f"{found.rel} is {kind_of(found.info.st_mode)}")
        ref = open_located_dir(found)
        prefix = "" if found.rel == "." else found.rel + "/"
        try:
            _collect_into(ref, prefix, 0, texts, budget)
        finally:
            close_dir(ref)
    notes = []
    if budget["skipped"]:
        notes.append(f"[{budget['skipped']} binary, large or unreadable files skipped]")
    if len(texts) >= SEARCH_FILE_LIMIT or budget["bytes"] <= 0:
        notes.append("[search stopped at its size limit: narrow the folder]")
    return texts, notes


def _collect_into(ref: DirRef, prefix: str, depth: int, texts: list[tuple[str, str]],
                  budget: dict[str, int]) -> None:
    for entry in entries(ref):
        if len(texts) >= SEARCH_FILE_LIMIT or budget["bytes"] <= 0:
            return
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode) and depth < SEARCH_DEPTH:
            child = open_dir(ref, entry.name)
            try:
                _collect_into(child, prefix + entry.name + "/", depth + 1, texts, budget)
            finally:
                close_dir(child)
        elif stat.S_ISREG(info.st_mode):
            if info.st_size > SEARCH_FILE_BYTES or is_live_stat(info):
                budget["skipped"] += 1   # (never open the live database: see live_files)
                continue
            fd = open_entry(ref, entry)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    budget["skipped"] += 1
                    continue
                data = read_at(fd, 0, min(SEARCH_FILE_BYTES, budget["bytes"]))
            finally:
                os.close(fd)
            budget["bytes"] -= len(data)
            text = None if looks_binary(data) else decode_text(data, True, True)
            if text is None:
                budget["skipped"] += 1
            else:
                texts.append((prefix + entry.name, text))


def _excerpt(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 200 else line[:200] + "…"


def _literal_search(query: str, ignore_case: bool, files: list[tuple[str, str]]) -> list[str]:
    needle = query.casefold() if ignore_case else query
    found: list[str] = []
    for rel, text in files:
        for number, line in enumerate(text.splitlines(), 1):
            if needle in (line.casefold() if ignore_case else line):
                found.append(f"{rel}:{number}: {_excerpt(line)}")
                if len(found) >= SEARCH_MATCH_LIMIT:
                    return found
    return found


_REGEX_WORKER = """
import json, re, sys
spec = json.loads(sys.stdin.readline())
pattern = re.compile(spec["pattern"], re.IGNORECASE if spec["ignore_case"] else 0)
count = 0
for raw in sys.stdin:
    item = json.loads(raw)
    for number, line in enumerate(item["text"].splitlines(), 1):
        if pattern.search(line):
            print(json.dumps([item["path"], number, line]), flush=True)
            count += 1
            if count >= spec["limit"]:
                sys.exit(0)
"""


async def _regex_search(pattern: str, ignore_case: bool,
                        files: list[tuple[str, str]]) -> list[str]:
    import re

    try:
        re.compile(pattern)
    except re.error as exc:
        raise WorkspaceError(f"invalid regular expression: {exc}") from None
    header = {"pattern": pattern, "ignore_case": ignore_case, "limit": SEARCH_MATCH_LIMIT}
    payload = "\n".join([json.dumps(header),
                         *(json.dumps({"path": p, "text": t}) for p, t in files)]) + "\n"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-c", _REGEX_WORKER, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={"PATH": os.defpath, "LANG": "C.UTF-8"})
    try:
        out, _err = await asyncio.wait_for(process.communicate(payload.encode()),
                                           SEARCH_REGEX_SECONDS)
    except TimeoutError:
        raise WorkspaceError(f"the regular expression took longer than "
                             f"{SEARCH_REGEX_SECONDS:g} s; simplify it") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    found = []
    for line in out.decode("utf-8", errors="replace").splitlines():
        rel, number, text = json.loads(line)
        found.append(f"{rel}:{number}: {_excerpt(text)}")
    return found
