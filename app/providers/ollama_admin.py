"""Ollama administration: pull a model with progress, delete one, and the
details the model library shows (capabilities, parameter size,
quantization, context length, size on disk).

Wire format as documented by Ollama (docs/api.md in ollama/ollama, "Pull a
Model", "Delete a Model", "Show Model Information", "List Local Models"), and
as its server writes it (server/download.go, server/routes.go):

- ``POST /api/pull`` ``{"model": name}`` answers an NDJSON stream:
  ``{"status": "pulling manifest"}``, then per layer
  ``{"status": "pulling <digest[7:19]>", "digest": "sha256:…", "total": n,
  "completed": k}`` (``completed`` may be missing until some arrived), then
  ``"verifying sha256 digest"``, ``"writing manifest"``, (older servers)
  ``"removing any unused layers"`` and ``"success"``. An error after the
  stream began is one ``{"error": "..."}`` line; before it, a status code with
  that body. Cancelling is closing the stream; pulling again resumes.
- ``DELETE /api/delete`` ``{"model": name}``: 200 with no body, or 404
  ``{"error": "model 'x' not found"}``.
- ``POST /api/show``: ``details`` (parameter_size, quantization_level,
  family), ``model_info`` (``<arch>.context_length``) and ``capabilities``
  (completion, tools, insert, vision, embedding, thinking, ...).
- ``GET /api/tags``: ``models[]`` with ``name`` and ``size`` (bytes).

Everything the server sends is untrusted data: statuses, names and
capabilities are cut to a bounded length and never interpreted; a line is
bounded by ``max_line_bytes`` and a whole pull by ``max_seconds``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.domain.events import ErrorKind
from app.logs import redact_url
from app.providers.base import ProviderError, ProviderOptions, Timeouts
from app.providers.limits import duration_text
from app.providers.ollama import native_base_url
from app.providers.ollama_models import context_length_of
from app.providers.ollama_reply import parse_line
from app.providers.transport import HttpTransport

PULL_SECONDS = 6 * 3600.0      # the longest one pull may run (a 40 GB model on a slow line)
PULL_IDLE_SECONDS = 300.0      # "verifying sha256 digest" of a big layer sends nothing for a while
ADMIN_LINE_BYTES = 1024 * 1024  # a pull status line is ~150 bytes
ADMIN_BODY_BYTES = 8 * 1024 * 1024
MAX_TEXT_CHARS = 200           # a status, digest, family... as shown
MAX_NAME_CHARS = 300
MAX_CAPABILITIES = 32

ProgressCallback = Callable[["PullProgress"], None]


class OllamaAdminError(ProviderError):
    """A pull, delete or show that did not work, in one line for a person."""


class NoSuchModel(OllamaAdminError):
    """The server has no model of that name (delete, show)."""

    def __init__(self, where: str, name: str) -> None:
        super().__init__("not_found", f"{where} has no model named {name!r}")
        self.model = name


class PullFailed(OllamaAdminError):
    """The pull stopped: an ``{"error": ...}`` line, a cut stream, a stream
    that ended before ``success``, or the duration bound."""


class ModelNameError(ValueError):
    """A model name that cannot be sent (empty, too long, control characters)."""


@dataclass(frozen=True)
class PullProgress:
    """One line of a pull, with the totals over every layer seen so far."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None
    overall_completed: int = 0
    overall_total: int = 0

    @property
    def fraction(self) -> float | None:
        """Share of the bytes seen so far that arrived (None before any layer)."""
        if self.overall_total <= 0:
            return None
        return min(1.0, self.overall_completed / self.overall_total)

    @property
    def success(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class OllamaModelDetails:
    """What the model library shows of one Ollama model."""

    name: str
    capabilities: tuple[str, ...] = ()
    parameter_size: str | None = None
    quantization: str | None = None
    family: str | None = None
    context_length: int | None = None
    size_bytes: int | None = None


def check_name(name: str) -> str:
    """``name`` stripped, or ModelNameError (never sent to the server then)."""
    name = (name or "").strip()
    if not name:
        raise ModelNameError("give the name of an Ollama model, like llama3.2 or qwen3:0.6b")
    if len(name) > MAX_NAME_CHARS:
        raise ModelNameError(f"a model name is at most {MAX_NAME_CHARS} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise ModelNameError("a model name has no spaces or control characters")
    return name


def _text(value: Any) -> str | None:
    """A string the server sent, bounded; None for anything else or empty."""
    if not isinstance(value, str) or not value:
        return None
    return value[:MAX_TEXT_CHARS]


def _count(value: Any) -> int | None:
    """A byte count: a non-negative int (not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _error_kind(message: str) -> ErrorKind:
    lowered = message.lower()
    if "not found" in lowered or "file does not exist" in lowered:
        return "not_found"
    return "server"


class _PullTally:
    """Totals over the layers of one pull (each digest counted once)."""

    def __init__(self) -> None:
        self._layers: dict[str, tuple[int, int]] = {}

    def feed(self, data: dict[str, Any], where: str) -> PullProgress:
        if "error" in data:
            message = str(data["error"])[:500]
            raise PullFailed(_error_kind(message), f"{where}: {message}")
        status = _text(data.get("status"))
        if status is None:
            raise PullFailed("protocol", f"{where} sent a pull line without a status")
        digest = _text(data.get("digest"))
        total, completed = _count(data.get("total")), _count(data.get("completed"))
        if digest and total is not None:
            self._layers[digest] = (total, min(completed or 0, total))
        return PullProgress(
            status=status, digest=digest, total=total, completed=completed,
            overall_completed=sum(done for _total, done in self._layers.values()),
            overall_total=sum(total for total, _done in self._layers.values()))


def _admin_options(options: ProviderOptions | None) -> ProviderOptions:
    base = options or ProviderOptions()
    t = base.timeouts
    return replace(base, timeouts=Timeouts(connect=t.connect, first_byte=t.first_byte,
                                           idle=max(t.idle, PULL_IDLE_SECONDS)),
                   max_line_bytes=min(base.max_line_bytes, ADMIN_LINE_BYTES),
                   max_body_bytes=min(base.max_body_bytes, ADMIN_BODY_BYTES))


class OllamaAdmin:
    """Administration of one Ollama server; ``async with OllamaAdmin(url) as admin``."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 options: ProviderOptions | None = None) -> None:
        self.base_url = native_base_url(base_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.label = f"Ollama at {redact_url(self.base_url)}"
        self._http = HttpTransport(self.base_url, headers=headers,
                                   options=_admin_options(options), label=self.label)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> OllamaAdmin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- pull ---------------------------------------------------------------------------
    async def pull(self, name: str, on_progress: ProgressCallback | None = None, *,
                   insecure: bool = False, max_seconds: float = PULL_SECONDS) -> PullProgress:
        """Pull ``name``, calling ``on_progress`` for each line; returns the
        ``success`` progress. Raises PullFailed (error line, cut or
        unfinished stream, over ``max_seconds``), NoSuchModel, ProviderError
        (unreachable, refused) and ModelNameError. Cancelling the task closes
        the stream, which is how Ollama is told to stop."""
        name = check_name(name)
        body: dict[str, Any] = {"model": name, "stream": True}
        if insecure:
            body["insecure"] = True
        tally = _PullTally()
        last: PullProgress | None = None
        try:
            async with asyncio.timeout(max_seconds):
                async with self._http.stream_lines("POST", "/api/pull", body) as lines:
                    async for line in lines:
                        if not line.strip():
                            continue
                        last = tally.feed(parse_line(line, self.label), self.label)
                        if on_progress is not None:
                            on_progress(last)
                        if last.success:
                            return last
        except TimeoutError:
            raise PullFailed("limit", f"the pull of {name!r} from {self.label} was still "
                             f"running after {duration_text(max_seconds)}, the limit; it was "
                             "stopped (pulling again resumes where it left off)") from None
        except OllamaAdminError:
            raise
        except ProviderError as error:
            if last is None:
                if error.status is None:
                    raise                  # unreachable, timed out: said as it is
                # An error before the first line comes with a status code.
                raise PullFailed(_error_kind(error.message), f"cannot pull {name!r}: {error}",
                                 status=error.status) from error
            raise PullFailed(error.kind, f"the pull of {name!r} stopped: {error} (pulling "
                             "again resumes where it left off)") from error
        raise PullFailed("protocol", f"{self.label} ended the pull of {name!r} before it "
                         "said success (pulling again resumes where it left off)")

    # -- delete -------------------------------------------------------------------------
    async def delete(self, name: str) -> None:
        """Delete ``name`` (NoSuchModel when the server has none of that name)."""
        name = check_name(name)
        try:
            # Success is 200 with no body, so the body is read as lines, not JSON.
            async with self._http.stream_lines("DELETE", "/api/delete",
                                               {"model": name}) as lines:
                async for _line in lines:
                    pass
        except ProviderError as error:
            if error.status == 404 or error.kind == "not_found":
                raise NoSuchModel(self.label, name) from error
            raise

    # -- details ------------------------------------------------------------------------
    async def sizes(self) -> dict[str, int]:
        """Size on disk (bytes) of each local model, from ``/api/tags``."""
        data = await self._http.request_json("GET", "/api/tags")
        found: dict[str, int] = {}
        for entry in _entries(data):
            name = _text(entry.get("name")) or _text(entry.get("model"))
            size = _count(entry.get("size"))
            if name and size is not None:
                found[name] = size
        return found

    async def show(self, name: str, *, size_bytes: int | None = None) -> OllamaModelDetails:
        """Capabilities, parameter size, quantization and context length of
        ``name`` (NoSuchModel when there is none)."""
        name = check_name(name)
        try:
            data = await self._http.request_json("POST", "/api/show", {"model": name})
        except ProviderError as error:
            if error.status == 404 or error.kind == "not_found":
                raise NoSuchModel(self.label, name) from error
            raise
        if not isinstance(data, dict):
            raise OllamaAdminError("protocol", f"{self.label} described {name!r} in an "
                                   "unknown format")
        return details_of(name, data, size_bytes)

    async def details(self, name: str) -> OllamaModelDetails:
        """``show`` completed with the size from ``/api/tags``."""
        sizes = await self.sizes()
        return await self.show(name, size_bytes=sizes.get(check_name(name)))

    async def models(self) -> list[OllamaModelDetails]:
        """Every local model with its details (a model whose ``show`` fails
        is listed with its size only, so one broken model hides nothing)."""
        sizes = await self.sizes()
        found: list[OllamaModelDetails] = []
        for name, size in sizes.items():
            try:
                found.append(await self.show(name, size_bytes=size))
            except (ProviderError, ModelNameError):
                found.append(OllamaModelDetails(name=name[:MAX_NAME_CHARS], size_bytes=size))
        return found


def _entries(data: Any) -> list[dict[str, Any]]:
    models = data.get("models") if isinstance(data, dict) else None
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def details_of(name: str, show: dict[str, Any], size_bytes: int | None = None
               ) -> OllamaModelDetails:
    """An ``/api/show`` answer as OllamaModelDetails (untrusted values bounded)."""
    details = show.get("details") if isinstance(show.get("details"), dict) else {}
    raw = show.get("capabilities")
    capabilities: list[str] = []
    for item in raw if isinstance(raw, list) else ():
        text = _text(item)
        if text and text not in capabilities and len(capabilities) < MAX_CAPABILITIES:
            capabilities.append(text[:40])
    return OllamaModelDetails(
        name=name, capabilities=tuple(capabilities),
        parameter_size=_text(details.get("parameter_size")),
        quantization=_text(details.get("quantization_level")),
        family=_text(details.get("family")),
        context_length=context_length_of(show),
        size_bytes=size_bytes)


# -- one call each, for callers that do one thing -------------------------------------------
async def pull(base_url: str, name: str, on_progress: ProgressCallback | None = None, *,
               api_key: str | None = None, options: ProviderOptions | None = None,
               max_seconds: float = PULL_SECONDS) -> PullProgress:
    async with OllamaAdmin(base_url, api_key=api_key, options=options) as admin:
        return await admin.pull(name, on_progress, max_seconds=max_seconds)


async def delete(base_url: str, name: str, *, api_key: str | None = None,
                 options: ProviderOptions | None = None) -> None:
    async with OllamaAdmin(base_url, api_key=api_key, options=options) as admin:
        await admin.delete(name)


async def show(base_url: str, name: str, *, api_key: str | None = None,
               options: ProviderOptions | None = None) -> OllamaModelDetails:
    async with OllamaAdmin(base_url, api_key=api_key, options=options) as admin:
        return await admin.details(name)
