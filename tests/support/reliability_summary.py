"""One summary line per reliability category at the end of a test run.

Issue 21 asks for the suite's figures in the CI log: per category, how many
runs, faults injected, inputs tried, and the losses found (always 0 when the
suite is green). A test adds its figures with :func:`record`; the root
conftest prints :func:`summary_lines` in pytest's terminal summary, so the
lines appear without ``-s``. Figures of the same name add up across tests;
``losses`` is a figure like any other, so a category reports ``losses=0`` only
because its tests said so.

``AGENTDESK_RELIABILITY_REPORT=<path>`` also writes them as JSON (the figures
copied into docs/RELIABILITY.md come from there or from the log).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

_FIGURES: dict[str, dict[str, int | float | str]] = {}


def record(category: str, **figures: int | float | str) -> None:
    """Add ``figures`` to ``category``: numbers add up, text replaces."""
    merged = _FIGURES.setdefault(category, {})
    for name, value in figures.items():
        previous = merged.get(name)
        if isinstance(value, (int, float)) and isinstance(previous, (int, float)):
            merged[name] = previous + value
        else:
            merged[name] = value


def record_max(category: str, **figures: int | float) -> None:
    """Keep the largest value seen for each of ``figures`` (a measured
    maximum, such as the longest event-loop gap, does not add up)."""
    merged = _FIGURES.setdefault(category, {})
    for name, value in figures.items():
        previous = merged.get(name)
        merged[name] = value if not isinstance(previous, (int, float)) else max(previous, value)


def summary_lines() -> list[str]:
    """``reliability: <category>: name=value, …`` for every category recorded."""
    lines = []
    for category in sorted(_FIGURES):
        figures = _FIGURES[category]
        shown = ", ".join(f"{name}={_shown(value)}" for name, value in figures.items())
        lines.append(f"reliability: {category}: {shown}")
    return lines


def write_report() -> None:
    """Write the figures to ``AGENTDESK_RELIABILITY_REPORT`` when it is set."""
    target = os.environ.get("AGENTDESK_RELIABILITY_REPORT")
    if target and _FIGURES:
        Path(target).write_text(json.dumps(_FIGURES, indent=2, sort_keys=True), encoding="utf-8")


def _shown(value: int | float | str) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)
