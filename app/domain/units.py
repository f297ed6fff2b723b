"""Sizes and durations as people read them, the same in the window, the CLI
and (later) the HTTP API. Decimal units, as disks and download pages count."""

from __future__ import annotations


def decimal_size(count: int) -> str:
    """``4.9 GB``, ``253 MB``, ``37 kB``, ``900 B``."""
    if count >= 1_000_000_000:
        return f"{count / 1e9:.1f} GB"
    if count >= 1_000_000:
        return f"{count / 1e6:.0f} MB"
    if count >= 1000:
        return f"{count / 1e3:.0f} kB"
    return f"{count} B"


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 07 min``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
