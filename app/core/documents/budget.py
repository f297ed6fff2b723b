"""The running tally of one conversion against its limits (characters and
time), so every reader stops the same way and says why."""

from __future__ import annotations

import time

from app.core.documents.model import DocumentLimits, Section


class Budget:
    """Collects sections until ``limits.max_chars`` or ``max_seconds`` is
    reached; ``full`` then says to stop reading and ``note`` says why."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits
        self.sections: list[Section] = []
        self._chars = 0
        self._started = time.monotonic()
        self.note = ""

    @property
    def full(self) -> bool:
        return bool(self.note)

    def add(self, text: str, *, page: int | None = None, heading: str | None = None) -> bool:
        """Keeps ``text`` (cut to what the budget has left); False once full."""
        if self.full:
            return False
        # The first section is always kept: a time limit cuts long work short,
        # it never turns a slow start into "no text".
        if self.sections and time.monotonic() - self._started > self.limits.max_seconds:
            self.note = f"reading stopped after {self.limits.max_seconds:g} seconds"
            return False
        room = self.limits.max_chars - self._chars
        if len(text) > room:
            text = text[:room]
            self.note = f"text cut at {self.limits.max_chars:,} characters"
        self._chars += len(text)
        if text.strip():
            self.sections.append(Section(text=text, page=page, heading=heading))
        return not self.full

    def stop(self, note: str) -> None:
        """Marks the document cut short for a reason of the reader's own."""
        if not self.note:
            self.note = note
