"""The API served for real in tests: uvicorn serving ``create_app(context)``
on a free loopback port, on its own thread and event loop (as the window
serves it), stopped at the end; or ``agentdesk serve`` as a process of its
own (``serve_process``). Clients talk to it over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


@contextmanager
def serve_process(home: Path, token: str, **settings_env: str) -> Iterator[ServeProcess]:
    """``agentdesk serve --port 0 --json`` as a process of its own on the data
    folder ``home``, accepting ``token``; ``settings_env`` sets
    ``AGENTDESK_<NAME>`` variables (e.g. ``API__RATE_LIMIT_PER_MINUTE="20"``).
    Stopped with SIGINT at the end; it must then exit with 0."""
    env = {**os.environ, "AGENTDESK_HOME": str(home), "AGENTDESK_API_TOKEN": token,
           **{f"AGENTDESK_{name}": value for name, value in settings_env.items()}}
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", "0", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        first = process.stdout.readline()
        if not first:
            raise RuntimeError(f"agentdesk serve did not start: {process.stderr.read()}")
        yield ServeProcess(process, json.loads(first)["address"])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        code = process.wait(timeout=_START_SECONDS)
        process.stdout.close()
        process.stderr.close()
        assert code == 0, f"agentdesk serve exited with {code}"


@dataclass
class ServeProcess:
    process: subprocess.Popen
    url: str
