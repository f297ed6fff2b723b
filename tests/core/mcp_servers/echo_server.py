"""A real MCP server (stdio or streamable HTTP) for the MCP client tests.

Run as ``python echo_server.py [--marker FILE] [--http PORT] [--start-delay S]``.
First thing on start (before the slow SDK import) it writes its process id to
the marker file, when given, so tests can tell whether, and which, process was
spawned. ``--start-delay`` makes it wait before serving (a server that never
finishes its handshake in time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--marker")
    parser.add_argument("--http", type=int)
    parser.add_argument("--start-delay", type=float, default=0.0)
    return parser.parse_args()


ARGS = _arguments() if __name__ == "__main__" else None
if ARGS is not None and ARGS.marker:
    Path(ARGS.marker).write_text(str(os.getpid()), encoding="utf-8")
if ARGS is not None and ARGS.start_delay:
    time.sleep(ARGS.start_delay)

from mcp.server.mcpserver import Image, MCPServer  # noqa: E402
from mcp.server.mcpserver.exceptions import ToolError  # noqa: E402

server = MCPServer("echo-test")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ToolError("this tool always fails")


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep, then answer."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def env_names() -> str:
    """The names of the environment variables this server sees."""
    return ",".join(sorted(os.environ))


@server.tool()
def getenv(name: str) -> str:
    """The value of one environment variable ("" when unset)."""
    return os.environ.get(name, "")


@server.tool(name="dotted.name")
def picture() -> Image:
    """Returns a tiny image (a name model APIs do not accept as is)."""
    return Image(data=b"\x89PNG\r\n\x1a\n", format="png")


if __name__ == "__main__":
    assert ARGS is not None
    if ARGS.http:
        server.run("streamable-http", host="127.0.0.1", port=ARGS.http)
    else:
        server.run()
