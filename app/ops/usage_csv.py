"""The dashboard's CSV export: one line per UTC day, agent, provider and model."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from app.ops.exchange import write_text
from app.ops.usage import DetailRow

COLUMNS = ("day", "agent", "provider", "model", "locality", "replies", "tokens_in",
           "tokens_out", "ttft_mean_ms", "tokens_per_s_mean", "tool_calls", "tool_errors",
           "estimated_cloud_cost_usd", "estimated_saved_usd")


def usage_csv(rows: list[DetailRow]) -> str:
    """The rows (``ops.usage.detail_rows``) as CSV text (costs are estimates: see the price table).
    A cell that a spreadsheet would run as a formula is prefixed with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([
            row.day, _cell(row.agent), _cell(row.provider), _cell(row.model), row.locality,
            row.replies, row.prompt_tokens, row.completion_tokens, _number(row.ttft_mean_ms),
            _number(row.tokens_per_s_mean), row.tool_calls, row.tool_errors,
            f"{row.cost_usd:.6f}", f"{row.saved_usd:.6f}"])
    return out.getvalue()


def export_usage_csv(rows: list[DetailRow], path: Path) -> int:
    """Write the CSV to ``path`` atomically (ExportError on failure); returns rows."""
    write_text(path, usage_csv(rows))
    return len(rows)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
