"""A tiny HTTP server on 127.0.0.1 for the web tool tests (never the internet).

Routes map a path to a ``Reply`` (status, headers, body) or to a callable
``(handler) -> Reply`` for answers that depend on the request. A reply with
``stall`` sends its headers and then waits (a server that stops talking);
``chunks`` streams that many copies of ``body`` (a huge page).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: int = 1
    stall: float = 0.0


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply]


@dataclass
class WebServer:
    host: str
    port: int
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    sent_bytes: int = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def web_server(routes: dict[str, Route]) -> Iterator[WebServer]:
    """Serve ``routes`` on a free loopback port for the duration of the block."""
    stop = threading.Event()
    state: WebServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            state.requests.append((self.path, dict(self.headers.items())))
            route = state.routes.get(self.path.split("?", 1)[0])
            if route is None:
                reply = Reply(404, {"Content-Type": "text/plain"}, b"not found")
            else:
                reply = route(self) if callable(route) else route
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body) * reply.chunks))
            self.end_headers()
            if reply.stall:
                stop.wait(reply.stall)
                return
            try:
                for _ in range(reply.chunks):
                    self.wfile.write(reply.body)
                    state.sent_bytes += len(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client stopped reading, as it should past its limit

        def log_message(self, format: str, *args: object) -> None:
            return  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = WebServer("127.0.0.1", server.server_address[1], routes)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

