"""Helpers shared by the command modules: errors, argument types, look-ups.

The look-ups and saves call app/ops and turn the store's typed errors into
one-line CLI errors.
"""

from __future__ import annotations

import argparse
import logging
import sys

from app.domain import AgentSpec, Conversation
from app.domain.validation_text import describe_validation_error  # noqa: F401 (re-exported)
from app.ops import agents, chats
from app.settings import AppSettings, SettingsError, load_settings
from app.store import DuplicateNameError, NotFoundError, Store

log = logging.getLogger(__name__)


def cli_message(text: str) -> str:
    """A message of an op (written as a sentence for the window, "Cannot write …")
    in the CLI's style ("cannot write …"); a name or acronym at the start
    ("LM Studio at …", "GGUF …") keeps its capitals."""
    if text[:1].isupper() and text[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


class CliError(Exception):
    """A failure to report as one line on stderr (exit code 1)."""


def message_argument(value: str) -> str:
    """A MESSAGE argument (``-``: read stdin); an empty message is an error."""
    text = sys.stdin.read() if value == "-" else value
    if not text.strip():
        raise CliError("the message is empty")
    return text


def command_settings(home: str | None) -> AppSettings:
    """The settings for a command that talks to models (a bad file: one line)."""
    try:
        return load_settings(home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None


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
    spec = agents.find(store, key)
    if spec is None:
        raise CliError(f"unknown agent {key!r} (no agent has this name or id; "
                       "see: agentdesk agents list)")
    return spec


def agent_name_taken(name: str) -> CliError:
    """The error for a name another agent already has."""
    return CliError(f"an agent named {name!r} already exists")


def save_new_agent(store: Store, spec: AgentSpec) -> AgentSpec:
    try:
        created = agents.create(store, spec)
    except DuplicateNameError:
        raise agent_name_taken(spec.name) from None
    log.info("agent created id=%s name=%r", created.id, created.name)
    return created


def save_agent_changes(store: Store, spec: AgentSpec) -> AgentSpec:
    """Store an edited agent (a new revision when anything changed)."""
    try:
        return agents.update(store, spec)
    except DuplicateNameError:
        raise agent_name_taken(spec.name) from None


def get_conversation(store: Store, conversation_id: int) -> Conversation:
    try:
        return chats.get(store, conversation_id)
    except NotFoundError:
        raise CliError(f"unknown conversation {conversation_id} "
                       "(see: agentdesk conversations list)") from None



