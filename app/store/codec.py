"""Conversions between stored column values and domain values.

Times are stored as UTC ISO-8601 text of fixed width
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``, the year zero-padded to four digits), so
text order is time order, for every year Python can hold (1–9999).

Range decision (issue 15): the store never refuses a time. A time whose UTC
instant falls outside year 1–9999 (``datetime(1, 1, 1, tzinfo=+05:00)``: its
UTC instant is in year 0) is *clamped* to the first or last representable
microsecond (``MIN_TIME`` / ``MAX_TIME``), which moves it by at most the
offset (under a day) at the very ends of the calendar. Importers that want to
tell the user about a date out of range check ``in_range`` before saving.

Reading is lenient about what older versions wrote: the old codec used
``strftime("%Y")``, which wrote year 999 as ``'999-01-01T…'``; such text is
read for the time it meant. Text that is no time at all raises
``DamagedValueError`` (a ``StoreError``), which the repositories turn into a
row marked damaged instead of a failed list.
"""

import json
import re
from datetime import UTC, datetime
from typing import Any

from app.store.errors import DamagedValueError

#: The first and last instants the store can hold (UTC).
MIN_TIME = datetime.min.replace(tzinfo=UTC)
MAX_TIME = datetime.max.replace(tzinfo=UTC)
#: What a row's time reads as when its stored text is no time (the row is
#: marked damaged). The Unix epoch: every time zone can show it.
UNREADABLE_TIME = datetime(1970, 1, 1, tzinfo=UTC)
#: Longest stored time text worth parsing (ours is 27 characters).
_MAX_TEXT = 64
#: A year of one to three digits at the start: the old codec's unpadded years.
_SHORT_YEAR = re.compile(r"(\d{1,3})-(?=\d\d-\d\d)")


def in_range(value: datetime) -> bool:
    """Whether the store keeps ``value`` exactly: its UTC instant lies within
    year 1–9999 (a naive time is read as UTC, so it always does)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return True
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def clamp(value: datetime) -> datetime:
    """``value`` as an aware UTC time, clamped into year 1–9999 (see the module
    docstring); a naive time is taken as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # Only a date at the very start (positive offset) or end (negative
        # offset) of the calendar overflows; its year says which end.
        return MIN_TIME if value.year == 1 else MAX_TIME


def time_to_db(value: datetime) -> str:
    """UTC ISO-8601 text with fixed width, so text order is time order.

    ``isoformat`` zero-pads the year (``strftime("%Y")`` does not below 1000
    on glibc, which made year 999 unreadable)."""
    utc = clamp(value).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def time_from_db(text: str) -> datetime:
    """The aware UTC time stored as ``text``; DamagedValueError when it is none."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        raise DamagedValueError("time", text)
    try:
        # fromisoformat reads time_to_db's format (with its "Z") and is ~15x
        # faster than strptime, which dominated loading a page of messages.
        value = datetime.fromisoformat(text)
    except ValueError:
        value = _old_format(text)
    return clamp(value)


def _old_format(text: str) -> datetime:
    """Text the old codec wrote for a year below 1000 (unpadded), else damage."""
    short = _SHORT_YEAR.match(text)
    if short is not None:
        try:
            return datetime.fromisoformat(short.group(1).zfill(4) + text[short.end(1):])
        except ValueError:
            pass  # not a time after all: damaged, below
    raise DamagedValueError("time", text)


def time_or_damaged(text: str, field: str, damage: list[str]) -> datetime:
    """``time_from_db(text)``, or ``UNREADABLE_TIME`` with ``field`` added to
    ``damage`` when the text is no time (for rows that are marked, not lost)."""
    try:
        return time_from_db(text)
    except DamagedValueError:
        damage.append(field)
        return UNREADABLE_TIME


def json_to_db(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_from_db(text: str | None, default: Any = None) -> Any:
    if text is None or text == "":
        return default
    return json.loads(text)
