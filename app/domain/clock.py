"""One place that says what "now" is, so every stored time is UTC and comparable."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Current time in UTC, timezone-aware, millisecond precision (what SQLite keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)
