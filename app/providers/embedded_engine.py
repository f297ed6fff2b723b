"""The in-process llama.cpp engine behind the embedded provider.

One ``Engine`` per (model file, context size), shared by every provider that
points at that file and reference-counted: the model is loaded once, on a
worker thread, and freed when the last provider closes — or, when that
provider asks to keep it (``keep_seconds``, from the setting
``engine.keep_loaded_minutes``), after it has stayed unused that long, so
the next reply (a new provider object per turn) does not load it again.
llama.cpp contexts are not thread-safe, so an engine runs one generation at
a time (its ``generation_lock``); further requests queue on their own worker
threads, and tell their consumer that they wait (``Waiting`` / ``Started``).

The guards here are threading locks, not asyncio locks, because one engine
may serve several event loops (the GUI's, a CLI run, tests) and all blocking
waits happen on worker threads, never on an event loop thread.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.providers.base import ProviderError
from app.providers.embedded_chat import chat_setup, token_text
from app.providers.gguf_file import is_gguf
from app.providers.llama_logs import route_llama_logs

log = logging.getLogger(__name__)

NOT_INSTALLED = "the embedded engine is not installed — reinstall with the `local` extra"
DEFAULT_N_CTX = 4096
THREAD_PREFIX = "agentdesk-embedded-generation"
_POLL_SECONDS = 0.05  # how often a queued generation looks at its stop flag

_CACHE: dict[tuple[str, int], Engine] = {}
_CACHE_LOCK = threading.Lock()
_THREAD_NUMBERS = itertools.count(1)


def import_llama_cpp() -> Any:
    """The llama_cpp module, or ProviderError(server) when it is missing."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ProviderError("server", NOT_INSTALLED) from exc
    except (OSError, RuntimeError) as exc:  # installed, but its native library fails
        raise ProviderError("server", f"the embedded engine could not start: {exc}") from exc
    route_llama_logs(llama_cpp)      # its log lines to our log, not the terminal
    return llama_cpp


def check_model_file(path: Path) -> None:
    """Raise ProviderError unless ``path`` is an existing GGUF file."""
    if not path.is_file():
        raise ProviderError(
            "not_found",
            f"model file not found: {path} — choose an existing .gguf file for this provider",
        )
    if not is_gguf(path):
        raise ProviderError(
            "server", f"{path} is not a GGUF model file (it lacks the GGUF header)"
        )


