"""Server-sent events: turn body lines into event data payloads."""

from collections.abc import AsyncIterator

from app.providers.base import ProviderError

DEFAULT_MAX_EVENT_CHARS = 4 * 1024 * 1024


async def sse_data(lines: AsyncIterator[str], max_chars: int = DEFAULT_MAX_EVENT_CHARS,
                   where: str = "the server") -> AsyncIterator[str]:
    """Yield the ``data`` of each event (multi-line data joined by newlines).

    Comments (``:``) and other fields (``event``, ``id``, ``retry``) are skipped:
    the OpenAI-compatible servers carry everything in ``data``. One event's
    data may be at most ``max_chars`` long: each line is already bounded by
    the transport, but an event made of endless short ``data:`` lines would
    otherwise be collected without bound (ProviderError, protocol).
    """
    data: list[str] = []
    size = 0
    async for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
                size = 0
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            size += len(value)
            if size > max_chars:
                raise ProviderError("protocol", f"{where} sent a stream event longer "
                                    f"than {max_chars // (1024 * 1024) or max_chars} "
                                    f"{'MB' if max_chars >= 1024 * 1024 else 'characters'}")
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)
