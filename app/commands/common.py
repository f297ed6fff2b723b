"""Helpers shared by the command modules: errors, argument types, look-ups."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping

from pydantic import BaseModel, ValidationError

from app.domain import AgentSpec, Conversation
from app.store import DuplicateNameError, NotFoundError, Store

log = logging.getLogger(__name__)


class CliError(Exception):
    """A failure to report as one line on stderr (exit code 1)."""


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1 (a bad value is a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def resolve_agent(store: Store, key: str) -> AgentSpec:
    """An agent by name (case-insensitive) or, failing that, by numeric id."""
    spec = store.agents.find_by_name(key)
    if spec is not None:
        return spec
    if key.strip().isdigit():
        try:
            return store.agents.get(int(key))
        except NotFoundError:
            pass  # fall through to the error below, which names both ways
    raise CliError(f"unknown agent {key!r} (no agent has this name or id; "
                   "see: agentdesk agents list)")


def save_new_agent(store: Store, spec: AgentSpec) -> AgentSpec:
    try:
        created = store.agents.create(spec)
    except DuplicateNameError:
        raise CliError(f"an agent named {spec.name!r} already exists") from None
    log.info("agent created id=%s name=%r", created.id, created.name)
    return created


def get_conversation(store: Store, conversation_id: int) -> Conversation:
    try:
        return store.conversations.get(conversation_id)
    except NotFoundError:
        raise CliError(f"unknown conversation {conversation_id} "
                       "(see: agentdesk conversations list)") from None


def all_conversations(store: Store, agent_id: int | None = None) -> list[Conversation]:
    """Every conversation (archived too), read page by page."""
    found: list[Conversation] = []
    page = 500
    while True:
        batch = store.conversations.list(agent_id, include_archived=True, limit=page,
                                         offset=len(found))
        found.extend(batch)
        if len(batch) < page:
            return found


def describe_validation_error(exc: ValidationError, model: type[BaseModel],
                              options: Mapping[str, str] | None = None) -> str:
    """One line saying what is wrong, naming the option and its allowed range.

    The range comes from the model's own field constraints, so the message can
    never disagree with what the model accepts.
    """
    options = options or {}
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        label = options.get(field, field or "value")
        bounds = _bounds(model, field)
        if bounds and error["type"] in _RANGE_ERRORS:
            low, high = bounds
            allowed = (f"between {low} and {high}" if high is not None
                       else f"at least {low}")
            parts.append(f"invalid {label} {error['input']!r}: must be {allowed}")
        else:
            where = ".".join(str(part) for part in error["loc"][1:])
            detail = f" ({where})" if where else ""
            parts.append(f"invalid {label}{detail}: {error['msg']}")
    return "; ".join(parts)


_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than",
                 "finite_number"}


def _bounds(model: type[BaseModel], field: str) -> tuple[object, object | None] | None:
    info = model.model_fields.get(field)
    if info is None:
        return None
    low = high = None
    for item in info.metadata:
        low = getattr(item, "ge", getattr(item, "gt", low))
        high = getattr(item, "le", getattr(item, "lt", high))
    return None if low is None else (low, high)
