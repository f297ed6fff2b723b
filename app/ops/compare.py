"""Compare (issue 19): which columns a compare runs, and keeping the chosen answer.

The fan-out itself is ``app/core/compare.CompareRun`` (async, Qt-free); these
ops are the store's side, used by ``agentdesk compare`` and the window's
compare mode alike:

* ``columns`` turns agent names/ids and ``PROVIDER:MODEL`` texts into
  ``CompareColumn``s (a model column runs the first agent's settings on that
  model), refusing unknown agents and providers with a ``CompareError``;
* ``provider_configs`` is what ``CompareRun`` routes over;
* ``keep`` records a finished compare as a normal conversation of the chosen
  column's agent: the user's message, then every column that produced text as
  a reply to it — the chosen one last, so it is the shown version and the
  others are its other versions (◀ n/m ▶ in the window, ``version i of n`` in
  ``conversations show``). Each reply keeps its model, provider, usage and
  ``meta["compare"]`` (column, agent, label; the chosen one also every
  column's metrics and status, failed ones included). A chosen column on
  another model switches the agent to that model (a new revision, as the
  model bar does), so the conversation continues with the chosen model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.compare import MAX_COLUMNS, ColumnOutcome, CompareColumn
from app.domain import AgentSpec, Conversation, Message, MessageStatus, ProviderConfig
from app.ops import agents as agent_ops
from app.ops import chats
from app.store import Store

#: A column's status as the stored reply's status.
_STORED_STATUS: dict[str, MessageStatus] = {"complete": "complete", "cancelled": "cancelled",
                                            "error": "partial", "streaming": "partial"}


class CompareError(ValueError):
    """A compare that cannot run or be kept, worded for a person."""


@dataclass(frozen=True)
class KeptCompare:
    """A compare recorded as a conversation: the chosen reply is its shown one."""

    conversation: Conversation
    agent: AgentSpec
    user_message: Message
    reply: Message
    others: tuple[Message, ...]


def provider_configs(store: Store) -> list[ProviderConfig]:
    return store.providers.list()


def parse_model(text: str) -> tuple[str, str]:
    """``PROVIDER:MODEL`` (the model may contain ':' itself, e.g. ``llama3:8b``)."""
    provider, sep, model = text.partition(":")
    if not sep or not provider.strip() or not model.strip():
        raise CompareError(f"expected PROVIDER:MODEL, got {text!r}")
    return provider.strip(), model.strip()


def columns(store: Store, agent_keys: Sequence[str], models: Sequence[str] = ()
            ) -> list[CompareColumn]:
    """One column per agent (name or id), then one per ``PROVIDER:MODEL``
    (the first agent on that model). Between 2 and ``MAX_COLUMNS`` in all."""
    if not agent_keys:
        raise CompareError("name at least one agent")
    found: list[AgentSpec] = []
    for key in agent_keys:
        agent = agent_ops.find(store, key)
        if agent is None:
            raise CompareError(f"no agent named {key!r}")
        found.append(agent)
    result = [CompareColumn(agent) for agent in found]
    for text in models:
        provider, model = parse_model(text)
        result.append(model_column(store, found[0], provider, model))
    if len(result) < 2:
        raise CompareError("a compare needs at least two columns (agents or models)")
    if len(result) > MAX_COLUMNS:
        raise CompareError(f"a compare takes at most {MAX_COLUMNS} columns, "
                           f"got {len(result)}")
    return result


def chosen_columns(store: Store, choices: Sequence[tuple[int | None, str | None]]
                   ) -> list[CompareColumn]:
    """The window's columns: (agent id, ``PROVIDER:MODEL`` or None for the
    agent's own model) each; 2 to ``MAX_COLUMNS``."""
    if not 2 <= len(choices) <= MAX_COLUMNS:
        raise CompareError(f"a compare takes 2 to {MAX_COLUMNS} columns")
    result = []
    for index, (agent_id, model_text) in enumerate(choices):
        if agent_id is None:
            raise CompareError(f"choose an agent for column {index + 1}")
        agent = agent_ops.get(store, agent_id)
        if model_text:
            provider, model = parse_model(model_text)
            result.append(model_column(store, agent, provider, model))
        else:
            result.append(CompareColumn(agent))
    return result


def model_column(store: Store, agent: AgentSpec, provider: str | None,
                 model: str | None) -> CompareColumn:
    """``agent`` on ``provider``/``model`` (None: the agent's own model)."""
    if not model:
        return CompareColumn(agent)
    provider = provider or agent.provider
    config = store.providers.find_by_name(provider)
    if config is None:
        raise CompareError(f"no provider named {provider!r}")
    return CompareColumn(agent, config.name, model)


def keep(store: Store, message: str, outcomes: Sequence[ColumnOutcome],
         chosen: int) -> KeptCompare:
    """Record the compare with column ``chosen`` (0-based) as the reply."""
    if not 0 <= chosen < len(outcomes):
        raise CompareError(f"there is no column {chosen + 1}")
    pick = outcomes[chosen]
    if not pick.finished:
        raise CompareError("that column is still answering")
    if not pick.text:
        raise CompareError("that column has no answer to continue with")
    summary = [_column_meta(index, outcome) for index, outcome in enumerate(outcomes)]
    column = pick.column
    with store.db.atomic():
        agent = agent_ops.get(store, column.agent.id or 0)
        if column.overrides_model and (agent.provider, agent.model) != (column.provider,
                                                                        column.model):
            agent = agent_ops.update(store, agent.model_copy(
                update={"provider": column.provider, "model": column.model}))
        conversation = chats.start(store, agent.id or 0, message)
        user = store.messages.add(Message(
            conversation_id=conversation.id or 0, role="user", content=message,
            agent_revision=agent.revision or None), parent_id=None)
        others = tuple(
            store.messages.add(_reply(conversation.id or 0, outcome, index, agent),
                               parent_id=user.id)
            for index, outcome in enumerate(outcomes)
            if index != chosen and outcome.text)
        reply = _reply(conversation.id or 0, pick, chosen, agent)
        reply.meta["compare"].update(chosen=True, columns=summary)
        reply = store.messages.add(reply, parent_id=user.id)
    return KeptCompare(chats.get(store, conversation.id or 0), agent, user, reply, others)


def _reply(conversation_id: int, outcome: ColumnOutcome, index: int,
           agent: AgentSpec) -> Message:
    same_agent = outcome.column.agent.id == agent.id
    meta: dict[str, Any] = {"compare": {"column": index, "agent": outcome.column.agent.name,
                                        "label": outcome.column.label}}
    if outcome.duration_ms is not None:
        meta["duration_ms"] = outcome.duration_ms
    if outcome.stop_reason:
        meta["stop_reason"] = outcome.stop_reason
    return Message(conversation_id=conversation_id, role="assistant", content=outcome.text,
                   status=_STORED_STATUS.get(outcome.status, "partial"),
                   model=outcome.model, provider=outcome.provider, usage=outcome.usage(),
                   error=outcome.error,
                   agent_revision=(agent.revision or None) if same_agent else None,
                   meta=meta)


def _column_meta(index: int, outcome: ColumnOutcome) -> dict[str, Any]:
    usage = outcome.usage()
    return {"column": index, "label": outcome.column.label,
            "agent": outcome.column.agent.name, "provider": outcome.provider,
            "model": outcome.model, "status": outcome.status, "error": outcome.error,
            "tokens": usage.completion_tokens, "ttft_ms": usage.ttft_ms,
            "tokens_per_s": usage.tokens_per_s, "duration_ms": outcome.duration_ms}
