"""How much drawing work one event-loop turn (and one message) may do (pure Python).

Work is counted in units of roughly a microsecond of CPU on the machines we
measured (2 cores, Python 3.11, PySide6 6.11): an estimate from what a block
contains, not a clock, so what is drawn in which turn does not depend on the
machine's load (tests stay deterministic).

- ``block_cost``: escaping and inserting text costs per character and per line
  (every line of a plain block becomes a QTextBlock); Markdown adds its own
  per-character, per-line, per-table-cell and per-emphasis-mark cost.
- ``FRAME_UNITS``: what one event-loop turn draws before it yields (about a
  frame, 16 ms, with layout and paint on top). An item is drawn when its cost
  fits in what is left, or when it is the turn's first (so every turn makes
  progress); items are bounded by the Markdown limits (markdown_render.py) and
  by cutting plain text into pieces, so one item is itself about a frame at most.
- ``ITEM_UNITS``: the fixed cost of inserting anything (a QTextDocument insert and
  the height update after it, ~0.2 ms however small the block).
- ``MESSAGE_MARKDOWN_UNITS``: what one message may spend in Markdown; blocks
  past it are shown as plain text (a note says formatting was skipped).
"""

from __future__ import annotations

FRAME_UNITS = 12_000
ITEM_UNITS = 200
MESSAGE_MARKDOWN_UNITS = 400_000


def block_cost(text: str, *, markdown: bool) -> int:
    """Estimated units to render and insert ``text`` (as Markdown or as plain text)."""
    lines = text.count("\n") + 1
    cost = ITEM_UNITS + len(text) // 2 + 10 * lines
    if markdown:
        cost += (len(text) // 2 + 10 * lines + 25 * text.count("|")
                 + 3 * (text.count("*") + text.count("_")))
    return cost


def split_cost(text: str) -> int:
    """Estimated units for the block splitter to scan ``text`` (~2.5 µs a line)."""
    return len(text) // 4 + 2 * text.count("\n")


class WorkBudget:
    """Units left in the current event-loop turn."""

    def __init__(self, units: int = FRAME_UNITS) -> None:
        self.left = units
        self.fresh = True  # nothing drawn yet this turn

    @property
    def spent(self) -> bool:
        return self.left <= 0

    def allows(self, units: int) -> bool:
        """Whether work of ``units`` may be done now: it fits, or it is the turn's first."""
        return self.fresh or units <= self.left

    def take(self, units: int) -> None:
        self.left -= units
        self.fresh = False


class Unlimited(WorkBudget):
    """No limit (drawing outside the view's turns, e.g. a test's synchronous render)."""

    def __init__(self) -> None:
        super().__init__(0)

    @property
    def spent(self) -> bool:
        return False

    def allows(self, units: int) -> bool:
        return True

    def take(self, units: int) -> None:
        return None
