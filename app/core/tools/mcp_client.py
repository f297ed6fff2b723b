"""One live connection to an MCP server (stdio or streamable HTTP) via the SDK.

The ``mcp`` SDK (2.x) offers ``mcp.Client``: an async context manager that
spawns a stdio server (``StdioServerParameters``) or talks streamable HTTP (a
URL), does the protocol handshake, and then serves ``list_tools`` and
``call_tool``. Its context holds anyio task groups, which must be entered and
left by the same task, so each connection owns one background task that
enters the client, reports it ready and waits for ``stop()``; calls come from
any task. Leaving the context is what ends the server: the SDK closes the
child's stdin, waits, then kills the whole process group, shielded from
cancellation, so no child outlives ``stop()``.

This module knows nothing about approval: ``McpManager`` (mcp_manager.py)
decides whether a connection may be made at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
from typing import IO, Any

import anyio
import mcp_types
from mcp import Client, MCPError, StdioServerParameters
from mcp.client import Transport
from mcp.client.stdio import stdio_client
from pydantic import ValidationError

from app import __version__
from app.core.tools.base import ToolError
from app.core.tools.mcp_tools import DEFAULT_TIMEOUTS, McpConnectionError, McpTimeouts
from app.domain.tools import McpServerConfig

__all__ = ["DEFAULT_TIMEOUTS", "McpConnection", "McpConnectionError", "McpTimeouts",
           "describe_error", "result_text"]

log = logging.getLogger(__name__)


class McpConnection:
    """A started MCP server session. Create, ``await start()``, use, ``await stop()``."""

    def __init__(self, config: McpServerConfig, *, env: dict[str, str] | None = None,
                 timeouts: McpTimeouts = DEFAULT_TIMEOUTS, errlog: IO[Any] | int | None = None
                 ) -> None:
        self.config = config
        self.fingerprint = config.fingerprint  # what was approved when we started
        self._env = env or {}
        self._timeouts = timeouts
        self._errlog = errlog
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._broken: str | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def usable(self) -> bool:
        """Started, not stopped, and not known to have lost its server."""
        return (self._client is not None and self._broken is None
                and self._task is not None and not self._task.done())

    def _target(self) -> Transport | str:
        if self.config.transport == "http":
            if not self.config.url:
                raise McpConnectionError(f"MCP server {self.name!r} has no URL")
            return self.config.url
        if not self.config.command:
            raise McpConnectionError(f"MCP server {self.name!r} has no command")
        # The SDK adds only HOME, LOGNAME, PATH, SHELL, TERM and USER from our
        # environment to these entries: the app's secrets are not inherited.
        params = StdioServerParameters(command=self.config.command,
                                       args=list(self.config.args), env=dict(self._env))
        # The child's stderr goes to a log file (or nowhere), never to our terminal.
        errlog = self._errlog if self._errlog is not None else subprocess.DEVNULL
        return stdio_client(params, errlog=errlog)  # type: ignore[arg-type]

    async def start(self) -> None:
        """Spawn/connect and finish the handshake, or raise McpConnectionError."""
        if self._task is not None:
            raise RuntimeError("an McpConnection starts only once")
        client = Client(self._target(), cache=None, mode="auto",
                        client_info=mcp_types.Implementation(name="AgentDesk",
                                                             version=__version__))
        self._task = asyncio.create_task(self._serve(client), name=f"mcp-{self.name}")
        ready = asyncio.create_task(self._ready.wait())
        try:
            done, _ = await asyncio.wait({ready, self._task},
                                         timeout=self._timeouts.initialize,
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            ready.cancel()
            await self.stop()
            raise
        ready.cancel()
        if ready in done:
            return
        if self._task in done:
            exc = self._task.exception()
            reason = describe_error(exc)
            if isinstance(exc, MCPError) and exc.code == mcp_types.CONNECTION_CLOSED:
                reason = "it ended (or closed its output) before the MCP handshake"
            raise McpConnectionError(
                f"MCP server {self.name!r} did not start: {reason}") from exc
        await self.stop()
        raise McpConnectionError(f"MCP server {self.name!r} did not finish starting within "
                                 f"{self._timeouts.initialize:g} s")

    async def _serve(self, client: Client) -> None:
        try:
            async with client:
                self._client = client
                self._ready.set()
                await self._stop.wait()
        finally:
            self._client = None

    async def list_tools(self) -> list[mcp_types.Tool]:
        """Every tool the server offers (following pagination)."""
        client = self._require()
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _ in range(100):  # a server that paginates forever cannot hang us
            try:
                async with asyncio.timeout(self._timeouts.list_tools):
                    page = await client.list_tools(cursor=cursor)
            except TimeoutError:
                raise McpConnectionError(f"MCP server {self.name!r} did not list its tools "
                                         f"within {self._timeouts.list_tools:g} s") from None
            except MCPError as exc:
                raise self._failed(exc, "listing tools") from exc
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    async def call_tool(self, tool: str, arguments: dict[str, Any],
                        timeout: float | None = None) -> mcp_types.CallToolResult:
        """Call a tool. Raises TimeoutError when the server does not answer in
        time (the connection stays usable) and McpConnectionError when the
        server is gone (the connection is then marked broken)."""
        client = self._require()
        seconds = timeout or self._timeouts.call
        try:
            return await client.call_tool(tool, arguments, read_timeout_seconds=seconds)
        except MCPError as exc:
            if exc.code == mcp_types.REQUEST_TIMEOUT:
                raise TimeoutError(f"{tool} on MCP server {self.name!r} did not answer "
                                   f"within {seconds:g} s") from exc
            if exc.code == mcp_types.CONNECTION_CLOSED:
                raise self._failed(exc, f"calling {tool}") from exc
            raise McpConnectionError(f"MCP server {self.name!r} refused the call to "
                                     f"{tool}: {exc}") from exc
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError) as exc:
            raise self._failed(exc, f"calling {tool}") from exc
        except ValidationError as exc:
            raise McpConnectionError(f"MCP server {self.name!r} sent an invalid result for "
                                     f"{tool}: {exc.error_count()} problem(s)") from exc

    def _require(self) -> Client:
        if self._broken is not None:
            raise McpConnectionError(self._broken)
        if self._client is None or self._task is None or self._task.done():
            raise McpConnectionError(f"MCP server {self.name!r} is not running")
        return self._client

    def _failed(self, exc: BaseException, doing: str) -> McpConnectionError:
        if isinstance(exc, MCPError) and exc.code != mcp_types.CONNECTION_CLOSED:
            return McpConnectionError(f"MCP server {self.name!r} failed while {doing}: {exc}")
        ended = ("closed the connection" if self.config.transport == "http"
                 else "stopped unexpectedly")
        self._broken = (f"MCP server {self.name!r} {ended} while {doing}; "
                        "it will be restarted on next use")
        log.warning("%s", self._broken)
        return McpConnectionError(self._broken)

    async def stop(self) -> None:
        """End the session and the server process (idempotent, bounded)."""
        task = self._task
        if task is None or task.done():
            self._client = None
            if task is not None and not task.cancelled() and task.exception() is not None:
                log.info("MCP server %r had ended: %s", self.name,
                         describe_error(task.exception()))
            return
        self._stop.set()
        if not self._ready.is_set():
            # Still spawning or in the handshake: nothing waits on the stop
            # event yet, so cancel; the SDK's shielded shutdown ends the child.
            task.cancel()
        try:
            async with asyncio.timeout(self._timeouts.stop):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # we were cancelled ourselves, not just the serving task
        except Exception as exc:  # the server failed on the way out; it is stopped
            log.info("MCP server %r stopped with an error: %s", self.name, describe_error(exc))
        self._client = None


def describe_error(exc: BaseException | None) -> str:
    """A one-line reason, unwrapping the exception groups anyio raises."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if exc is None:
        return "unknown error"
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def result_text(result: mcp_types.CallToolResult) -> str:
    """The text a model reads for a tool result; an error result raises ToolError.

    Text blocks are passed through; images, audio and binary resources become
    a short note (the model cannot see them through a text tool result).
    """
    parts = [_block_text(block) for block in result.content]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, default=str))
    text = "\n".join(part for part in parts if part)
    if result.is_error:
        raise ToolError(text or "the server reported an error without a message")
    return text


def _block_text(block: Any) -> str:
    if isinstance(block, mcp_types.TextContent):
        return block.text
    if isinstance(block, (mcp_types.ImageContent, mcp_types.AudioContent)):
        kind = "image" if isinstance(block, mcp_types.ImageContent) else "audio"
        return (f"[{kind} ({block.mime_type}, {_decoded_size(block.data)} bytes) "
                "returned; not shown to the model]")
    if isinstance(block, mcp_types.ResourceLink):
        return f"[resource link: {block.name} <{block.uri}>]"
    if isinstance(block, mcp_types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, mcp_types.TextResourceContents):
            return resource.text
        return (f"[binary resource {resource.uri} ({resource.mime_type or 'unknown type'}, "
                f"{_decoded_size(resource.blob)} bytes); not shown to the model]")
    return f"[{getattr(block, 'type', 'unknown')} content not shown to the model]"


def _decoded_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except ValueError:
        return len(data)
