"""The ``clock`` tool: current time, time-zone conversion and date arithmetic.

Time zones are IANA names resolved with ``zoneinfo`` (case-insensitively, so
``europe/berlin`` works); no zone means the computer's local time. Dates are
ISO 8601 text; a date or time without an offset is read in the given zone.

Arithmetic follows what people mean: weeks and days move the calendar (the
wall-clock time stays the same across a daylight-saving change), hours and
minutes are elapsed time. Differences are elapsed time between two instants.

``now`` is injectable (``clock_tool(now=...)``) so tests need no real clock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.core.tools.base import FunctionTool, Tool, ToolError

Now = Callable[[], datetime]
Action = Literal["now", "convert", "add", "difference"]

LOCAL_NAMES = {"", "local"}


def system_now() -> datetime:
    return datetime.now(UTC)


@functools.lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def resolve_zone(name: str | None) -> tzinfo | None:
    """The zone for an IANA name; None for local time. Raises ToolError."""
    if name is None or name.strip().casefold() in LOCAL_NAMES:
        return None
    key = name.strip()
    if key.upper() in {"Z", "GMT"}:
        key = "UTC"
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass  # maybe only the letter case differs; look it up below
    canonical = _zones_by_folded_name().get(key.casefold())
    if canonical is not None:
        return ZoneInfo(canonical)
    raise ToolError(f"unknown time zone {name!r} (use an IANA name such as "
                    "Europe/Berlin, America/New_York, Asia/Tokyo or UTC)")


def _in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """An aware datetime shown in ``zone`` (None: local time)."""
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def parse_when(text: str, zone: tzinfo | None) -> datetime:
    """An aware datetime from ISO 8601 text; a naive one is read in ``zone``."""
    cleaned = text.strip()
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise ToolError(f"invalid date/time {text!r} (use ISO 8601, e.g. "
                        "2024-05-01, 2024-05-01T14:30 or 2024-05-01T14:30+02:00)") from exc
    if parsed.tzinfo is not None:
        return parsed
    # A naive time is wall-clock time in the given zone (local: the system's).
    return parsed.replace(tzinfo=zone) if zone is not None else parsed.astimezone()


def _zone_label(zone: tzinfo | None) -> str:
    return getattr(zone, "key", None) or "local time"


def describe(moment: datetime, zone: tzinfo | None) -> str:
    """One line a model and a person both read easily."""
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return (f"{moment.strftime('%A, %d %B %Y, %H:%M:%S')} {moment.tzname() or ''} "
            f"({_zone_label(zone)}, {offset}); ISO "
            f"{moment.replace(microsecond=0).isoformat()}").replace("  ", " ")


def _add(moment: datetime, zone: tzinfo | None, weeks: float, days: float,
         hours: float, minutes: float) -> datetime:
    try:
        # Calendar part on the wall clock, elapsed part on the absolute timeline.
        wall = moment.replace(tzinfo=None) + timedelta(weeks=weeks, days=days)
        wall = wall.replace(tzinfo=zone) if zone is not None else wall.astimezone()
        elapsed = wall.astimezone(UTC) + timedelta(hours=hours, minutes=minutes)
        return _in_zone(elapsed, zone)
    except (OverflowError, ValueError) as exc:
        raise ToolError("the resulting date is out of range (years 1 to 9999)") from exc


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{value} {unit}{'' if value == 1 else 's'}" for value, unit in
             ((days, "day"), (hours, "hour"), (minutes, "minute"), (secs, "second"))
             if value]
    return ", ".join(parts) or "0 seconds"


def difference(start: datetime, end: datetime) -> str:
    delta = end.astimezone(UTC) - start.astimezone(UTC)
    direction = "after" if delta >= timedelta(0) else "before"
    total = delta.total_seconds()
    return (f"{end.replace(microsecond=0).isoformat()} is {_span(delta)} {direction} "
            f"{start.replace(microsecond=0).isoformat()} "
            f"(total {total / 86_400:+.4g} days = {total / 3_600:+.6g} hours = "
            f"{total:+.0f} seconds)")


def run_clock(now: Now, action: Action, timezone: str | None, when: str | None,
              to_timezone: str | None, until: str | None, weeks: float, days: float,
              hours: float, minutes: float) -> str:
    zone = resolve_zone(timezone)
    base = parse_when(when, zone) if when else now()
    if action == "now":
        if when:
            raise ToolError("'now' takes no 'when'; use action 'convert' or 'add'")
        return f"now: {describe(_in_zone(base, zone), zone)}"
    if action == "convert":
        if to_timezone is None:
            raise ToolError("'convert' needs 'to_timezone'")
        target = resolve_zone(to_timezone)
        return (f"{describe(_in_zone(base, zone), zone)} is "
                f"{describe(_in_zone(base, target), target)}")
    if action == "add":
        result = _add(_in_zone(base, zone), zone, weeks, days, hours, minutes)
        return f"result: {describe(result, zone)}"
    if action == "difference":
        if until is None:
            raise ToolError("'difference' needs 'until' (and 'when', default now)")
        return difference(base, parse_when(until, zone))
    raise ToolError(f"unknown action {action!r}")


def clock_tool(now: Now = system_now) -> Tool:
    """The ``clock`` tool; ``now`` must return an aware datetime."""

    def clock(action: Action = "now", timezone: str | None = None,
              when: str | None = None, to_timezone: str | None = None,
              until: str | None = None, weeks: float = 0, days: float = 0,
              hours: float = 0, minutes: float = 0) -> str:
        """Current date and time, time-zone conversion, and date arithmetic.

        Actions: "now" (current time in `timezone`); "convert" (the time `when`,
        default now, from `timezone` into `to_timezone`); "add" (add weeks, days,
        hours, minutes — negative to subtract — to `when`, default now);
        "difference" (time from `when`, default now, until `until`).

        Args:
            action: what to do: now, convert, add or difference.
            timezone: IANA time zone such as Europe/Berlin or UTC; empty for local time.
                Times without an offset are read in this zone.
            when: an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T14:30.
            to_timezone: for convert: the IANA time zone to convert into.
            until: for difference: the later (or earlier) ISO 8601 date or date-time.
            weeks: for add: weeks to add (calendar).
            days: for add: days to add (calendar).
            hours: for add: hours to add (elapsed).
            minutes: for add: minutes to add (elapsed).
        """
        try:
            return run_clock(now, action, timezone, when, to_timezone, until,
                             weeks, days, hours, minutes)
        except OverflowError as exc:  # e.g. converting 9999-12-31T23:00Z eastwards
            raise ToolError("the date is out of range (years 1 to 9999)") from exc

    return FunctionTool(clock, name="clock", risk="low", timeout=10.0)
