"""Helpers for the MCP tests: the echo server's config, process checks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.core.tools.mcp_client import McpTimeouts
from app.domain.tools import McpServerConfig

ECHO_SERVER = Path(__file__).with_name("echo_server.py")
EXPECTED_TOOLS = {"add", "echo", "fail", "slow", "env_names", "getenv", "dotted.name"}
# Short limits keep the suite quick; starting the echo server takes about 1 s.
TEST_TIMEOUTS = McpTimeouts(initialize=30.0, list_tools=15.0, call=15.0, stop=15.0)


def echo_config(name: str, marker: Path, *extra: str, **fields) -> McpServerConfig:
    """The real stdio echo server, run by this Python, writing its pid to ``marker``."""
    return McpServerConfig(name=name, transport="stdio", command=sys.executable,
                           args=[str(ECHO_SERVER), "--marker", str(marker), *extra], **fields)


def marker_pid(marker: Path) -> int:
    return int(marker.read_text(encoding="utf-8"))


def process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def child_processes() -> list[int]:
    """Live (non-zombie) processes whose parent is this test process."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] not in ("Z", "X"):
            children.append(int(entry.name))
    return children


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_http_echo(port: int, log: Path) -> subprocess.Popen:
    """The echo server over streamable HTTP on 127.0.0.1:port (waits until it listens)."""
    with open(log, "wb") as handle:
        process = subprocess.Popen([sys.executable, str(ECHO_SERVER), "--http", str(port)],
                                   stdout=handle, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    if not wait_until(listening, 30.0):
        process.kill()
        process.wait()
        raise RuntimeError(f"the HTTP echo server did not start: {log.read_text()}")
    return process
