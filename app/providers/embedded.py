"""The embedded provider: llama.cpp in-process (llama-cpp-python) on one GGUF file.

No server: the model is loaded lazily, on a worker thread, the first time it
is needed, and kept loaded after the reply for ``options.keep_loaded_seconds``
(see app.providers.embedded_engine); every generation runs on its own worker
thread whose chunks are fed into the asyncio loop. Before the first token a
reply may report ``Status`` events: ``loading_model`` while the file loads,
``waiting_engine`` while another request holds the model, ``generating`` once
this one has it. Each request is sampled with its own seed (the request's,
or a random one), so a regenerated reply differs at a temperature above 0. The chunks
are OpenAI-shaped dicts and become run events through the OpenAI-compatible
path's own parser (openai_chunks.ChunkParser): TextDelta/ThinkingDelta, whole
ToolCalls, one Usage, then Done. Closing the stream (or cancelling its task)
stops the generation after the current token and frees the model for the next
request.

Needs the ``local`` extra; without it every call reports, in plain words,
that the engine is not installed.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    ModelInfo,
    ProbeResult,
    ProviderConfig,
    RunEvent,
    Status,
    TextDelta,
    ThinkingDelta,
)
from app.providers.base import ChatProvider, ProviderError, ProviderOptions
from app.providers.embedded_engine import (
    DEFAULT_N_CTX,
    END,
    Engine,
    Failure,
    Generation,
    PromptTokens,
    Started,
    Waiting,
    acquire_engine,
    check_model_file,
    import_llama_cpp,
    loaded_engine,
    release_engine,
)
from app.providers.gguf_file import GGUFError, instruction_tuned, quantization, read_metadata
from app.providers.limits import guard_reply
from app.providers.openai_chunks import ChunkParser
from app.providers.openai_wire import message_to_wire
from app.providers.sampling import ALL_SETTINGS, sampling_fields

STOP_GRACE_SECONDS = 5.0  # how long closing a stream waits for its worker
# Every generation setting: top_p, repeat_penalty, seed, stop as
# create_chat_completion arguments; the context length as Llama(n_ctx=…).
GENERATION_SETTINGS = ALL_SETTINGS


class EmbeddedProvider(ChatProvider):
    """llama.cpp in this process, serving the one GGUF file of ``config.model_path``."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 *, n_ctx: int = DEFAULT_N_CTX) -> None:
        super().__init__(config, options)
        self.n_ctx = self.default_n_ctx = n_ctx
        self._engine: Engine | None = None
        self._load_lock: asyncio.Lock | None = None
        self._metadata: tuple[tuple[int, int], dict[str, Any]] | None = None

    @property
    def model_path(self) -> Path:
        """The configured file; ProviderError(not_found) when none is set."""
        if not self.config.model_path:
            raise ProviderError("not_found", f"{self.config.name}: no model file configured "
                                "— choose a .gguf file for this provider")
        return Path(self.config.model_path).expanduser()

    @property
    def model_id(self) -> str:
        return self.model_path.stem

    @property
    def engine(self) -> Engine | None:
        """The engine this provider holds (None until first use / after close)."""
        return self._engine

    async def load(self) -> Engine:
        """Load the model now (once; later calls return at once). Loading runs
        on a worker thread. Raises ProviderError when the model cannot load."""
        if self._engine is not None:
            return self._engine
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if self._engine is None:
                loading = asyncio.ensure_future(asyncio.to_thread(
                    acquire_engine, self.model_path.resolve(), self.n_ctx))
                try:
                    self._engine = await asyncio.shield(loading)
                except asyncio.CancelledError:
                    # The load goes on in its thread; keep what it yields so
                    # that aclose() can give it back.
                    loading.add_done_callback(self._adopt)
                    raise
        return self._engine

    def _adopt(self, loading: asyncio.Future) -> None:
        """Keep an engine whose load outlived the request that started it."""
        if loading.cancelled() or loading.exception() is not None:
            return
        if self._engine is None:
            self._engine = loading.result()
        else:  # loaded twice meanwhile: give the extra reference back
            asyncio.get_running_loop().run_in_executor(
                None, release_engine, loading.result(), self.options.keep_loaded_seconds)

    async def _use_context(self, n_ctx: int | None) -> None:
        """Serve the next request with a context of ``n_ctx`` tokens (None:
        the provider's default). Another size is another llama.cpp context:
        the engine held now is given back and the other one is loaded."""
        wanted = n_ctx or self.default_n_ctx
        if wanted != self.n_ctx:
            await self.aclose()
            self.n_ctx = wanted

    async def aclose(self) -> None:
        """Give the model back; it is freed when no provider holds it."""
        engine, self._engine = self._engine, None
        if engine is not None:
            await asyncio.to_thread(release_engine, engine,
                                    self.options.keep_loaded_seconds)

    # -- chat ------------------------------------------------------------------
    def stream_chat(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        return guard_reply(self._events(request), self.options.limits, self.config.name)

    async def _events(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        reply = ChunkParser(time.perf_counter(), where=self.config.name,
                            argument_limit=self.options.limits.tool_argument_bytes)
        try:
            await self._use_context(request.context_length)
            loading = self._engine is None and \
                loaded_engine(self.model_path.resolve(), self.n_ctx) is None
            if loading:
                # A missing engine or file fails at once, without "loading model…".
                await asyncio.to_thread(_can_load, self.model_path)
                yield Status(state="loading_model", detail=self.model_path.name)
            engine = await self.load()
            kwargs = chat_kwargs(request, engine.chat_format)
        except ProviderError as error:
            yield error.to_event()
            return
        if loading:
            yield Status(state="generating")
        generation = Generation(engine, kwargs, asyncio.get_running_loop())
        generation.start()
        held: list[RunEvent] = []  # a non-streamed reply's text, sent whole
        try:
            while (item := await generation.queue.get()) is not END:
                if isinstance(item, Failure):
                    yield item.error.to_event()
                    return
                if isinstance(item, PromptTokens):
                    reply.counted_prompt_tokens = item.count
                    continue
                if isinstance(item, Waiting | Started):
                    yield Status(state="waiting_engine" if isinstance(item, Waiting)
                                 else "generating")
                    continue
                try:
                    events = reply.feed(item)
                except ProviderError as error:   # a malformed chunk, or a call too large
                    yield error.to_event()
                    return
                for event in events:
                    if request.stream:
                        yield event
                    else:
                        held.append(event)
        finally:
            generation.stop.set()
            await generation.wait_finished(STOP_GRACE_SECONDS)
        for event in _joined(held) + reply.complete():
            yield event
        yield reply.usage_event()
        yield Done(stop_reason=reply.stop_reason())

    # -- metadata --------------------------------------------------------------
    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """Embeddings from this provider's GGUF file (``model`` is that file;
        see app/providers/embedded_embed.py), on a worker thread."""
        from app.providers.embedded_embed import embed_texts

        if not texts:
            return []
        return await asyncio.to_thread(embed_texts, self.model_path.resolve(), texts)

    async def list_models(self) -> list[ModelInfo]:
        path = self.model_path
        metadata, size = await asyncio.to_thread(self._read_metadata, path)
        architecture = metadata.get("general.architecture")
        context = metadata.get(f"{architecture}.context_length") if architecture else None
        template = str(metadata.get("tokenizer.chat_template", ""))
        return [ModelInfo(
            provider=self.config.name, id=path.stem,
            display_name=str(metadata.get("general.name") or path.stem),
            size_bytes=size, quantization=quantization(metadata, path.stem),
            family=str(architecture) if architecture else None,
            parameter_size=metadata.get("general.size_label"),
            context_length=context if isinstance(context, int) else None,
            # Without a template that knows tools the model is never shown
            # them; only a forced call (a named tool) works then.
            capabilities=["tools"] if "tools" in template else [],
            loaded=loaded_engine(path.resolve(), self.n_ctx) is not None,
            base_model=not instruction_tuned(metadata, path.stem),
        )]

    def _read_metadata(self, path: Path) -> tuple[dict[str, Any], int]:
        check_model_file(path)
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        if self._metadata is None or self._metadata[0] != key:
            try:
                self._metadata = (key, read_metadata(path))
            except (GGUFError, OSError) as exc:
                raise ProviderError("server", f"cannot read {path}: {exc}") from exc
        return self._metadata[1], stat.st_size

    async def probe(self) -> ProbeResult:
        """The engine is installed and the file is a GGUF model (no load)."""
        llama_cpp = await asyncio.to_thread(import_llama_cpp)
        await asyncio.to_thread(check_model_file, self.model_path)
        return ProbeResult(version=getattr(llama_cpp, "__version__", None), model_count=1)


# -- request ------------------------------------------------------------------
def chat_kwargs(request: ChatRequest, chat_format: str | None) -> dict[str, Any]:
    """``create_chat_completion`` arguments (always streamed: that is what
    makes a generation stoppable between tokens). The seed is the request's
    own (an agent's fixed seed) or a fresh random one: llama.cpp would
    otherwise derive each seed from the one the model was loaded with, so
    every reply of a freshly loaded model came out the same."""
    kwargs: dict[str, Any] = {"messages": messages_for(request.messages, chat_format),
                              "stream": True,
                              "seed": random_seed()}  # the agent's own seed replaces it
    if request.temperature is not None:
        kwargs["temperature"] = request.temperature
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    kwargs.update(sampling_fields(request, GENERATION_SETTINGS))
    if request.tools and request.tool_choice != "none":
        kwargs["tools"] = [{"type": "function",
                            "function": {"name": t.name, "description": t.description,
                                         "parameters": t.parameters}}
                           for t in request.tools]
        forced = _forced_tool(request)
        if forced:
            kwargs["tool_choice"] = {"type": "function", "function": {"name": forced}}
    return kwargs


def _can_load(path: Path) -> None:
    """Raise ProviderError unless the engine is installed and ``path`` is a GGUF file."""
    import_llama_cpp()
    check_model_file(path)


def random_seed() -> int:
    """A fresh sampling seed (llama.cpp takes 32-bit seeds)."""
    return random.randrange(2**32 - 1)  # 0xFFFFFFFF is llama.cpp's "default seed"


def _forced_tool(request: ChatRequest) -> str | None:
    """The tool the model must call. llama.cpp forces a call with a grammar
    built from one tool's schema, so ``required`` works with a single tool."""
    choice = request.tool_choice
    names = [t.name for t in request.tools]
    if choice in (None, "auto", "none"):
        return None
    if choice == "required":
        if len(names) == 1:
            return names[0]
        raise ProviderError("server", "the embedded engine can force a call only to one "
                            "named tool, not to any of several (tool_choice=required)")
    if choice not in names:
        raise ProviderError("server", f"tool_choice names {choice!r}, which is not among "
                            "the offered tools")
    return choice


def messages_for(messages: list[ChatMessage], chat_format: str | None) -> list[dict]:
    """Messages in llama.cpp's (OpenAI) shape. llama.cpp's ``gemma`` format
    silently drops system and tool messages, so for it the system prompt is
    put in front of the first user turn (as Gemma's own template does) and
    tool calls/results are written out as ordinary turns."""
    # The engine has no vision (no multimodal projector is loaded): images in
    # earlier turns are left out; a new turn with images is refused before
    # it gets here (app/core/attachments/vision.py).
    messages = [m.model_copy(update={"images": []}) if m.images else m for m in messages]
    if chat_format != "gemma":
        return [message_to_wire(m) for m in messages]
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content)
    out: list[dict] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            label = f"Result of tool {message.name}" if message.name else "Tool result"
            out.append({"role": "user", "content": f"{label}:\n{message.content}"})
        elif message.role == "assistant":
            calls = [f"Calling tool {c.name} with "
                     f"{c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments)}"
                     for c in message.tool_calls]
            out.append({"role": "assistant",
                        "content": "\n".join([message.content, *calls]).strip()})
        else:
            out.append({"role": "user", "content": message.content})
    if system:
        first_user = next((m for m in out if m["role"] == "user"), None)
        if first_user is None:
            out.insert(0, {"role": "user", "content": system})
        else:
            first_user["content"] = f"{system}\n\n{first_user['content']}"
    return out


# -- reply --------------------------------------------------------------------
def _joined(events: list[RunEvent]) -> list[RunEvent]:
    """A non-streamed reply's events with neighbouring text (or thinking)
    deltas joined into one."""
    out: list[RunEvent] = []
    for event in events:
        if out and isinstance(event, TextDelta | ThinkingDelta) and type(out[-1]) is type(event):
            out[-1] = type(event)(text=out[-1].text + event.text)
        else:
            out.append(event)
    return out
