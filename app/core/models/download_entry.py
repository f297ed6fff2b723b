"""One download as the DownloadManager keeps it in memory: its record, the
file's lock, its task, the bytes the part file holds, and what a progress row
says of it (speed and time left from the last few seconds' samples)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from app.core.models.download_errors import DownloadBusy, DownloadError
from app.core.models.download_lock import DownloadLock
from app.core.models.download_state import DownloadRecord
from app.domain.model_library import DownloadProgress

#: Seconds of byte counts the speed is measured over.
SPEED_WINDOW_S = 4.0


@dataclass
class Download:
    record: DownloadRecord
    lock: DownloadLock
    received: int = 0
    task: asyncio.Task | None = None
    error: DownloadError | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    samples: deque = field(default_factory=deque)
    last_notice: float = 0.0
    #: Set while another process holds the file's lock (shown as the row's error).
    elsewhere: DownloadBusy | None = None

    def sample(self, now: float, count: int) -> None:
        """The part file holds ``count`` bytes at ``now`` (time.monotonic)."""
        self.received = count
        self.samples.append((now, count))
        while self.samples and now - self.samples[0][0] > SPEED_WINDOW_S:
            self.samples.popleft()

    def progress(self) -> DownloadProgress:
        record = self.record
        speed = eta = None
        samples = self.samples
        if record.state == "running" and len(samples) >= 2 and samples[-1][0] > samples[0][0]:
            speed = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
            if record.total is not None and speed > 0:
                eta = max(record.total - self.received, 0) / speed
        error = str(self.elsewhere) if self.elsewhere else record.error
        return DownloadProgress(id=record.id, filename=record.filename,
                                received=self.received, total=record.total or
                                record.size_bytes, bytes_per_s=speed, eta_s=eta,
                                state=record.state, error=error, note=record.note)
