"""The dashboard's headline figures as (caption, value) texts (no Qt)."""

from __future__ import annotations

from app.ops.usage import UsageReport


def usd(amount: float) -> str:
    """Dollars with cents, or four decimals below a cent (tiny local runs)."""
    return f"${amount:,.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.4f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def summary_texts(report: UsageReport) -> dict[str, tuple[str, str]]:
    rate = report.tool_error_rate
    errors = "" if rate is None else f" ({percent(rate)} errors)"
    first, speed = report.ttft.mean, report.tps.mean
    return {
        "tokensIn": ("Tokens in", f"{report.totals.prompt:,}"),
        "tokensOut": ("Tokens out", f"{report.totals.completion:,}"),
        "replies": ("Replies", f"{report.totals.replies:,}"),
        "ttftMean": ("First token (mean)", "—" if first is None else f"{first:,.0f} ms"),
        "tpsMean": ("Speed (mean)", "—" if speed is None else f"{speed:,.1f} tok/s"),
        "toolCalls": ("Tool calls", f"{report.tool_calls:,}{errors}"),
        "localShare": ("Local share", percent(report.local_share)),
        "cloudCost": ("Est. cloud cost", usd(report.cloud_cost_usd)),
        "savedCost": ("Est. saved locally", usd(report.saved_usd)),
    }
