"""The dashboard's figures from a seeded database match values computed by hand.

Data: tests/support/usage_seed.py (three UTC days, two agents, a local and a
cloud provider). Prices: the built-in estimates (gpt-4o-mini $0.15/$0.60,
gpt-4o $2.50/$10 per million tokens; reference gpt-4o-mini) unless a test
saves its own table.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from app.domain.usage import ModelPrice, UsageFilter
from app.ops import usage
from app.ops.exchange import ExportError
from app.ops.usage_csv import COLUMNS, export_usage_csv, usage_csv
from app.store import Store
from tests.support.usage_seed import reply, seed_usage


def _totals(pairs):
    return {name: (t.prompt, t.completion) for name, t in pairs}


def test_the_whole_history_in_figures(store: Store) -> None:
    seed_usage(store)
    report = usage.dashboard(store)
    assert (report.totals.prompt, report.totals.completion, report.totals.replies) == (
        10100, 4600, 5)
    assert _totals(report.by_day) == {"2026-01-10": (3000, 1500),
                                      "2026-01-11": (7000, 3000),
                                      "2026-01-12": (100, 100)}
    assert _totals(report.by_agent) == {"Coder": (5100, 1600), "Writer": (5000, 3000)}
    assert [name for name, _ in report.by_agent] == ["Writer", "Coder"]  # largest first
    assert _totals(report.by_model) == {"llama3.2 (lan)": (5000, 3000),
                                        "gpt-4o-2024-08-06 (cloud)": (4000, 1000),
                                        "gpt-4o-mini (cloud)": (1000, 500),
                                        "mystery-model (cloud)": (100, 100)}
    assert _totals(report.by_provider) == {"lan": (5000, 3000), "cloud": (5100, 1600)}


def test_time_to_first_token_and_speed_distributions(store: Store) -> None:
    seed_usage(store)
    report = usage.dashboard(store)
    # ttft 150, 600, 2500 ms: buckets 100–200, 500–750, 2000–3000
    assert report.ttft.counts == (0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0)
    assert report.ttft.mean == pytest.approx(3250 / 3)
    assert report.ttft.bucket_label(report.ttft.quantile_bucket(0.5)) == "500–750"
    # tokens/s 50, 12, 90, 25: buckets 40–60, 10–15, 80–100, 20–30
    assert report.tps.counts == (0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0)
    assert report.tps.mean == pytest.approx(177 / 4)
    assert report.tps.bucket_label(11) == "200+"


def test_tool_calls_local_share_and_costs(store: Store) -> None:
    seed_usage(store)
    report = usage.dashboard(store)
    assert (report.tool_calls, report.tool_errors) == (3, 1)
    assert report.tool_error_rate == pytest.approx(1 / 3)
    assert report.by_locality["local"].total == 8000
    assert report.by_locality["cloud"].total == 6700
    assert report.local_share == pytest.approx(8000 / 14700)
    # gpt-4o-mini 1000/500 + gpt-4o (by prefix) 4000/1000; mystery-model unpriced
    assert report.cloud_cost_usd == pytest.approx(0.00045 + 0.02)
    assert report.unpriced_cloud_tokens == 200
    # local 5000 in / 3000 out at gpt-4o-mini
    assert report.saved_usd == pytest.approx(0.00255)
    assert report.prices_are_defaults and report.reference_model == "gpt-4o-mini"
    assert "2026-03" in report.prices_note and "Estimates" in report.prices_note


def test_filters_by_agent_and_by_date_range(store: Store) -> None:
    seeded = seed_usage(store)
    writer = usage.dashboard(store, UsageFilter(agent_ids=(seeded.writer_id,)))
    assert (writer.totals.prompt, writer.totals.completion) == (5000, 3000)
    assert (writer.tool_calls, writer.tool_errors) == (1, 0)
    assert writer.cloud_cost_usd == 0 and writer.local_share == 1.0
    one_day = usage.dashboard(store, UsageFilter(start=date(2026, 1, 11),
                                                 end=date(2026, 1, 11)))
    assert (one_day.totals.prompt, one_day.totals.completion) == (7000, 3000)
    assert one_day.tool_calls == 1 and [d for d, _ in one_day.by_day] == ["2026-01-11"]
    wide = usage.dashboard(store, UsageFilter(start=date(2026, 1, 9), end=date(2026, 1, 13)))
    assert [d for d, _ in wide.by_day] == ["2026-01-09", "2026-01-10", "2026-01-11",
                                           "2026-01-12", "2026-01-13"]
    assert wide.by_day[0][1].total == 0
    with pytest.raises(ValueError):
        UsageFilter(start=date(2026, 1, 12), end=date(2026, 1, 11))


def test_an_edited_price_table_prices_cloud_and_local_runs(store: Store) -> None:
    seed_usage(store)
    usage.save_prices(store, [
        ModelPrice(model="GPT-4o-mini", input_per_mtok=1, output_per_mtok=2, is_reference=True),
        ModelPrice(model="mystery", input_per_mtok=10, output_per_mtok=10, is_reference=True)])
    prices, defaults = usage.price_table(store)
    assert not defaults and [p.is_reference for p in prices] == [True, False]
    report = usage.dashboard(store)
    assert report.cloud_cost_usd == pytest.approx(0.002 + 0.002)  # gpt-4o no longer priced
    assert report.unpriced_cloud_tokens == 5000
    assert report.saved_usd == pytest.approx(0.011)
    usage.save_prices(store, None)
    assert usage.price_table(store)[1] is True


def test_new_replies_count_at_once_and_deleted_chats_leave_the_figures(store: Store) -> None:
    seeded = seed_usage(store)
    reply(store, seeded.writer_chat, "lan", "llama3.2", "2026-01-12", pt=7, ct=3)
    assert usage.dashboard(store).totals.total == 14700 + 10
    store.conversations.delete(seeded.coder_chat)
    report = usage.dashboard(store)
    assert report.totals.total == 8010 and report.tool_calls == 1
    store.agents.delete(seeded.writer_id)
    emptied = usage.dashboard(store)
    assert (emptied.totals.total, emptied.tool_calls, emptied.by_agent) == (0, 0, [])
    assert usage.detail_rows(store) == []


def test_the_csv_export_has_one_line_per_day_agent_and_model(store: Store, tmp_path) -> None:
    seed_usage(store)
    rows = usage.detail_rows(store, UsageFilter(start=date(2026, 1, 10), end=date(2026, 1, 10)))
    target = tmp_path / "usage.csv"
    assert export_usage_csv(rows, target) == 3
    lines = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert tuple(lines[0]) == COLUMNS
    by_key = {(r["agent"], r["model"]): r for r in lines}
    coder = by_key[("Coder", "gpt-4o-mini")]
    assert (coder["tokens_in"], coder["tokens_out"], coder["locality"]) == ("1000", "500", "cloud")
    assert float(coder["estimated_cloud_cost_usd"]) == pytest.approx(0.00045)
    assert coder["ttft_mean_ms"] == "150.0" and coder["tokens_per_s_mean"] == "50.0"
    tools = by_key[("Coder", "")]
    assert (tools["tool_calls"], tools["tool_errors"]) == ("2", "1")
    writer = by_key[("Writer", "llama3.2")]
    assert float(writer["estimated_saved_usd"]) == pytest.approx(0.0003 + 0.0006)
    with pytest.raises(ExportError):
        export_usage_csv(rows, tmp_path / "missing" / "usage.csv")


def test_a_formula_looking_name_is_not_run_by_a_spreadsheet(store: Store) -> None:
    from app.domain import AgentSpec
    agent = store.agents.create(AgentSpec(name="=HYPERLINK(1)", provider="x", model="m"))
    chat = store.conversations.create(agent.id).id
    reply(store, chat, "x", "+m", "2026-02-01", pt=1, ct=1)
    text = usage_csv(usage.detail_rows(store))
    assert "'=HYPERLINK(1)" in text and ",'+m," in text
