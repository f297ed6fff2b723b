"""FaultServer handlers for a hostile server with no size or time manners:
a reply of many megabytes, tool-call arguments of many megabytes, a trickle
of one byte every half second. Each writes lazily and stops when the client
hangs up (the server sees a broken pipe), so a test learns how much the
client really took."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.providers.fault_server import Exchange, Handler, openai_chunk, sse_event

MB = 1024 * 1024


@dataclass
class Sent:
    """How much a handler wrote before the client left (or it finished)."""

    bytes: int = 0
    finished: bool = False
    pieces: list[int] = field(default_factory=list)


def _stream(sent: Sent, content_type: str, parts: Callable[[], object],
            *, delay: float = 0.0) -> Handler:
    def handle(ex: Exchange) -> None:
        ex.send_head(200, {"Content-Type": content_type})
        for part in parts():
            ex.write(part, delay)
            sent.bytes += len(part)
        ex.end()
        sent.finished = True

    return handle


def openai_flood(sent: Sent, total: int, piece: int = 64 * 1024) -> Handler:
    """An SSE reply of ``total`` characters of text in ``piece``-sized chunks."""

    def parts():
        yield sse_event(openai_chunk(role="assistant", content=""))
        for _ in range(total // piece):
            yield sse_event(openai_chunk("x" * piece))
        yield sse_event(openai_chunk(finish_reason="stop"))
        yield sse_event("[DONE]")

    return _stream(sent, "text/event-stream", parts)


def openai_tool_flood(sent: Sent, total: int, piece: int = 64 * 1024,
                      text: str = "Let me write that file.") -> Handler:
    """Some text, then one ``write_file`` call whose arguments arrive as
    fragments adding up to ``total`` characters (a JSON string that never
    ends until the last fragment)."""

    def fragment(arguments: str, first: bool = False) -> bytes:
        call: dict = {"index": 0, "function": {"arguments": arguments}}
        if first:
            call.update(id="call_big", type="function")
            call["function"]["name"] = "write_file"
        return sse_event(openai_chunk(tool_calls=[call]))

    def parts():
        yield sse_event(openai_chunk(role="assistant", content=text))
        yield fragment('{"path": "big.txt", "content": "', first=True)
        for _ in range(total // piece):
            yield fragment("A" * piece)
        yield fragment('"}')
        yield sse_event(openai_chunk(finish_reason="tool_calls"))
        yield sse_event("[DONE]")

    return _stream(sent, "text/event-stream", parts)


def ndjson_line(obj: dict) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def ollama_message(content: str = "", **message) -> dict:
    return {"model": "m", "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": content, **message}, "done": False}


OLLAMA_DONE = {"model": "m", "created_at": "2025-01-01T00:00:00Z",
               "message": {"role": "assistant", "content": ""}, "done": True,
               "done_reason": "stop", "eval_count": 3, "eval_duration": 1000}


def ollama_flood(sent: Sent, total: int, piece: int = 64 * 1024) -> Handler:
    def parts():
        for _ in range(total // piece):
            yield ndjson_line(ollama_message("x" * piece))
        yield ndjson_line(OLLAMA_DONE)

    return _stream(sent, "application/x-ndjson", parts)


def trickle(sent: Sent, head: bytes, drip: bytes, seconds: float, tail: bytes,
            content_type: str, every: float = 0.5) -> Handler:
    """``head`` at once, then one byte of ``drip`` every ``every`` seconds for
    ``seconds``, then ``tail``: each gap is far below any idle timeout, yet
    the reply lasts as long as the server likes."""

    def parts():
        yield head
        for _ in range(int(seconds / every)):
            yield drip
        yield tail

    def handle(ex: Exchange) -> None:
        ex.send_head(200, {"Content-Type": content_type})
        for number, part in enumerate(parts()):
            ex.write(part, every if 0 < number else 0.0)
            sent.bytes += len(part)
            sent.pieces.append(len(part))
        ex.end()
        sent.finished = True

    return handle
