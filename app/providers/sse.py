"""Server-sent events: turn body lines into event data payloads."""

from collections.abc import AsyncIterator


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """Yield the ``data`` of each event (multi-line data joined by newlines).

    Comments (``:``) and other fields (``event``, ``id``, ``retry``) are skipped:
    the OpenAI-compatible servers carry everything in ``data``.
    """
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)
