"""The usage dashboard's figures, one op for the window (and any other caller).

``dashboard(store, flt)`` reads the rollup rows inside the filter (a few
thousand at most: one per UTC day, agent, provider and model; see
app/store/usage_rollup_sql.py) and folds them into a ``UsageReport``: tokens
per day, agent, model and provider; the time-to-first-token and tokens/s
distributions; tool calls and their error rate; the local versus cloud share;
and the estimated cloud cost and the cost saved by local runs from the price
table (the person's, or the built-in estimates: app/core/usage_prices.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from app.core.usage_prices import PRICES_NOTE, PriceBook, cost, default_prices
from app.domain.usage import ModelPrice, UsageFilter, UsageRow
from app.store import Store
from app.store.usage_rollup_sql import TPS_BOUNDS, TTFT_BOUNDS_MS

Locality = Literal["local", "cloud", "unknown", ""]
#: Days filled in (zero where nothing was used) at most, for the per-day chart.
MAX_FILLED_DAYS = 3660


@dataclass
class Tokens:
    """Tokens in (prompt) and out (completion) and the replies they came from."""

    prompt: int = 0
    completion: int = 0
    replies: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    def add(self, row: UsageRow) -> None:
        self.prompt += row.prompt_tokens
        self.completion += row.completion_tokens
        self.replies += row.replies


@dataclass(frozen=True)
class Distribution:
    """A histogram over fixed buckets (``bounds``: exclusive upper bounds; the
    last bucket is everything above), with the exact mean."""

    bounds: tuple[int, ...]
    counts: tuple[int, ...]
    mean: float | None

    @property
    def n(self) -> int:
        return sum(self.counts)

    def quantile_bucket(self, q: float) -> int | None:
        """The bucket holding the ``q`` quantile (None without samples)."""
        if not self.n:
            return None
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= q * self.n:
                return index
        return len(self.counts) - 1

    def lower_label(self, index: int) -> str:
        """The bucket's lower bound, short: '0', '750', '1.5k', '10k+' (chart axes)."""
        low = 0 if index == 0 else self.bounds[index - 1]
        text = f"{low / 1000:g}k" if low >= 1000 else str(low)
        return text + "+" if index == len(self.bounds) else text

    def bucket_label(self, index: int) -> str:
        low = 0 if index == 0 else self.bounds[index - 1]
        return f"{low}+" if index == len(self.bounds) else f"{low}–{self.bounds[index]}"


@dataclass(frozen=True)
class DetailRow:
    """One line of the CSV export: a day, agent, provider and model."""

    day: str
    agent: str
    provider: str
    model: str
    locality: Locality
    replies: int
    prompt_tokens: int
    completion_tokens: int
    ttft_mean_ms: float | None
    tokens_per_s_mean: float | None
    tool_calls: int
    tool_errors: int
    cost_usd: float
    saved_usd: float


@dataclass
class UsageReport:
    flt: UsageFilter
    agents: list[tuple[int, str]]
    totals: Tokens = field(default_factory=Tokens)
    by_day: list[tuple[str, Tokens]] = field(default_factory=list)
    by_agent: list[tuple[str, Tokens]] = field(default_factory=list)
    by_model: list[tuple[str, Tokens]] = field(default_factory=list)
    by_provider: list[tuple[str, Tokens]] = field(default_factory=list)
    ttft: Distribution = Distribution(TTFT_BOUNDS_MS, (0,) * (len(TTFT_BOUNDS_MS) + 1), None)
    tps: Distribution = Distribution(TPS_BOUNDS, (0,) * (len(TPS_BOUNDS) + 1), None)
    tool_calls: int = 0
    tool_errors: int = 0
    by_locality: dict[str, Tokens] = field(default_factory=dict)
    cloud_cost_usd: float = 0.0
    saved_usd: float = 0.0
    unpriced_cloud_tokens: int = 0
    reference_model: str | None = None
    prices_are_defaults: bool = True
    prices_note: str = PRICES_NOTE

    @property
    def tool_error_rate(self) -> float | None:
        return self.tool_errors / self.tool_calls if self.tool_calls else None

    @property
    def local_share(self) -> float | None:
        """Local tokens over local and cloud tokens (None when there are none)."""
        local = self.by_locality.get("local", Tokens()).total
        cloud = self.by_locality.get("cloud", Tokens()).total
        return local / (local + cloud) if local + cloud else None


def price_table(store: Store) -> tuple[list[ModelPrice], bool]:
    """The prices in use and whether they are the built-in estimates."""
    saved = store.usage.prices()
    return (default_prices(), True) if saved is None else (saved, False)


def save_prices(store: Store, prices: list[ModelPrice] | None) -> None:
    """Save the person's price table (None: back to the built-in estimates).
    At most one entry is the reference (the first marked wins)."""
    if prices:
        marked = False
        fixed = []
        for price in prices:
            fixed.append(price.model_copy(update={"is_reference": price.is_reference
                                                  and not marked}))
            marked = marked or price.is_reference
        prices = fixed
    store.usage.save_prices(prices)


