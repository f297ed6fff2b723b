"""Sizes, durations and labels shown by the Model Library window."""

from __future__ import annotations

from app.domain import units
from app.domain.model_library import CatalogueEntry, DownloadProgress, InstalledModel

#: Untrusted strings (catalogue, file metadata, servers) are cut to this length.
MAX_SHOWN = 300


def bounded(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` as one bounded line: control characters become spaces."""
    value = "" if text is None else str(text)
    value = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value)
    return value if len(value) <= limit else value[:limit - 1] + "…"


def size(count: int | None) -> str:
    """'253 MB', '1.2 GB', '—' when unknown."""
    return "—" if count is None else units.decimal_size(count)


def duration(seconds: float | None) -> str:
    return "" if seconds is None else units.duration(seconds)


def context(tokens: int | None) -> str:
    if not tokens:
        return "—"
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else f"{tokens:,}"


def quantization(entry: CatalogueEntry) -> str:
    return bounded(entry.main_file.quantization or "—", 40)


def progress_line(progress: DownloadProgress) -> str:
    """What a download row says under its bar: state, bytes, speed, time left."""
    done = size(progress.received)
    total = f" of {size(progress.total)}" if progress.total else ""
    state = progress.state
    if state == "failed":
        return f"Failed: {bounded(progress.error or 'unknown error')}"
    if state == "paused" and progress.error:
        # Paused here because another AgentDesk process is downloading it: the
        # reason is the whole line (DownloadManager lists it so).
        return bounded(progress.error)
    if state == "running":
        parts = [f"{done}{total}"]
        if progress.bytes_per_s:
            parts.append(f"{progress.bytes_per_s / 1e6:.1f} MB/s")
        if progress.eta_s is not None:
            parts.append(f"{duration(progress.eta_s)} left")
        return " · ".join(parts)
    label = {"queued": "Waiting", "paused": "Paused", "verifying": "Checking the checksum",
             "done": "Done", "cancelled": "Cancelled"}.get(state, state)
    return f"{label} · {done}{total}" if state != "done" else f"Done · {size(progress.total)}"


def percent(progress: DownloadProgress) -> int:
    if not progress.total:
        return 0
    return min(100, int(100 * progress.received / progress.total))


def kind_of(model: InstalledModel) -> str:
    """'chat' (instruction-tuned), 'base (completes text)', or 'unknown'."""
    if model.instruction_tuned is None:
        return "chat template" if model.has_chat_template else "unknown"
    return "chat" if model.instruction_tuned else "base (completes text)"


def recommendation_reason(entry: CatalogueEntry, memory: int | None,
                          free_disk: int | None) -> str:
    """Why the pick: what it needs against what this computer has."""
    have = []
    if memory is not None:
        have.append(f"{size(memory)} memory")
    if free_disk is not None:
        have.append(f"{size(free_disk)} free disk")
    needs = f"needs about {size(entry.ram_bytes)} memory and {size(entry.size_bytes)} disk"
    if not have:
        return f"It {needs} (this computer's memory and disk could not be read)."
    return f"It {needs}; this computer has {' and '.join(have)}."
