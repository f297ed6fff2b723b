"""Finding and reading the files of a knowledge source, hostile ones included.

A source is a file or a folder a person added. Folders are walked without
trusting them: symbolic links to folders are followed once (a folder already
seen by device and inode is a loop, reported, not walked again), a folder that
cannot be listed, a file that cannot be read, a binary file named ``.txt``, a
file over the size limit and a zip-based document whose members would expand
past the limit (a zip bomb, refused by the document converter) each become one
per-file error; the rest of the source is indexed. Text is read with
``app.core.bounded_read`` (never more than the limit, the open database's own
files refused); PDF, Office and HTML files go through ``app.core.documents``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core.bounded_read import BoundedReadError, decode_text, read_bounded
from app.core.documents import DocumentError, DocumentLimits, convert_file

#: Text and source code read as they are (Markdown split by headings).
TEXT_SUFFIXES = frozenset({
    ".txt", ".md", ".markdown", ".rst", ".org", ".csv", ".tsv", ".json", ".yaml", ".yml",
    ".toml", ".ini", ".cfg", ".log", ".tex", ".py", ".pyi", ".js", ".ts", ".tsx", ".jsx",
    ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php",
    ".swift", ".scala", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".r", ".lua", ".pl",
    ".css", ".scss", ".xml", ".svg", ".vue", ".dart", ".m", ".hs", ".ex", ".exs", ".clj",
})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
#: Documents turned into text by the document converter (app/core/documents),
#: which also refuses zip bombs and oversized files before unpacking them.
DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx", ".pptx", ".xlsx", ".xlsm", ".html", ".htm",
                               ".xhtml"})
INDEXED_SUFFIXES = TEXT_SUFFIXES | DOCUMENT_SUFFIXES

MAX_TEXT_BYTES = DocumentLimits().max_text_file_bytes     # one text file (16 MB)
MAX_DOCUMENT_BYTES = DocumentLimits().max_file_bytes      # one PDF/Office file (64 MB)
MAX_FILES_PER_SOURCE = 100_000


class FileProblem(Exception):
    """A file that cannot be indexed; ``str()`` says why, for a person."""


@dataclass(frozen=True)
class Found:
    """A file under a source, with what tells a change (before reading it)."""

    path: str
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Unusable:
    """A path under a source that cannot be indexed (a loop, no permission...)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Section:
    """A stretch of a file's text and where it is."""

    text: str
    location: str = ""
    page: int | None = None


def walk_source(source: str) -> Iterator[Found | Unusable]:
    """Every indexable file of a source (a file or a folder), and every path
    under it that cannot be indexed. Hidden files and folders are skipped."""
    root = Path(source)
    try:
        info = root.stat()
    except OSError as exc:
        yield Unusable(source, _os_reason(exc))
        return
    if stat.S_ISREG(info.st_mode):
        yield Found(str(root), info.st_mtime_ns, info.st_size)
        return
    if not stat.S_ISDIR(info.st_mode):
        yield Unusable(source, "not a file or folder")
        return
    seen: set[tuple[int, int]] = set()
    pending = [root]
    count = 0
    while pending:
        folder = pending.pop()
        try:
            here = folder.stat()
        except OSError as exc:
            yield Unusable(str(folder), _os_reason(exc))
            continue
        key = (here.st_dev, here.st_ino)
        if key in seen:
            yield Unusable(str(folder), "symbolic link loop (this folder is already indexed)")
            continue
        seen.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Unusable(str(folder), _os_reason(exc))
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                entry_info = entry.stat()      # follows links; a loop raises ELOOP
            except OSError as exc:
                if Path(entry.name).suffix.lower() in INDEXED_SUFFIXES or entry.is_symlink():
                    yield Unusable(entry.path, _os_reason(exc))
                continue
            if stat.S_ISDIR(entry_info.st_mode):
                subfolders.append(Path(entry.path))
            elif stat.S_ISREG(entry_info.st_mode) and \
                    Path(entry.name).suffix.lower() in INDEXED_SUFFIXES:
                count += 1
                if count > MAX_FILES_PER_SOURCE:
                    yield Unusable(str(folder), f"more than {MAX_FILES_PER_SOURCE:,} files: "
                                   "the rest of this folder is left out")
                    return
                yield Found(entry.path, entry_info.st_mtime_ns, entry_info.st_size)
        pending.extend(reversed(subfolders))


def read_file(path: str) -> tuple[bytes, str]:
    """The file's bytes (bounded) and their SHA-256. Raises FileProblem."""
    suffix = Path(path).suffix.lower()
    limit = MAX_DOCUMENT_BYTES if suffix in DOCUMENT_SUFFIXES else MAX_TEXT_BYTES
    try:
        data = read_bounded(Path(path), limit, text=False)
    except BoundedReadError as exc:
        raise FileProblem(_bounded_reason(exc)) from None
    return data, hashlib.sha256(data).hexdigest()


def sections_of(path: str, data: bytes) -> list[Section]:
    """The text of a file's bytes, in sections. Raises FileProblem."""
    suffix = Path(path).suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return _document_sections(path)
    try:
        text = decode_text(data, Path(path))
    except BoundedReadError as exc:
        raise FileProblem(_bounded_reason(exc)) from None
    if suffix in MARKDOWN_SUFFIXES:
        return markdown_sections(text)
    return [Section(text)]


def markdown_sections(text: str) -> list[Section]:
    """Markdown split at its ATX headings; each section located by its heading
    path ("Install › Linux"). Headings inside fenced code are not headings."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False

    def flush() -> None:
        body = "".join(lines).strip()
        if body:
            sections.append(Section(body, " › ".join(title for _, title in path)))
        lines.clear()

    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        level = len(stripped) - len(stripped.lstrip("#"))
        if not fenced and 1 <= level <= 6 and stripped[level:level + 1] in (" ", "\t"):
            flush()
            title = stripped[level:].strip().strip("#").strip()[:200]
            path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
            lines.append(line)
            continue
        lines.append(line)
    flush()
    return sections


def _document_sections(path: str) -> list[Section]:
    """A PDF/Office/HTML file's sections from the document converter, each
    located by its page (slide) or heading."""
    try:
        document = convert_file(path, DocumentLimits())
    except DocumentError as exc:
        raise FileProblem(exc.detail) from None
    return [Section(section.text, section.location.removeprefix("heading "), section.page)
            for section in document.sections if section.text.strip()]


def _bounded_reason(exc: BoundedReadError) -> str:
    if exc.problem == "unreadable" and "ermission" in exc.reason:
        return "permission denied: AgentDesk may not read this file"
    return exc.detail


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "not found (removed, or a broken link)"
    return exc.strerror or str(exc)