class _Pricing:
    """Agent names, which providers are local, and the price book, read once."""

    def __init__(self, store: Store) -> None:
        self.names = {spec.id: spec.name for spec in store.agents.list()}
        self.local_of = {p.name.lower(): p.is_local for p in store.providers.list()}
        prices, self.defaults = price_table(store)
        self.book = PriceBook(prices)

    def locality(self, provider: str) -> Locality:
        known = self.local_of.get(provider.lower())
        return "unknown" if known is None else "local" if known else "cloud"

    def priced(self, row: UsageRow) -> tuple[Locality, float, float, bool]:
        """(locality, estimated cloud cost, estimated saved, priced?) of a row."""
        locality = self.locality(row.provider)
        if locality == "cloud":
            price = self.book.find(row.model)
            return locality, cost(price, row.prompt_tokens, row.completion_tokens), 0.0, \
                price is not None
        if locality == "local":
            return locality, 0.0, cost(self.book.reference, row.prompt_tokens,
                                       row.completion_tokens), True
        return locality, 0.0, 0.0, True


def _uses_tokens(row: UsageRow) -> bool:
    return bool(row.replies or row.prompt_tokens or row.completion_tokens)


def dashboard(store: Store, flt: UsageFilter | None = None) -> UsageReport:
    """Every figure of the dashboard for ``flt`` (default: everything).

    Three grouped reads of the rollup (per provider and model, per day, per
    agent), summed by SQLite: a few hundred groups at most reach Python."""
    flt = flt or UsageFilter()
    pricing = _Pricing(store)
    report = UsageReport(
        flt=flt, agents=sorted(pricing.names.items(), key=lambda kv: kv[1].lower()),
        prices_are_defaults=pricing.defaults,
        reference_model=pricing.book.reference.model if pricing.book.reference else None)
    models: dict[str, Tokens] = defaultdict(Tokens)
    providers: dict[str, Tokens] = defaultdict(Tokens)
    ttft, tps = [0] * len(report.ttft.counts), [0] * len(report.tps.counts)
    sums = [0.0, 0, 0.0, 0]  # ttft sum, n; tps sum, n
    for row in store.usage.grouped(flt, ("provider", "model")):
        report.tool_calls += row.tool_calls
        report.tool_errors += row.tool_errors
        if not _uses_tokens(row):
            continue
        locality, spent, saved, priced = pricing.priced(row)
        for bucket in (report.totals, models[f"{row.model} ({row.provider})"],
                       providers[row.provider]):
            bucket.add(row)
        report.by_locality.setdefault(locality, Tokens()).add(row)
        report.cloud_cost_usd += spent
        report.saved_usd += saved
        if not priced:
            report.unpriced_cloud_tokens += row.prompt_tokens + row.completion_tokens
        for i, count in enumerate(row.ttft_hist):
            ttft[i] += count
        for i, count in enumerate(row.tps_hist):
            tps[i] += count
        sums[0] += row.ttft_sum
        sums[1] += row.ttft_n
        sums[2] += row.tps_sum
        sums[3] += row.tps_n
    report.ttft = Distribution(TTFT_BOUNDS_MS, tuple(ttft), sums[0] / sums[1] if sums[1] else None)
    report.tps = Distribution(TPS_BOUNDS, tuple(tps), sums[2] / sums[3] if sums[3] else None)
    per_day = store.usage.grouped(flt, ("day",), tokens_only=True)
    days = {row.day: _tokens(row) for row in per_day if _uses_tokens(row)}
    report.by_day = _filled_days(days, flt)
    report.by_agent = _largest_first({pricing.names.get(row.agent_id, "?"): _tokens(row)
                                      for row in store.usage.grouped(flt, ("agent_id",),
                                                                      tokens_only=True)
                                      if _uses_tokens(row)})
    report.by_model = _largest_first(models)
    report.by_provider = _largest_first(providers)
    return report


def detail_rows(store: Store, flt: UsageFilter | None = None) -> list[DetailRow]:
    """One row per UTC day, agent, provider and model (tool calls: provider and
    model empty), with its estimated cost or saving: the CSV export's lines."""
    pricing = _Pricing(store)
    found = []
    for row in store.usage.rows(flt):
        locality, spent, saved, _priced = (pricing.priced(row) if _uses_tokens(row)
                                           else ("", 0.0, 0.0, True))
        found.append(DetailRow(
            day=row.day, agent=pricing.names.get(row.agent_id, "?"), provider=row.provider,
            model=row.model, locality=locality, replies=row.replies,
            prompt_tokens=row.prompt_tokens, completion_tokens=row.completion_tokens,
            ttft_mean_ms=row.ttft_sum / row.ttft_n if row.ttft_n else None,
            tokens_per_s_mean=row.tps_sum / row.tps_n if row.tps_n else None,
            tool_calls=row.tool_calls, tool_errors=row.tool_errors, cost_usd=spent,
            saved_usd=saved))
    return found


def _tokens(row: UsageRow) -> Tokens:
    return Tokens(row.prompt_tokens, row.completion_tokens, row.replies)


def _largest_first(groups: dict[str, Tokens]) -> list[tuple[str, Tokens]]:
    return sorted(groups.items(), key=lambda kv: (-kv[1].total, kv[0].lower()))


def _filled_days(days: dict[str, Tokens], flt: UsageFilter) -> list[tuple[str, Tokens]]:
    """Every day from the filter's start (or the first used day) to its end (or
    the last used day), zero where nothing was used."""
    if not days and not (flt.start and flt.end):
        return []
    try:
        first = flt.start or date.fromisoformat(min(days))
        last = flt.end or date.fromisoformat(max(days))
    except ValueError:  # a damaged stored time: its day text is no date
        return sorted(days.items())
    if (last - first).days > MAX_FILLED_DAYS:
        return sorted(days.items())
    span = ((first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1))
    return [(day, days.get(day, Tokens())) for day in span]
