"""A real HTTP server in a thread, for provider tests that need a misbehaving
(or an exactly documented) vendor server.

Routes map ``(method, path)`` to one or more handlers; each request takes the
next handler of its route and the last one repeats, so "503 twice, then a
reply" is ``server.route("POST", "/v1/chat/completions", status(503),
status(503), sse([...]))``. A handler receives an ``Exchange`` and may send a
status line and headers, write raw bytes (chunked transfer encoding, as the
vendors stream), sleep between writes, stall, or cut the connection.

Every request is recorded (method, path, headers, body, arrival time) so tests
can count retries. Nothing here is specific to one vendor; ``openai_chunk``
and ``sse`` speak OpenAI's SSE format, ``ndjson`` Ollama's line format.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0  # the same port twice: the client reused its connection
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Exchange:
    """One request being answered. Methods write straight to the socket."""

    def __init__(self, handler: BaseHTTPRequestHandler, request: Recorded,
                 stopping: threading.Event) -> None:
        self._handler = handler
        self.request = request
        self._stopping = stopping
        self._chunked = False

    def send_head(self, status: int = 200, headers: dict[str, str] | None = None, *,
                  chunked: bool = True) -> None:
        """Status line and headers. With ``chunked`` the body that follows is
        sent with chunked transfer encoding (finish it with ``end``)."""
        h = self._handler
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        self._chunked = chunked

    def write(self, data: bytes, delay: float = 0.0) -> None:
        """Send bytes (as one chunk when chunked), after ``delay`` seconds."""
        if delay:
            self.stall(delay)
        if not data:
            return
        out = self._handler.wfile
        if self._chunked:
            out.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        else:
            out.write(data)
        out.flush()

    def end(self) -> None:
        """Finish a chunked body properly."""
        if self._chunked:
            self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()

    def send_body(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A complete response with Content-Length."""
        all_headers = {"Content-Length": str(len(body)), **(headers or {})}
        self.send_head(status, all_headers, chunked=False)
        self.write(body)

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(obj).encode(),
                       {"Content-Type": "application/json", **(headers or {})})

    def stall(self, seconds: float) -> None:
        """Wait, but give up at once when the server stops."""
        self._stopping.wait(seconds)

    def reset(self) -> None:
        """Reset the connection (TCP RST, as a crashed peer or a middlebox
        sends): linger 0, then close."""
        self._handler.close_connection = True
        sock = self._handler.connection
        try:
            self._handler.wfile.flush()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass  # the client already went away: the connection is gone anyway

    def cut(self) -> None:
        """Close the connection abruptly (no end of body)."""
        self._handler.close_connection = True
        try:
            self._handler.wfile.flush()
            self._handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client already went away: the cut happened anyway


