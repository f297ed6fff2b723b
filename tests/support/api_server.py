"""The API served for real in tests: uvicorn serving ``create_app(context)``
on a free loopback port, on its own thread and event loop (as the window
serves it), stopped at the end. Clients talk to it over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from app.api.app import create_app
from app.api.context import ApiContext

TOKEN = "test-token-0123456789"
_START_SECONDS = 30


@dataclass
class ServedApi:
    context: ApiContext
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self, token: str | None = TOKEN) -> dict[str, str]:
        return {} if token is None else {"Authorization": f"Bearer {token}"}


@contextmanager
def serve_api(context: ApiContext) -> Iterator[ServedApi]:
    """Serve until the block ends; the context's own store is closed by then."""
    config = uvicorn.Config(create_app(context), host="127.0.0.1", port=0,
                            log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True,
                              name="test-api-server")
    thread.start()
    deadline = time.monotonic() + _START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield ServedApi(context, port)
    finally:
        server.should_exit = True
        thread.join(timeout=_START_SECONDS)
