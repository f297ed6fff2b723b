"""An in-test Ollama server speaking Ollama's documented native API.

No Ollama binary can be installed here, so tests talk to this small real HTTP
server (stdlib, one thread per connection, 127.0.0.1, free port). It answers
``/api/version``, ``/api/tags``, ``/api/ps``, ``/api/show`` and ``/api/chat``
in the documented shapes (docs/api.md, docs.ollama.com/api): NDJSON streams in
chunked transfer encoding ending with a ``"done": true`` line carrying
``done_reason`` and the timing counters (nanoseconds), ``tool_calls`` as
objects with object arguments, ``message.thinking``, ``{"error": ...}`` bodies
with status codes, and ``model "x" not found, try pulling it first`` (404)
for a model it does not have.

Tests script replies (``script``), inject faults (``faults``), and read back
what was sent (``requests``) and whether the client hung up (``disconnects``).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.providers.ollama_wire import (
    VERSION,
    ChatReply,
    ModelEntry,
    content_line,
    default_models,
    merged_reply,
    reply_lines,
)

EMBED_DIMENSIONS = 16


def word_hash_vector(text: str) -> list[float]:
    """A deterministic embedding: word counts hashed into EMBED_DIMENSIONS slots."""
    vector = [0.0] * EMBED_DIMENSIONS
    for word in text.casefold().split():
        vector[sum(word.encode()) % EMBED_DIMENSIONS] += 1.0
    return vector


# Fault kinds for /api/chat, consumed one per request (see OllamaServer.faults).
FAULTS = frozenset({
    "500",                   # 500 {"error": ...} before the stream
    "503",                   # 503 server busy (Ollama's queue is full)
    "429",                   # 429 with Retry-After: retry_after
    "stall-before-headers",  # accept the request, never answer
    "stall-after-headers",   # 200 + headers, then no body
    "stall-mid-stream",      # two lines, then silence
    "cut",                   # two lines, then the connection closes
    "malformed",             # a line that is not JSON
    "invalid-utf8",          # a line with bytes that are not UTF-8
    "huge-line",             # one 10 MB line
    "error-line",            # {"error": ...} after two lines (status stays 200)
    "context-length",        # 400 CONTEXT_OVERFLOW: the prompt does not fit num_ctx
    "context-length-line",   # the same error as the first line of a 200 stream
})

# Ollama's error for a prompt longer than the context window when it may not
# truncate (the runner's errorInputTooLong): sent as 400 {"error": ...} when
# nothing was streamed yet. Ollama's streamResponse writes an error it gets
# after the stream began (and, before errors carried a status, every streamed
# error) as one {"error": ...} NDJSON line in a 200 stream instead.
CONTEXT_OVERFLOW = "the input length exceeds the context length"


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


class OllamaServer:
    """Start with ``start()`` (or use as a context manager); ``base_url`` is
    the server root, as users configure Ollama."""

    def __init__(self, models: list[ModelEntry] | None = None) -> None:
        self.models = {m.name: m for m in (models or default_models())}
        self.loaded: set[str] = {"llama3.2:latest"}
        self.script: deque[ChatReply] = deque()  # replies for the next chats
        self.faults: deque[str] = deque()  # one consumed per /api/chat request
        self.retry_after = "0"
        self.embedding_models: set[str] = {"nomic-embed-text:latest"}  # /api/embed serves these
        self.show_failures: set[str] = set()  # /api/show answers 500 for these
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.disconnected = threading.Event()
        self.release = threading.Event()  # ends every stall (set on stop)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> OllamaServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.owner = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, *kinds: str) -> None:
        """Queue faults for the next /api/chat requests, one per request."""
        unknown = set(kinds) - FAULTS
        assert not unknown, f"unknown fault kinds: {unknown}"
        with self._lock:
            self.faults.extend(kinds)

    # -- what tests read -----------------------------------------------------------
    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.path == "/api/chat"]

    def record(self, method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body, headers))

    def note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1
        self.disconnected.set()

    def next_fault(self) -> str | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def next_reply(self) -> ChatReply:
        with self._lock:
            return self.script.popleft() if self.script else ChatReply()


class _ClientGone(Exception):
    """The client closed the connection while we were writing."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-test"

    @property
    def owner(self) -> OllamaServer:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Quiet: tests read ``requests`` instead."""

    # -- plumbing ------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", errors="replace")

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": message}, headers)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._flush()

    def _chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            raise _ClientGone from exc

    def _line(self, obj: dict[str, Any]) -> None:
        self._chunk(json.dumps(obj).encode() + b"\n")

    def _flush(self) -> None:
        try:
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _ClientGone from exc

    def _end_stream(self) -> None:
        self._chunk(b"")  # the terminating zero-length chunk

    # -- routes --------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.owner.record("GET", self.path, None, dict(self.headers))
        owner = self.owner
        if self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self._json(200, {"models": [m.tag() for m in owner.models.values()]})
        elif self.path == "/api/ps":
            running = []
            for name in sorted(owner.loaded):
                entry = owner.models[name]
                running.append({**entry.tag(), "expires_at": "2099-01-01T00:00:00Z",
                                "size_vram": entry.size})
            self._json(200, {"models": running})
        else:
            self._error(404, "404 page not found")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self._body()
        self.owner.record("POST", self.path, body, dict(self.headers))
        if self.path == "/api/show":
            self._show(body)
        elif self.path == "/api/embed":
            self._embed(body)
        elif self.path == "/api/chat":
            try:
                self._chat(body)
            except _ClientGone:
                self.owner.note_disconnect()
                self.close_connection = True
        else:
            self._error(404, "404 page not found")

    def _show(self, body: Any) -> None:
        name = body.get("model") if isinstance(body, dict) else None
        entry = self.owner.models.get(name or "")
        if entry is None:
            self._error(404, f"model {json.dumps(name)} not found")
        elif name in self.owner.show_failures:
            self._error(500, "failed to read model metadata")
        else:
            self._json(200, entry.show())

    def _embed(self, body: Any) -> None:
        """``/api/embed``: ``input`` a string or a list; one vector per input in
        ``embeddings`` (a word-hash embedding of EMBED_DIMENSIONS numbers)."""
        name = body.get("model") if isinstance(body, dict) else None
        if name not in self.owner.embedding_models:
            self._error(404, f"model {json.dumps(name)} not found, try pulling it first")
            return
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            self._error(400, "invalid input type")
            return
        self._json(200, {"model": name, "embeddings": [word_hash_vector(t) for t in texts],
                         "total_duration": 14_143_917, "load_duration": 1_019_500,
                         "prompt_eval_count": sum(len(t.split()) for t in texts)})

    def _chat(self, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("model"):
            self._error(400, "model is required")
            return
        name = body["model"]
        entry = self.owner.models.get(name)
        if entry is None:
            self._error(404, f"model {json.dumps(name)} not found, try pulling it first")
            return
        if body.get("tools") and "tools" not in entry.capabilities:
            self._error(400, f"registry.ollama.ai/library/{name} does not support tools")
            return
        images = [m.get("images") for m in body.get("messages", []) if isinstance(m, dict)]
        if any(images) and "vision" not in entry.capabilities:
            self._error(500, f"model {name} does not support images")   # Ollama's wording
            return
        fault = self.owner.next_fault()
        if fault is not None:
            self._answer_fault(fault, name)
            return
        reply = self.owner.next_reply()
        lines = reply_lines(name, reply)
        if body.get("stream", True) is False:
            self._json(200, merged_reply(lines))
            return
        self._start_stream()
        for index, line in enumerate(lines):
            if index and reply.delay:
                self.owner.release.wait(reply.delay)
            self._line(line)
        self._end_stream()

    def _answer_fault(self, fault: str, model: str) -> None:
        owner = self.owner
        if fault == "500":
            self._error(500, "llama runner process has terminated: exit status 2")
        elif fault == "503":
            self._error(503, "server busy, please try again.  maximum pending requests exceeded")
        elif fault == "429":
            self._error(429, "too many requests", {"Retry-After": owner.retry_after})
        elif fault == "context-length":
            self._error(400, CONTEXT_OVERFLOW)
        elif fault == "context-length-line":
            self._start_stream()
            self._line({"error": CONTEXT_OVERFLOW})
            self._end_stream()
        elif fault == "stall-before-headers":
            owner.release.wait(30)
            self.close_connection = True
        else:
            self._stream_fault(fault, model)

    def _stream_fault(self, fault: str, model: str) -> None:
        owner = self.owner
        self._start_stream()
        if fault == "stall-after-headers":
            owner.release.wait(30)
            self.close_connection = True
            return
        if fault == "huge-line":
            self._chunk(b'{"model":"%s","message":{"role":"assistant","content":"' % model.encode())
            piece = b"a" * 65536
            for _ in range(10 * 1024 * 1024 // len(piece)):
                self._chunk(piece)
            self._chunk(b'"},"done":false}\n')
            self._end_stream()
            return
        for text in ("Partial", " answer"):
            self._line(content_line(model, text))
        if fault == "stall-mid-stream":
            owner.release.wait(30)
        elif fault == "malformed":
            self._chunk(b'{"model": "x", "message": {"content": "oops"\n')
            self._end_stream()
        elif fault == "invalid-utf8":
            self._chunk(b'{"model":"x","message":{"role":"assistant","content":"\xff\xfe"},'
                        b'"done":false}\n')
            self._end_stream()
        elif fault == "error-line":
            self._line({"error": "an error was encountered while running the model"})
            self._end_stream()
        # "cut" (and every stall): leave without the terminating chunk.
        self.close_connection = True
