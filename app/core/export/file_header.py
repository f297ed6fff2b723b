"""The header every AgentDesk file starts with (``format`` and ``version``),
checked the same way for agent, workflow and conversations files."""

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
    check_version(data, latest=latest, kind=kind, error=error, source=source,
                  newer_note=newer_note)
    return data


def check_version(data: dict[str, Any], *, latest: int, kind: str,
                  error: Callable[[str], Exception], source: str = "",
                  newer_note: str = "") -> int:
    """``data["version"]`` when this AgentDesk reads it (1..``latest``); else
    raises ``error(message)``, the message led by ``source`` when given."""
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise error(f"{source} has an invalid format version {version!r}" if source
                    else f"invalid format version {version!r}")
    if version > latest:
        raise error(f"{source + ' was ' if source else ''}written by a newer AgentDesk "
                    f"({kind} file version {version}; this one reads up to {latest})"
                    f"{newer_note}")
    return version