class Engine:
    """One loaded llama.cpp model. Use through ``acquire_engine``."""

    def __init__(self, path: Path, n_ctx: int) -> None:
        self.path = path
        self.n_ctx = n_ctx
        self.llama: Any = None
        self.chat_format: str | None = None
        self.formatter: Any = None  # a Jinja2ChatFormatter of the model's template
        self.refs = 0
        self.generation_lock = threading.Lock()
        self.workers: set[threading.Thread] = set()  # live generation threads
        self.loaded_on: str | None = None  # the thread that loaded the model
        self.load_count = 0  # times the model file was loaded (tests, diagnostics)
        self._load_lock = threading.Lock()
        self._unload_timer: threading.Timer | None = None  # guarded by _CACHE_LOCK

    @property
    def loaded(self) -> bool:
        return self.llama is not None

    @property
    def busy(self) -> bool:
        """True while a generation holds the model."""
        return self.generation_lock.locked()

    def ensure_loaded(self) -> None:
        """Load the model unless loaded (blocking: call on a worker thread)."""
        with self._load_lock:
            if self.llama is not None:
                return
            llama_cpp = import_llama_cpp()
            check_model_file(self.path)
            try:
                llama = llama_cpp.Llama(
                    model_path=str(self.path), n_ctx=self.n_ctx, verbose=False,
                    n_threads=os.cpu_count() or 1,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ProviderError(
                    "server", f"the embedded engine could not load {self.path.name}: {exc}"
                ) from exc
            self.chat_format, self.formatter = chat_setup(
                llama.metadata or {}, llama.token_eos(), llama.token_bos(),
                lambda token: token_text(llama, token))
            if self.formatter is not None:
                llama.chat_handler = self.formatter.to_chat_handler()
            else:
                llama.chat_format = self.chat_format
            self.loaded_on = threading.current_thread().name
            self.load_count += 1
            self.llama = llama

    def count_prompt_tokens(self, messages: list[dict], tools: list[dict] | None) -> int | None:
        """Prompt length in tokens, where the chat format is known to us
        (cheap: formatting and tokenizing only). Call while holding the model."""
        formatter = self._formatter()
        if formatter is None:
            return None
        from jinja2 import TemplateError  # installed with llama_cpp

        try:
            result = formatter(messages=messages, tools=tools)
            tokens = self.llama.tokenize(result.prompt.encode("utf-8"),
                                         add_bos=not result.added_special, special=True)
        except (ValueError, TypeError, KeyError, TemplateError) as exc:
            log.debug("prompt token count unavailable: %s", exc)
            return None
        return len(tokens)

    def _formatter(self) -> Callable | None:
        from llama_cpp import llama_chat_format

        if self.formatter is not None:
            return self.formatter
        if self.chat_format == "gemma":
            return llama_chat_format.format_gemma
        if self.chat_format == "chatml":
            return llama_chat_format.format_chatml
        return None

    def close(self) -> None:
        """Free the model, after any running generation (blocking)."""
        with self.generation_lock:
            llama, self.llama = self.llama, None
        if llama is not None:
            llama.close()


def acquire_engine(path: Path, n_ctx: int) -> Engine:
    """The loaded engine for ``path`` (blocking: call on a worker thread).

    Each successful call takes one reference; give it back with
    ``release_engine``. An engine kept after its last release is taken up
    again (its unload is called off). Raises ProviderError when the model
    cannot load."""
    key = (str(path), n_ctx)
    with _CACHE_LOCK:
        engine = _CACHE.get(key)
        if engine is None:
            engine = _CACHE[key] = Engine(path, n_ctx)
        engine.refs += 1
        _cancel_unload(engine)
    try:
        engine.ensure_loaded()
    except BaseException:
        release_engine(engine)
        raise
    return engine


def release_engine(engine: Engine, keep_seconds: float = 0.0) -> None:
    """Give back one reference. The last one frees the model (blocking) —
    at once, or after ``keep_seconds`` without anyone taking it again."""
    with _CACHE_LOCK:
        engine.refs -= 1
        if engine.refs > 0:
            return
        if keep_seconds > 0 and engine.loaded:
            _cancel_unload(engine)
            timer = threading.Timer(keep_seconds, _unload_if_idle, args=(engine,))
            timer.name = f"agentdesk-embedded-unload-{engine.path.name}"
            timer.daemon = True
            engine._unload_timer = timer
            timer.start()
            return
        _forget(engine)
    engine.close()


def _cancel_unload(engine: Engine) -> None:
    """Call off a pending idle unload (hold _CACHE_LOCK)."""
    timer, engine._unload_timer = engine._unload_timer, None
    if timer is not None:
        timer.cancel()


def _forget(engine: Engine) -> None:
    """Take ``engine`` out of the cache (hold _CACHE_LOCK)."""
    key = (str(engine.path), engine.n_ctx)
    if _CACHE.get(key) is engine:
        del _CACHE[key]


def _unload_if_idle(engine: Engine) -> None:
    """The idle time ran out: free the model unless it was taken again."""
    with _CACHE_LOCK:
        # Taken again, or a newer timer replaced this one while it fired.
        if engine.refs > 0 or engine._unload_timer is not threading.current_thread():
            return
        engine._unload_timer = None
        _forget(engine)
    log.info("embedded model %s unloaded after its idle time", engine.path.name)
    engine.close()


def unload_idle_engines() -> int:
    """Free every model that is only kept for its idle time (at exit; tests).
    Returns how many were freed."""
    with _CACHE_LOCK:
        idle = [engine for engine in _CACHE.values()
                if engine.refs <= 0 and engine._unload_timer is not None]
        for engine in idle:
            _cancel_unload(engine)
            _forget(engine)
    for engine in idle:
        engine.close()
    return len(idle)


# A kept model is freed before the interpreter tears down llama.cpp.
atexit.register(unload_idle_engines)


def loaded_engine(path: Path, n_ctx: int) -> Engine | None:
    """The engine for ``path`` if it is loaded now (never loads)."""
    with _CACHE_LOCK:
        engine = _CACHE.get((str(path), n_ctx))
    return engine if engine is not None and engine.loaded else None


class Failure:
    """What ended a generation early, as posted to the event loop."""

    def __init__(self, error: ProviderError) -> None:
        self.error = error


class PromptTokens:
    def __init__(self, count: int | None) -> None:
        self.count = count


class Waiting:
    """Posted when the model is busy with another generation: this one waits."""


class Started:
    """Posted when a generation that waited got the model."""


END = object()  # the last item a generation posts


class Generation:
    """One ``create_chat_completion`` run on its own thread, its chunks fed
    into an asyncio.Queue on ``loop``. Setting ``stop`` ends it after the
    current chunk (or before it starts, while it still waits for the model)."""

    def __init__(self, engine: Engine, kwargs: dict, loop: asyncio.AbstractEventLoop) -> None:
        self.engine = engine
        self.kwargs = kwargs
        self.queue: asyncio.Queue = asyncio.Queue()
        self.stop = threading.Event()
        self._loop = loop
        self._finished: asyncio.Future = loop.create_future()
        self.thread = threading.Thread(
            target=self._run, name=f"{THREAD_PREFIX}-{next(_THREAD_NUMBERS)}", daemon=True
        )

    def start(self) -> None:
        self.engine.workers.add(self.thread)
        self.thread.start()

    async def wait_finished(self, grace: float) -> None:
        """Wait (without blocking the loop) until the worker has let go of the
        model. A worker still busy after ``grace`` seconds (a long prompt being
        read cannot be interrupted) finishes on its own; the lock keeps the
        next request waiting until then."""
        try:
            await asyncio.wait_for(asyncio.shield(self._finished), grace)
        except TimeoutError:
            log.warning("embedded generation still finishing after %.1fs", grace)
            return
        self.thread.join(1.0)  # it has posted its last message: ends at once

    def _post(self, item: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening
            self.stop.set()

    def _run(self) -> None:
        try:
            self._generate()
        except ProviderError as exc:
            self._post(Failure(exc))
        except Exception as exc:  # an engine failure must reach the consumer
            log.exception("embedded generation failed")
            self._post(Failure(_classify(exc)))
        finally:
            self.engine.workers.discard(self.thread)
            self._post(END)
            try:
                self._loop.call_soon_threadsafe(_resolve, self._finished)
            except RuntimeError:  # loop closed: no one waits for this generation
                log.debug("embedded generation ended after its event loop closed")

    def _generate(self) -> None:
        lock = self.engine.generation_lock
        waited = not lock.acquire(blocking=False)
        if waited:
            self._post(Waiting())
            while not lock.acquire(timeout=_POLL_SECONDS):
                if self.stop.is_set():
                    return
            self._post(Started())
        try:
            llama = self.engine.llama
            if llama is None:
                raise ProviderError("server", "the embedded model was unloaded")
            if self.stop.is_set():
                return
            self._post(PromptTokens(self.engine.count_prompt_tokens(
                self.kwargs["messages"], self.kwargs.get("tools"))))
            stream = llama.create_chat_completion(**self.kwargs)
            try:
                for chunk in stream:
                    if self.stop.is_set():
                        break
                    self._post(chunk)
            finally:
                stream.close()
        finally:
            lock.release()


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _classify(exc: Exception) -> ProviderError:
    text = str(exc)
    if "exceed context window" in text:
        return ProviderError("context_length", f"the conversation is too long for the "
                             f"embedded model: {text}")
    return ProviderError("server", f"the embedded engine failed: {text or type(exc).__name__}")
