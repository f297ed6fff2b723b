"""The usage dashboard's vocabulary: filters, rollup rows, prices.

Figures come from the stored messages through the ``usage_rollup`` table that
triggers keep (app/store/usage_rollup_sql.py); days are UTC calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field, model_validator



class UsageFilter(BaseModel):
    """Which usage to count: a UTC date range (both ends included; None =
    open) and the agents (empty = every agent)."""

    start: date | None = None
    end: date | None = None
    agent_ids: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> UsageFilter:
        if self.start and self.end and self.start > self.end:
            raise ValueError("the start date is after the end date")
        return self


@dataclass(frozen=True)
class UsageRow:
    """One rollup row: a UTC day, an agent, a provider and a model (both ''
    for tool calls) and the sums the dashboard reads."""

    day: str
    agent_id: int
    provider: str
    model: str
    replies: int
    prompt_tokens: int
    completion_tokens: int
    ttft_n: int
    ttft_sum: float
    tps_n: int
    tps_sum: float
    tool_calls: int
    tool_errors: int
    ttft_hist: tuple[int, ...]
    tps_hist: tuple[int, ...]


class ModelPrice(BaseModel):
    """An estimated list price in USD per million tokens. ``model`` matches a
    model id exactly or as its longest prefix (case-insensitive);
    ``is_reference`` marks the cloud model local runs are priced as."""

    model: str = Field(min_length=1, max_length=200)
    input_per_mtok: float = Field(ge=0, le=10_000)
    output_per_mtok: float = Field(ge=0, le=10_000)
    is_reference: bool = False
