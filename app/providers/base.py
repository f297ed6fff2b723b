"""The provider contract: what every wire-protocol module offers the core.

A provider turns a ``ChatRequest`` into a stream of run events
(app.domain.events). Expected failures (server down, bad key, rate limit, a
stream cut mid-way) are *yielded* as an ``Error`` event, never raised, so the
runner can decide about fallback. Cancelling the consumer (closing the async
generator) closes the HTTP stream at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.domain import ChatRequest, Error, ModelInfo, ProbeResult, ProviderConfig, RunEvent
from app.domain.events import ErrorKind
from app.logs import redact


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``first_byte`` covers the wait until the first chunk of the
    reply body (a local model may be loading); ``idle`` the longest gap
    between two chunks after that."""

    connect: float = 5.0
    first_byte: float = 120.0
    idle: float = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for refused connections and 429/502/503, before any token."""

    attempts: int = 3  # total tries, including the first
    backoff: float = 0.5  # seconds, doubled each retry
    max_wait: float = 30.0  # a Retry-After longer than this is not waited for


@dataclass(frozen=True)
class ReplyLimits:
    """Bounds on one reply, enforced by app/providers/limits.py.
    ``reply_bytes``: its text and thinking (UTF-8 bytes);
    ``tool_argument_bytes``: the arguments of one tool call (as JSON text);
    ``reply_seconds``: the whole reply, whatever the server's pace (the idle
    timeout only bounds each gap, so a trickle would otherwise never end)."""

    reply_bytes: int = 4 * 1024 * 1024
    tool_argument_bytes: int = 256 * 1024
    reply_seconds: float = 30 * 60.0

    @property
    def body_bytes(self) -> int:
        """The most a non-streamed reply's whole JSON body may be: twice what
        its text and one call's arguments may be (JSON escaping), plus room
        for the envelope."""
        return 2 * (self.reply_bytes + self.tool_argument_bytes) + 64 * 1024


@dataclass(frozen=True)
class ProviderOptions:
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_line_bytes: int = 4 * 1024 * 1024  # a longer stream line is a protocol error
    #: The most a plain (not streamed) JSON answer may be, e.g. a model list.
    max_body_bytes: int = 16 * 1024 * 1024
    limits: ReplyLimits = field(default_factory=ReplyLimits)
    #: Seconds an in-process model stays loaded after its last use (0: freed at once).
    keep_loaded_seconds: float = 0.0


class ProviderError(Exception):
    """An expected failure, classified. Raised inside providers; leaves them
    as an ``Error`` event (streams) or is raised to the caller (metadata)."""

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool = False,
                 retry_after: float | None = None, status: int | None = None) -> None:
        # Neither a URL in the message (the label "X at <base URL>", an httpx
        # error naming the request) nor a server that echoes the key it was sent
        # ("Incorrect API key provided: sk-…") carries a key out: the message
        # ends up in the window, the terminal, the log and stored error replies.
        message = redact(message)
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status

    def to_event(self) -> Error:
        return Error(kind=self.kind, message=self.message, retryable=self.retryable,
                     retry_after=self.retry_after)


class ChatProvider(ABC):
    """One configured provider instance (one base URL / engine)."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None) -> None:
        self.config = config
        self.options = options or ProviderOptions()

    @property
    def name(self) -> str:
        return self.config.name

    @abstractmethod
    def stream_chat(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        """Yield run events for one model call, ending with ``Done`` or ``Error``."""

    @abstractmethod
    async def list_models(self) -> list[ModelInfo]:
        """Models this provider serves, with what is known about each.

        Raises ProviderError when the provider cannot be asked."""

    @abstractmethod
    async def probe(self) -> ProbeResult:
        """One cheap request that shows the provider is there (and accepts our
        key). Raises ProviderError otherwise. Used for connection tests."""

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """One vector per text from ``model`` (app/providers/embeddings.py).
        Raises ProviderError (``not_found`` where the protocol has no embeddings)."""
        raise ProviderError("not_found", f"{self.name} cannot make embeddings")

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections and engines."""
