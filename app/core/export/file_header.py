"""The header every AgentDesk file starts with (``format`` and ``version``),
checked the same way for agent and workflow files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def check_header(data: Any, source: str, *, fmt: str, latest: int, kind: str,
                 error: Callable[[str], Exception], newer_note: str = "") -> dict[str, Any]:
    """``data`` when it is a ``fmt`` document of a version this AgentDesk reads
    (1..``latest``); else raises ``error(message)`` saying what is wrong."""
    if not isinstance(data, dict) or data.get("format") != fmt:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise error(f"{source} is not an AgentDesk {kind} file "
                    f"(format {found!r}, expected {fmt!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise error(f"{source} has an invalid format version {version!r}")
    if version > latest:
        raise error(f"{source} was written by a newer AgentDesk ({kind} file "
                    f"version {version}; this one reads up to {latest}){newer_note}")
    return data
