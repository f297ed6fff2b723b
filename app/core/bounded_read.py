"""One bounded read of a file someone named: a file dropped on the composer, an
export to import, an agent file, a custom tool file.

Such a file is untrusted: it may be huge, binary, not UTF-8, a folder, gone
by the time it is opened, or one of the store's own SQLite files (opening
those drops the store's locks — app/domain/live_files.py). ``read_bounded``
refuses the live database files, refuses a file over ``limit`` bytes before
reading it, never reads more than ``limit + 1`` bytes (a file that grows
after ``stat`` is still caught) and, for text, refuses NUL bytes and what is
not UTF-8. Every refusal is one ``BoundedReadError`` whose ``problem`` says
which; callers word it for their reader (or use its own sentence).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

from app.domain.live_files import refuse_live

ReadProblem = Literal["unreadable", "not_a_file", "too_large", "binary", "not_text"]

#: How much of the start is looked at for NUL bytes (what makes a file binary).
SNIFF_BYTES = 8192
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")   # NULs expected: "not UTF-8", not "binary"


class BoundedReadError(ValueError):
    """The file cannot be read as asked; ``problem`` says why.

    ``str()`` is a sentence naming the file (``<name>: too large (...)``);
    ``size``/``limit`` are set for "too_large" (``size`` is None when the file
    grew past the limit while being read), ``offset`` for "not_text" (the first
    byte that is not UTF-8), ``reason`` for "unreadable" (the OS's words).
    """

    def __init__(self, path: Path, problem: ReadProblem, *, size: int | None = None,
                 limit: int | None = None, offset: int | None = None,
                 reason: str = "") -> None:
        self.path, self.problem = path, problem
        self.size, self.limit, self.offset, self.reason = size, limit, offset, reason
        super().__init__(f"{path.name}: {self.detail}")

    @property
    def detail(self) -> str:
        """What is wrong, without the file's name ("not a file", "too large (…)")."""
        if self.problem == "unreadable":
            return f"cannot be read ({self.reason})"
        if self.problem == "not_a_file":
            return "not a file"
        if self.problem == "too_large":
            limit = f"{self.limit:,}"
            return (f"too large (the limit is {limit} bytes)" if self.size is None
                    else f"too large ({self.size:,} bytes; the limit is {limit})")
        if self.problem == "binary":
            return "a binary file, not text"
        return "not UTF-8 text (binary or another encoding)"


@overload
def read_bounded(path: Path, limit: int, *, text: Literal[True] = ...) -> str: ...
@overload
def read_bounded(path: Path, limit: int, *, text: Literal[False]) -> bytes: ...


def read_bounded(path: Path, limit: int, *, text: bool = True) -> str | bytes:
    """The file's content, at most ``limit`` bytes: ``str`` (UTF-8, a BOM
    dropped, line ends as they are) or, with ``text=False``, ``bytes``.
    Raises BoundedReadError."""
    path = Path(path)
    try:
        refuse_live(path)          # opening it would drop the store's SQLite locks
        info = path.stat()
    except OSError as exc:
        raise BoundedReadError(path, "unreadable", reason=_reason(exc)) from None
    if not path.is_file():
        raise BoundedReadError(path, "not_a_file")
    if info.st_size > limit:
        raise BoundedReadError(path, "too_large", size=info.st_size, limit=limit)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BoundedReadError(path, "unreadable", reason=_reason(exc)) from None
    if len(data) > limit:
        raise BoundedReadError(path, "too_large", limit=limit)
    return decode_text(data, path) if text else data


def decode_text(data: bytes, path: Path) -> str:
    """``data`` as UTF-8 text (a BOM dropped); BoundedReadError "binary" for NUL
    bytes near the start, "not_text" for bytes that are not UTF-8."""
    if b"\0" in data[:SNIFF_BYTES] and not data.startswith(_UTF16_BOMS):
        raise BoundedReadError(path, "binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BoundedReadError(path, "not_text", offset=exc.start) from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