Handler = Callable[[Exchange], None]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Quiet: tests read ``FaultServer.requests`` instead."""

    def setup(self) -> None:
        super().setup()
        self.server.owner.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner.untrack(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left between requests

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        recorded = Recorded(self.command, path, dict(self.headers.items()), body,
                            client_port=self.client_address[1])
        owner = self.server.owner
        handler = owner.next_handler(recorded)
        exchange = Exchange(self, recorded, owner.stopping)
        try:
            if handler is None:
                exchange.send_json(404, {"error": {"message": f"no route for {path}"}})
            else:
                handler(exchange)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left: expected in cancel tests
            owner.disconnected.append(recorded)

    do_GET = do_POST = do_DELETE = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "FaultServer"


class FaultServer:
    """Start with ``with FaultServer() as server:``; ``server.url`` is the root.

    ``port``: listen on this port (0: any free one); a stopped server can be
    started again on the same port with ``FaultServer(port=old.port)``.
    """

    def __init__(self, port: int = 0) -> None:
        self._routes: dict[tuple[str, str], list[Handler]] = {}
        self._served: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        # Requests whose client went away while being answered (seen as a
        # failed write): how tests check that cancelling closed the stream.
        self.disconnected: list[Recorded] = []
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", port), _RequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02},
                                        name="fault-server", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, *handlers: Handler) -> FaultServer:
        """Answer ``method path`` with ``handlers`` in turn (the last repeats)."""
        with self._lock:
            self._routes[(method.upper(), path)] = list(handlers)
            self._served[(method.upper(), path)] = 0
        return self

    def next_handler(self, recorded: Recorded) -> Handler | None:
        key = (recorded.method, recorded.path)
        with self._lock:
            self.requests.append(recorded)
            handlers = self._routes.get(key)
            if not handlers:
                return None
            index = min(self._served[key], len(handlers) - 1)
            self._served[key] += 1
            return handlers[index]

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def requests_to(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close the open connections too, as a server
        process that exits does (a kept-alive connection would otherwise
        still be answered after the stop)."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- handler builders ------------------------------------------------------------

def json_reply(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    return lambda ex: ex.send_json(status, obj, headers)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Handler:
    """An error (or any) status with a JSON body (default: OpenAI's error shape)."""
    payload = body if body is not None else {"error": {"message": f"status {code}",
                                                       "type": "server_error"}}
    return json_reply(payload, code, headers)


Step = bytes | tuple[bytes, float]  # bytes, or (bytes, delay before sending)


def chunks(steps: Iterable[Step], *, content_type: str = "text/event-stream",
           status_code: int = 200, then: str = "end", stall: float = 30.0) -> Handler:
    """Stream raw byte chunks (each optionally after a delay), then ``end``
    the body properly, ``cut`` the connection, or ``stall`` (hang)."""
    steps = list(steps)

    def handle(ex: Exchange) -> None:
        ex.send_head(status_code, {"Content-Type": content_type, "Cache-Control": "no-cache"})
        for step in steps:
            data, delay = step if isinstance(step, tuple) else (step, 0.0)
            ex.write(data, delay)
        if then == "end":
            ex.end()
        elif then == "cut":
            ex.cut()
        elif then == "stall":
            ex.stall(stall)
            ex.cut()
        else:
            raise ValueError(then)

    return handle


def stall_after_headers(seconds: float = 30.0, content_type: str = "text/event-stream") -> Handler:
    return chunks([], content_type=content_type, then="stall", stall=seconds)


# -- OpenAI-compatible SSE ---------------------------------------------------------

def sse_event(payload: Any) -> bytes:
    """One SSE event: a dict is sent as JSON, a str as is (e.g. ``[DONE]``)."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def openai_chunk(content: str | None = None, *, reasoning: str | None = None,
                 tool_calls: list[dict] | None = None, finish_reason: str | None = None,
                 role: str | None = None, usage: dict | None = None,
                 no_choices: bool = False, model: str = "test-model") -> dict:
    """A ``chat.completion.chunk`` as OpenAI sends it."""
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    chunk: dict[str, Any] = {
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1,
        "model": model,
        "choices": [] if no_choices else [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def sse(events: Iterable[Any], *, delay: float = 0.0, done: bool = True,
        then: str = "end") -> Handler:
    """Stream OpenAI SSE events (dicts or raw strings), then ``data: [DONE]``."""
    steps: list[Step] = [(sse_event(e), delay) for e in events]
    if done:
        steps.append(sse_event("[DONE]"))
    return chunks(steps, then=then)


def text_stream(words: Iterable[str], *, finish_reason: str = "stop", delay: float = 0.0,
                usage: dict | None = None) -> Handler:
    """A complete, well-formed streamed reply made of ``words``."""
    events: list[Any] = [openai_chunk(role="assistant", content="")]
    events += [openai_chunk(w) for w in words]
    events.append(openai_chunk(finish_reason=finish_reason))
    if usage is not None:
        events.append(openai_chunk(no_choices=True, usage=usage))
    return sse(events, delay=delay)


# -- NDJSON (Ollama) ----------------------------------------------------------------

def ndjson(objects: Iterable[Any], *, delay: float = 0.0, then: str = "end") -> Handler:
    steps: list[Step] = [((json.dumps(o) + "\n").encode(), delay) for o in objects]
    return chunks(steps, content_type="application/x-ndjson", then=then)
