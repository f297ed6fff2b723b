"""Recording a conversation durably while a reply streams in.

The durability contract (docs/ARCHITECTURE.md):

* a user message is committed before any request leaves — ``record_user_message``
  returns only after the commit;
* an assistant reply is inserted with status ``streaming`` before the first token,
  its content is written at most once per flush interval while it grows (and no
  later than one interval after a token arrived, even if the stream then stalls),
  and it is finalised in one transaction with its status, usage, model and provider
  (and ``meta["duration_ms"]``, the time from its insert to its end);
* a reply cut short by a crash keeps what was flushed; ``Store`` marks it
  ``partial`` when the database is next opened.

``ReplyRecorder.append`` sits on the hot path of every token: it only accumulates
text and, when a flush is due, starts one on the store's serial worker without
waiting for it. At most one flush is in flight; further requests while it runs
coalesce into one more flush that writes whatever the content is by then.

Whoever records a turn and must react to its steps (the chat session turns
them into its events) passes ``RecordingHooks``: each hook is called on the
event loop's thread right after the write it reports is committed, in the
order of the writes. That is the recorders' one seam: nobody subclasses them
or reaches into their state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain import Message, MessageStatus, ToolCallRecord, UsageStats
from app.domain.attachments import Attachment
from app.domain.message import FINAL_STATUSES
from app.settings import AppSettings
from app.store import AsyncStore
from app.store.message_tree import AT_LEAF

#: Where a message attaches: a message id, None (it starts the conversation)
#: or ``AT_LEAF`` (after the end of the shown branch, the usual case).
Parent = Any

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# Called on the event loop's thread after each flush commit: (message id, length).
FlushListener = Callable[[int, int], None]

DEFAULT_FLUSH_SECONDS: float = AppSettings.model_fields["stream_flush_seconds"].default


@dataclass(frozen=True)
class RecordingHooks:
    """What a ConversationRecorder reports, each right after its commit (on the
    event loop's thread, in the order of the writes). All optional."""

    #: The user's message is committed (``record_user_message``).
    user_message: Callable[[Message], None] | None = None
    #: A reply's ``streaming`` message was inserted (``start_reply``); every
    #: text appended to that recorder belongs to it.
    reply_started: Callable[[ReplyRecorder], None] | None = None
    #: Some of a reply's content was flushed: (message id, length).
    content_flushed: FlushListener | None = None
    #: A reply's final state is written (once per reply, however often
    #: ``finish`` is called, and even if the caller was cancelled meanwhile).
    reply_finished: Callable[[Message], None] | None = None


NO_HOOKS = RecordingHooks()


class ConversationRecorder:
    """Writes the messages of conversations through an ``AsyncStore``."""

    def __init__(self, store: AsyncStore, *, flush_interval: float | None = None,
                 clock: Clock = time.monotonic, hooks: RecordingHooks = NO_HOOKS) -> None:
        interval = DEFAULT_FLUSH_SECONDS if flush_interval is None else flush_interval
        if interval <= 0:
            raise ValueError("flush_interval must be positive")
        self._store = store
        self.flush_interval = interval
        self._clock = clock
        self.hooks = hooks

    @classmethod
    def from_settings(cls, store: AsyncStore, settings: AppSettings,
                      **kwargs: Any) -> ConversationRecorder:
        return cls(store, flush_interval=settings.stream_flush_seconds, **kwargs)

    async def record_user_message(self, conversation_id: int, text: str,
                                  agent_revision: int | None = None, *,
                                  parent_id: Parent = AT_LEAF,
                                  meta: Mapping[str, Any] | None = None,
                                  attachments: Sequence[Attachment] = ()) -> Message:
        """Insert the user's message (with its attachments); returns only once
        it is committed. ``parent_id``: an edited message's parent, so the edit
        is a new version; ``meta``: facts about it (a workflow step's input
        names who asked)."""
        message = Message(conversation_id=conversation_id, role="user", content=text,
                          status="complete", agent_revision=agent_revision,
                          meta=dict(meta or {}), attachments=list(attachments))
        stored = await self._store.run(lambda s: s.messages.add(message, parent_id=parent_id))
        if self.hooks.user_message is not None:
            self.hooks.user_message(stored)
        return stored

    async def record_tool_result(self, conversation_id: int, call_id: str, content: str,
                                 *, is_error: bool = False,
                                 agent_revision: int | None = None,
                                 status: MessageStatus | None = None,
                                 meta: dict[str, Any] | None = None) -> Message:
        """Insert a tool's result as a ``tool`` message (committed on return).

        ``status`` overrides the one ``is_error`` implies (e.g. ``cancelled``);
        ``meta`` holds facts such as the tool's name and duration.
        """
        message = Message(conversation_id=conversation_id, role="tool", content=content,
                          tool_call_id=call_id,
                          status=status or ("error" if is_error else "complete"),
                          agent_revision=agent_revision, meta=meta or {})
        return await self._store.run(lambda s: s.messages.add(message))

    async def start_reply(self, conversation_id: int, agent_revision: int | None,
                          model: str | None, provider: str | None, *,
                          on_flushed: FlushListener | None = None,
                          parent_id: Parent = AT_LEAF,
                          meta: Mapping[str, Any] | None = None) -> ReplyRecorder:
        """Insert an empty ``streaming`` assistant message and return its recorder.
        ``parent_id``: the user message of a regenerated reply (a new version);
        ``on_flushed``: instead of the hooks' ``content_flushed``; ``meta``:
        stored from the insert on and kept by ``finish`` (a workflow step's
        agent, so even a reply cut by a crash says who spoke)."""
        message = Message(conversation_id=conversation_id, role="assistant",
                          status="streaming", model=model, provider=provider,
                          agent_revision=agent_revision, meta=dict(meta or {}))
        stored = await self._store.run(lambda s: s.messages.add(message, parent_id=parent_id))
        reply = ReplyRecorder(self._store, stored, flush_interval=self.flush_interval,
                              clock=self._clock,
                              on_flushed=on_flushed or self.hooks.content_flushed,
                              on_finished=self.hooks.reply_finished)
        if self.hooks.reply_started is not None:
            self.hooks.reply_started(reply)
        return reply


class ReplyRecorder:
    """The growing assistant message of one reply.

    Create it with ``ConversationRecorder.start_reply``. Use it from the event
    loop's thread only.
    """

    def __init__(self, store: AsyncStore, message: Message, *, flush_interval: float,
                 clock: Clock, on_flushed: FlushListener | None = None,
                 on_finished: Callable[[Message], None] | None = None) -> None:
        if message.id is None:
            raise ValueError("the reply's message must be stored first")
        self._store = store
        self.message = message
        self.flush_interval = flush_interval
        self._clock = clock
        self._on_flushed = on_flushed
        self._on_finished = on_finished
        self._loop = asyncio.get_running_loop()

        self._parts: list[str] = []
        self._length = 0             # characters appended so far
        self._thinking: list[str] = []
        self._tool_calls: list[ToolCallRecord] = []

        self._started_at = clock()      # the reply's start: its duration is from here
        self._last_flush_at = clock()   # when the newest flush was requested
        self._flushed_length = 0        # content length of the newest committed flush
        self._written_length = 0        # content length of the newest flush started
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_again = False
        self._timer: asyncio.TimerHandle | None = None
        self._final_task: asyncio.Task[Message] | None = None
        self.flush_count = 0
        self.last_flush_error: BaseException | None = None

    # -- what has been recorded --------------------------------------------------
    @property
    def message_id(self) -> int:
        assert self.message.id is not None
        return self.message.id

    @property
    def content(self) -> str:
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def thinking(self) -> str:
        return "".join(self._thinking)

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        return list(self._tool_calls)

    @property
    def flushed_length(self) -> int:
        """Length of the content that the newest committed flush wrote."""
        return self._flushed_length

    @property
    def flush_pending(self) -> bool:
        """True while a flush is being written."""
        return self._flush_task is not None and not self._flush_task.done()

    @property
    def finished(self) -> bool:
        return self._final_task is not None

    # -- the hot path ----------------------------------------------------------------
    def append(self, text: str) -> None:
        """Add streamed text. Never waits; may start a flush in the background."""
        self._check_open()
        if not text:
            return
        self._parts.append(text)
        self._length += len(text)
        self._content_grew()

    def append_thinking(self, text: str) -> None:
        """Add reasoning text; it is stored in ``meta["thinking"]`` when finished."""
        self._check_open()
        self._thinking.append(text)

    def add_tool_call(self, call: ToolCallRecord) -> None:
        """Record a tool call the model asked for; stored when finished."""
        self._check_open()
        self._tool_calls.append(call)

    def _check_open(self) -> None:
        if self._final_task is not None:
            raise RuntimeError(f"reply {self.message_id} is already finished")

    def _content_grew(self) -> None:
        elapsed = self._clock() - self._last_flush_at
        if elapsed >= self.flush_interval:
            self._request_flush()
        elif self._timer is None:
            # Make sure this text reaches the disk even if no token follows it.
            self._timer = self._loop.call_later(self.flush_interval - elapsed,
                                                self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._final_task is None and self._dirty():
            self._request_flush()

    def _dirty(self) -> bool:
        return self._length != self._written_length

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _request_flush(self) -> None:
        self._cancel_timer()
        self._last_flush_at = self._clock()
        if self.flush_pending:
            self._flush_again = True    # coalesce: the running flush is followed by one
        else:
            self._flush_task = self._loop.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            self._flush_again = False
            content = self.content          # the newest text at the moment of writing
            self._written_length = len(content)
            message_id = self.message_id
            try:
                await self._store.run(lambda s: s.messages.set_content(message_id, content))
            except Exception as exc:  # noqa: BLE001 — reported and retried, see below
                # The next growth (or finish) writes again; nothing is lost in memory.
                self.last_flush_error = exc
                self._written_length = -1   # still dirty: a later request rewrites
                log.warning("flushing reply %s failed: %s", message_id, exc)
            else:
                self.last_flush_error = None
                self.flush_count += 1
                self._flushed_length = len(content)
                if self._on_flushed is not None:
                    self._on_flushed(message_id, len(content))
            if not self._flush_again or self._final_task is not None:
                return

    # -- explicit flush and finish ---------------------------------------------------
    async def flush(self) -> None:
        """Write the current content now and wait until it is committed.

        Raises the store's error if that write failed.
        """
        self._check_open()
        if self._dirty():
            self._request_flush()
        await self._wait_for_flushes()
        if self.last_flush_error is not None:
            raise self.last_flush_error

    async def _wait_for_flushes(self) -> None:
        while self._flush_task is not None and not self._flush_task.done():
            await asyncio.shield(self._flush_task)

    async def finish(self, status: MessageStatus, *, usage: UsageStats | None = None,
                     error: str | None = None, model: str | None = None,
                     provider: str | None = None,
                     meta: dict[str, Any] | None = None) -> Message:
        """Write the final content and state in one transaction, after any flush.

        The write runs in its own task: cancelling the caller does not stop it,
        so the database is left consistent. Calling ``finish`` again returns the
        result of the first call.
        """
        if self._final_task is None:
            if status not in FINAL_STATUSES:
                raise ValueError(f"{status!r} is not a final status")
            self._cancel_timer()
            self._final_task = self._loop.create_task(
                self._write_final(status, usage, error, model, provider, meta))
        return await asyncio.shield(self._final_task)

    async def _write_final(self, status: MessageStatus, usage: UsageStats | None,
                           error: str | None, model: str | None, provider: str | None,
                           meta: dict[str, Any] | None) -> Message:
        self._flush_again = False
        if self._flush_task is not None and not self._flush_task.done():
            await asyncio.wait([self._flush_task])
        content = self.content
        merged_meta = dict(self.message.meta)
        if meta:
            merged_meta.update(meta)
        if self._thinking:
            merged_meta["thinking"] = self.thinking
        # From the reply's start, whenever it is shown (a view that attached
        # mid-reply, a reload) — not from when a view began drawing it.
        merged_meta.setdefault("duration_ms",
                               round((self._clock() - self._started_at) * 1000, 1))
        tool_calls = list(self._tool_calls) if self._tool_calls else None
        message_id = self.message_id

        def write(store) -> Message:
            return store.messages.finalize(
                message_id, status=status, content=content, usage=usage, error=error,
                tool_calls=tool_calls, model=model, provider=provider,
                meta=merged_meta or None)

        final = await self._store.run(write)
        self.message = final
        self._flushed_length = len(content)
        if self._on_finished is not None:
            self._on_finished(final)
        return final
