"""Agents as versioned, portable JSON files (shared by the CLI and the window).

File format (version 1)::

    {"format": "agentdesk.agent", "version": 1, "agent": AgentSpec.portable()}

The file carries no database identity and no secrets. Reading validates the
whole file before anything is written, so a bad file never changes the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.export.file_header import check_header
from app.core.export.agent_grants import AgentGrants, with_grants, withhold_grants
from app.domain import AgentSpec
from app.store import Store
from app.domain.validation_text import describe_validation_error

FORMAT = "agentdesk.agent"
VERSION = 1
MAX_FILE_BYTES = 1_000_000
MAX_NAME_TRIES = 1000  # an agent is a few KB; anything this big is not one
# Store-assigned fields: ignored if a hand-edited file carries them.
_IDENTITY_FIELDS = ("id", "revision", "created_at", "updated_at")


class AgentFileError(ValueError):
    """The file is not a readable agent file; the message says why."""


def agent_document(spec: AgentSpec) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "agent": spec.portable()}


def agent_json(spec: AgentSpec) -> str:
    """The text of an agent file."""
    return json.dumps(agent_document(spec), ensure_ascii=False, indent=2) + "\n"


def is_agent_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def parse_agent_document(data: Any, source: str) -> AgentSpec:
    """Validate a decoded agent file; raises AgentFileError saying what is wrong."""
    data = check_header(data, source, fmt=FORMAT, latest=VERSION, kind="agent",
                        error=AgentFileError, newer_note=" — please update")
    agent = data.get("agent")
    if not isinstance(agent, dict):
        raise AgentFileError(f"{source} has no 'agent' object")
    values = {k: v for k, v in agent.items() if k not in _IDENTITY_FIELDS}
    try:
        return AgentSpec.model_validate(values)
    except ValidationError as exc:
        raise AgentFileError(f"invalid agent in {source}: "
                             f"{describe_validation_error(exc, AgentSpec)}") from None


def parse_agent_text(text: str, source: str) -> AgentSpec:
    """An agent from the text of an agent file; raises AgentFileError."""
    if len(text) > MAX_FILE_BYTES:
        raise AgentFileError(f"{source} is too large to be an agent file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentFileError(f"{source} is not valid JSON: {exc.msg} "
                             f"(line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:   # a nesting bomb ("[[[[…"): json gives up, not a ValueError
        raise AgentFileError(f"{source} is nested too deeply to be an agent file") from None
    return parse_agent_document(data, source)


def read_agent_file(path: Path, source: str | None = None) -> AgentSpec:
    """An agent from the agent file at ``path`` (read bounded: never more than
    ``MAX_FILE_BYTES``); raises AgentFileError naming ``source`` (default: the path)."""
    source = source or str(path)
    try:
        text = read_bounded(path, MAX_FILE_BYTES)
    except BoundedReadError as exc:
        if exc.problem == "too_large":
            raise AgentFileError(f"{source} is too large to be an agent file") from None
        raise AgentFileError(f"cannot read {source}: {exc.reason or exc.detail}") from None
    return parse_agent_text(text, source)


def missing_providers(spec: AgentSpec, known: set[str]) -> list[str]:
    """Providers the agent (or its fallbacks) names that are not configured here."""
    return sorted({name for name in [spec.provider, *(f.provider for f in spec.fallbacks)]
                   if name and name not in known})


def free_name(name: str, taken: Callable[[str], bool], what: str = "agents") -> str:
    """``name``, or ``name (2)``, ``name (3)`` … whichever is not ``taken``
    (an import never changes what is already there)."""
    if not taken(name):
        return name
    for number in range(2, MAX_NAME_TRIES):
        candidate = f"{name[:240]} ({number})"
        if not taken(candidate):
            return candidate
    raise AgentFileError(f"too many {what} are named {name!r}")


def free_agent_name(store: Store, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)`` … whichever no agent has yet."""
    return free_name(name, lambda n: store.agents.find_by_name(n) is not None)


def import_agent(store: Store, spec: AgentSpec, *, grant: bool = False
                 ) -> tuple[AgentSpec, list[str], AgentGrants]:
    """Create the agent under a free name (nothing existing is changed); returns
    it, the providers it names that are not configured here, and what it asked
    for and did not get (agent_grants.py: never a workspace; tool policies
    looser than the defaults only with ``grant``, which the person chose)."""
    safe, withheld = withhold_grants(spec)
    if grant:
        safe, withheld = with_grants(safe, withheld), AgentGrants(workspace=withheld.workspace)
    safe = safe.model_copy(update={"name": free_agent_name(store, spec.name)})
    created = store.agents.create(safe)
    missing = missing_providers(created, {p.name for p in store.providers.list()})
    return created, missing, withheld
