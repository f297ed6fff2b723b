"""Built-in price estimates and how a model's tokens are priced.

The dashboard's cloud cost and "saved by running locally" are estimates from a
price table the person can edit (Dashboard › Prices; stored in the database).
These defaults are list prices in USD per million tokens (input / output) for
OpenAI models, as a third-party summary of OpenAI's pricing page gave them in
March 2026 (deploybase.ai/articles/openai-pricing, "Data from OpenAI pricing
page, March 2026"). They are never fetched from the internet: a price that
changed is changed by the person, in the table.
"""

from __future__ import annotations

from app.domain.usage import ModelPrice

#: When the built-in prices were read (shown beside every cost figure).
PRICES_AS_OF = "2026-03"
PRICES_NOTE = (f"Estimates in USD from list prices as of {PRICES_AS_OF} (per million "
               "tokens). Not fetched from the internet: edit them under Prices.")

#: The cloud model local runs are priced as unless the table marks another.
DEFAULT_REFERENCE = "gpt-4o-mini"

_DEFAULTS = (
    ("gpt-5", 1.25, 10.00), ("gpt-5-mini", 0.25, 2.00), ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.00, 8.00), ("gpt-4.1-mini", 0.40, 1.60), ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.00), ("gpt-4o-mini", 0.15, 0.60),
    ("o3", 2.00, 8.00), ("o3-mini", 1.10, 4.40), ("o4-mini", 1.10, 4.40),
)


def default_prices() -> list[ModelPrice]:
    return [ModelPrice(model=model, input_per_mtok=i, output_per_mtok=o,
                       is_reference=model == DEFAULT_REFERENCE)
            for model, i, o in _DEFAULTS]


class PriceBook:
    """Looks prices up: a model id matches an entry exactly or by the longest
    entry it starts with, case-insensitively (``gpt-4o-mini-2024-07-18`` is
    priced as ``gpt-4o-mini``, never as ``gpt-4o``)."""

    def __init__(self, prices: list[ModelPrice]) -> None:
        self._by_model = {p.model.strip().lower(): p for p in prices}
        self._longest_first = sorted(self._by_model, key=len, reverse=True)
        marked = [p for p in prices if p.is_reference]
        self.reference: ModelPrice | None = marked[0] if marked else None

    def find(self, model: str) -> ModelPrice | None:
        key = model.strip().lower()
        if key in self._by_model:
            return self._by_model[key]
        for entry in self._longest_first:
            if key.startswith(entry):
                return self._by_model[entry]
        return None


def cost(price: ModelPrice | None, prompt_tokens: int, completion_tokens: int) -> float:
    """Estimated USD for the tokens at ``price`` (0 when there is no price)."""
    if price is None:
        return 0.0
    return (prompt_tokens * price.input_per_mtok
            + completion_tokens * price.output_per_mtok) / 1_000_000
