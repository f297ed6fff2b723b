"""What an AgentRunner (app/core/runner.py) is given and what it gives back.

* ``RunnerDeps``: what a turn works with — the store, the settings, the
  providers, the recorder, the tools, who approves ``ask`` tools and the
  models known. Each optional one has a default the runner builds itself
  (and closes at the end, where it built it).
* ``RunConfig``: what to run — one message to one agent in one conversation,
  where it attaches (versions, app/store/message_tree.py) and the turn's limits.
* ``RunResult``: what the turn recorded, once it ended (``AgentRunner.result``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.fallback import ProviderSource
from app.core.history_turns import HistoryWindow
from app.core.recorder import ConversationRecorder, Parent
from app.core.tools.base import Approver, ToolRegistry, deny_all
from app.domain import AgentSpec, ChatRequest, Message, ModelInfo
from app.domain.attachments import Attachment
from app.domain.chat import ToolChoice
from app.settings import AppSettings
from app.store import AsyncStore
from app.store.message_tree import AT_LEAF


@dataclass(frozen=True)
class RunnerDeps:
    """The services a turn uses.

    ``providers``: provider objects by configuration (default: a pool of its
    own, closed at the end); ``recorder``: writes the messages (default: from
    the settings); ``tools``: the registry (default: the agent toolbox, closed
    at the end); ``approver``: answers ``ask`` tools (default: deny);
    ``models``: what is known about models, for ``auto`` routing and context
    lengths (default: an ``auto`` agent's providers are asked).
    """

    store: AsyncStore
    settings: AppSettings
    providers: ProviderSource | None = None
    recorder: ConversationRecorder | None = None
    tools: ToolRegistry | None = None
    approver: Approver = deny_all
    models: Sequence[ModelInfo] | None = None


@dataclass(frozen=True)
class RunConfig:
    """One turn: ``text`` from the user to ``agent`` in ``conversation_id``.

    ``reply_to`` answers a stored user message again (Regenerate: no new user
    message; the reply is a new version beside the earlier ones; ``text`` is
    ignored); ``parent_id`` attaches the new user message elsewhere than after
    the shown branch (an edit: the edited message's parent). Limits left None
    follow the settings: ``max_rounds`` of tools, the ``context_tokens``
    window; ``tool_choice`` applies to the first round only (e.g. a forced
    tool); ``history_page`` is the first page of history read.
    """

    agent: AgentSpec
    conversation_id: int
    text: str = ""
    reply_to: Message | None = None
    parent_id: Parent = AT_LEAF
    max_rounds: int | None = None
    context_tokens: int | None = None
    tool_choice: ToolChoice | None = None
    history_page: int | None = None
    at_leaf: bool = False
    stamp: Mapping[str, Any] | None = None
    #: Files attached to the new user message (ignored with ``reply_to``).
    attachments: tuple[Attachment, ...] = ()

    @property
    def message(self) -> str:
        """The user's message this turn answers."""
        return self.reply_to.content if self.reply_to is not None else self.text

    @property
    def message_attachments(self) -> tuple[Attachment, ...]:
        """The attachments of the user's message this turn answers."""
        return tuple(self.reply_to.attachments) if self.reply_to is not None \
            else self.attachments


@dataclass(frozen=True)
class RunResult:
    """What one turn recorded (also when it was cancelled or failed: as far as
    it came)."""

    #: The user's message (the stored one for a regenerate); None if the
    #: turn ended before it was recorded.
    user_message: Message | None
    #: One assistant message per round that ended, in order.
    rounds: tuple[Message, ...]
    #: The last assistant message written (a cancelled round's too).
    final: Message | None
    #: The tool results recorded, in order.
    tool_messages: tuple[Message, ...]
    #: The request of each round, as sent.
    requests: tuple[ChatRequest, ...]
    #: The earlier history loaded for the requests.
    window: HistoryWindow | None
    #: Tools the agent names that could not be offered.
    tool_problems: tuple[str, ...]
