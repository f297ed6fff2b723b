"""Shared parts of the provider-fault suite (issue 21): the faults, the
server that injects them, short timeouts, and the event-loop sampler.

The faults are served by ``FaultServer`` (tests/providers/fault_server.py)
speaking OpenAI's SSE format, as llama.cpp's server does. One route answers
every chat request: the last user message names the fault to inject
(``[fault:NAME]``); a message without a marker gets a well-formed reply, so a
conversation can go on after each fault. "Refused" is the server stopped
(nothing listens on its port) and started again on the same port.

Timeouts are short here (``FAULT_SETTINGS``, written to the data folder's
settings file as a user would): the defaults bound a stall by 120 s before
the first byte / 60 s between bytes and a drip by 30 min per reply, which is
the same code path, only longer.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

from app.domain import AgentSpec, Message, ProviderConfig
from app.store import Store
from tests.providers.fault_server import (Exchange, FaultServer, Handler, json_reply,
                                          openai_chunk, sse_event, stall_after_headers,
                                          status, text_stream)

# Seconds. first_byte/idle: a stall is noticed after 3 s (default 120/60);
# the drip sends a byte every second, under the idle timeout, so only the
# reply's duration bound (default 30 min) can end it: 5 s here.
FAULT_SETTINGS: dict[str, Any] = {
    "timeouts": {"connect": 2.0, "first_byte": 3.0, "idle": 3.0},
    "limits": {"reply_seconds": 5.0},
}
PARTIAL_WORDS = ("Before the fault, ", "half a reply ", "arrived.")
PARTIAL = "".join(PARTIAL_WORDS)          # what a mid-stream fault leaves behind
GOOD_WORDS = ("All ", "good ", "again.")
GOOD = "".join(GOOD_WORDS)
MB = 1024 * 1024


def write_fault_settings(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps(FAULT_SETTINGS), encoding="utf-8")


def marked(text: str, fault: str) -> str:
    return f"{text} [fault:{fault}]"


# -- the faults -------------------------------------------------------------------------

def _partial_events() -> bytes:
    head = [openai_chunk(role="assistant", content="")] + [openai_chunk(w) for w in PARTIAL_WORDS]
    return b"".join(sse_event(e) for e in head)


def _reset_mid_stream(ex: Exchange) -> None:
    ex.send_head(200, {"Content-Type": "text/event-stream"})
    ex.write(_partial_events())
    ex.stall(0.2)                         # the client has read the text: then RST
    ex.reset()


def _malformed_frame(ex: Exchange) -> None:
    ex.send_head(200, {"Content-Type": "text/event-stream"})
    ex.write(_partial_events())
    ex.write(b'data: {"choices": [{"index": 0, "delta": {"content": "cut sh\n\n')
    ex.write(sse_event("[DONE]"))
    ex.end()


def _drip(ex: Exchange) -> None:
    """The partial text, then the next event one byte per second (for a
    minute, far past the 5 s bound: the client must give up first)."""
    ex.send_head(200, {"Content-Type": "text/event-stream"})
    ex.write(_partial_events())
    event = sse_event(openai_chunk("never finished"))
    for byte in event[:60]:
        ex.write(bytes([byte]), delay=1.0)   # BrokenPipe once the client gives up
    ex.end()


@functools.cache
def _ten_mb_event() -> bytes:
    # Made once, before any fault is timed: the server thread shares the
    # test process's GIL, and building 10 MB of JSON there would hold the
    # window's thread up (the heartbeat would measure the test, not the app).
    return sse_event(openai_chunk("x" * (10 * MB)))


def _ten_mb_line(ex: Exchange) -> None:
    """The partial text, then one SSE line of 10 MB (sent in 64 KB writes)."""
    ex.send_head(200, {"Content-Type": "text/event-stream"})
    ex.write(_partial_events())
    line = _ten_mb_event()
    for start in range(0, len(line), 64 * 1024):
        ex.write(line[start:start + 64 * 1024])
    ex.end()


@dataclass(frozen=True)
class Fault:
    name: str
    expected: str            # the words of the error message that say what happened
    partial: str             # the text that arrived before the fault
    handler: Handler | None  # None: nothing listens (refused)


FAULTS: tuple[Fault, ...] = (
    Fault("refused", "cannot connect to", "", None),
    Fault("http_500", "failed (500)", "",
          status(500, {"error": {"message": "internal server error", "type": "server_error"}})),
    Fault("http_429", "rate-limiting", "",
          status(429, {"error": {"message": "slow down", "type": "rate_limit_error"}},
                 headers={"Retry-After": "120"})),   # longer than we wait: at once
    Fault("stall_after_headers", "sent nothing for 3 s before the first token "
          "(setting timeouts.first_byte)", "",
          stall_after_headers(60.0)),
    Fault("reset_mid_stream", "closed the connection in the middle of the reply", PARTIAL,
          _reset_mid_stream),
    Fault("malformed_frame", "not JSON", PARTIAL, _malformed_frame),
    Fault("drip", "still sending after 5 s", PARTIAL, _drip),
    Fault("ten_mb_line", "line longer than 4 MB", PARTIAL, _ten_mb_line),
)



def fault_sequence() -> list[Fault]:
    """The faults in the order a test injects them: once each, or 10 rounds
    with ``AGENTDESK_RELIABILITY_LONG=1`` (the count is printed)."""
    rounds = 10 if os.environ.get("AGENTDESK_RELIABILITY_LONG") == "1" else 1
    return list(FAULTS) * rounds


# The ninth fault, the real llama.cpp server killed mid-reply and started
# again, is run by each test file against its own server (KILLED_EXPECTED).
KILLED_EXPECTED = "closed the connection in the middle of the reply"


def _dispatch(ex: Exchange) -> None:
    body = ex.request.json or {}
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    last = users[-1].get("content", "") if users else ""
    text = last if isinstance(last, str) else json.dumps(last)
    for fault in FAULTS:
        if f"[fault:{fault.name}]" in text and fault.handler is not None:
            fault.handler(ex)
            return
    text_stream(GOOD_WORDS)(ex)


class FaultyProvider:
    """An OpenAI-compatible server injecting ``FAULTS``; ``refuse()`` stops
    it (connections refused), ``come_back()`` starts it on the same port."""

    def __init__(self) -> None:
        _ten_mb_event()
        self.server = self._start(0)
        self.port = self.server.port
        self.chat_requests = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _start(self, port: int) -> FaultServer:
        server = FaultServer(port)
        server.route("GET", "/v1/models",
                     json_reply({"object": "list", "data": [{"id": "gemma3", "object": "model",
                                                             "owned_by": "test"}]}))
        server.route("POST", "/v1/chat/completions", self._count_and_dispatch)
        return server.start()

    def _count_and_dispatch(self, ex: Exchange) -> None:
        self.chat_requests += 1
        _dispatch(ex)

    def refuse(self) -> None:
        self.server.stop()

    def come_back(self) -> None:
        self.server = self._start(self.port)

    def close(self) -> None:
        self.server.stop()


# -- the event loop, watched ---------------------------------------------------------------

@contextmanager
def frozen_start_heap() -> Iterator[None]:
    """What ``run_app`` does once the window is drawn (app/gc_pause.py): one
    full collection, then every object alive is frozen out of the collector's
    reach. Without it, a full collection during a timed fault would walk
    everything the test process built so far (earlier tests included) — a
    pause the app does not have."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class LoopSampler(QObject):
    """A 10 ms heartbeat on the GUI thread: the gap between two ticks is how
    long the event loop could not run a timer (at least the 10 ms interval).
    For each gap it also keeps the GUI thread's own CPU time spent in it:
    a gap the thread spent computing is the app blocking the loop; a gap with
    little CPU is the process waiting for a core (2 shared cores in CI)."""

    INTERVAL_MS = 10

    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self.ticks = 0
        self.max_gap_ms = 0.0
        self.max_cpu_ms = 0.0
        self._last = self._last_cpu = 0.0

    def start(self) -> None:
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.ticks += 1
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self.max_cpu_ms = max(self.max_cpu_ms, (cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu


# -- the real server, killed and started again ------------------------------------------------

class RestartableLlama:
    """The real llama.cpp server (tests/support/llama_server.py) in a process
    of its own that a test may SIGKILL and start again on the same port."""

    def __init__(self, log_dir: Path) -> None:
        from tests.support.llama_server import start_llama_server

        self._start = start_llama_server
        self._log_dir = log_dir
        self.starts = 0
        self.server = self._start(self._next_log_dir())
        self.port = self.server.port

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def _next_log_dir(self) -> Path:
        self.starts += 1
        folder = self._log_dir / f"start-{self.starts}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients. Not waited for here: the window
        test calls this on the GUI thread while the loop is being timed."""
        self.server.process.kill()

    def start_again(self) -> None:
        self.server.process.wait(timeout=10)
        self.server = self._start(self._next_log_dir(), port=self.port)

    def stop(self) -> None:
        if self.server.process.poll() is None:
            self.server.stop()


# -- what a fault must leave behind ----------------------------------------------------------

def stored_path(db: Path, conversation_id: int) -> list[Message]:
    """The conversation's shown branch as stored."""
    with Store(db) as store:
        return store.messages.path_all(conversation_id)


def losses_between(before: list[Message], after: list[Message]) -> int:
    """Earlier messages missing or changed (counted, not asserted, so the
    summary line says how many)."""
    now = {m.id: (m.role, m.content, m.status) for m in after}
    return sum(1 for m in before if now.get(m.id) != (m.role, m.content, m.status))


def failed_turn_losses(db: Path, cid: int, before: list[Message], sent: str,
                       partial: str | None) -> tuple[int, Message, list[Message]]:
    """The losses of a turn a fault ended (earlier messages changed, the
    user's message or the text that arrived before the fault not kept), the
    stored reply and the whole stored branch. ``partial`` None: the reply
    must be partial with some text (a real model's words, not known in
    advance); "" means nothing arrived (the reply is an error)."""
    stored = stored_path(db, cid)
    losses = losses_between(before, stored)
    user, reply = stored[-2], stored[-1]
    losses += user.role != "user" or user.content != sent
    assert reply.role == "assistant" and reply.error, reply
    if partial is None:
        losses += not (reply.status == "partial" and reply.content)
    else:
        losses += reply.content != partial
        assert reply.status == ("partial" if partial else "error"), reply
    return losses, reply, stored


def went_on_losses(before: list[Message], after: list[Message], faults: int) -> int:
    """After every fault the chat goes on: the good turn that followed is
    stored whole, after the first turn and one turn per fault; returns the
    earlier messages lost or changed meanwhile."""
    assert [(m.role, m.content, m.status) for m in after[-2:]] == [
        ("user", "Still there?", "complete"), ("assistant", GOOD, "complete")]
    assert len(after) == 2 * (faults + 2)
    return losses_between(before, after)


def check_clear(text: str, expected: str) -> list[str]:
    """What is wrong with an error text shown to a person (empty: fine)."""
    problems = []
    if expected not in text:
        problems.append(f"does not say {expected!r}")
    if "Traceback" in text or "\n" in text.strip() or len(text) > 400:
        problems.append("not one short line")
    return problems


def seed_chat(db: Path, base_url: str, *, max_tokens: int) -> tuple[AgentSpec, int, list[Message]]:
    """A llama.cpp provider at ``base_url``, an agent on it, and a chat with
    one earlier exchange (the messages a fault must not touch)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=base_url, is_local=True))
        agent = store.agents.create(AgentSpec(name="Gemma", provider="llama", model="gemma3",
                                              max_tokens=max_tokens, temperature=0.2))
        conversation = store.conversations.create(agent.id, "Earlier chat")
        earlier = [store.messages.add(Message(conversation_id=conversation.id, role=role,
                                              content=text, status="complete"))
                   for role, text in (("user", "An earlier question."),
                                      ("assistant", "An earlier answer."))]
    return agent, conversation.id, earlier
