"""The Dashboard window (View › Dashboard) on a seeded database: the figures
it shows are the hand-computed ones of tests/ops/test_ops_usage.py, its
filters and CSV export work, its charts paint offscreen in light and dark
(screenshots: docs/screenshots/dashboard-{light,dark}.png), and the price
table is edited through its dialog."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from layout_support import picture
from window_support import WAIT_MS, open_window

from app.store import Store
from app.ui.dashboard.window import DashboardWindow
from app.ui.main_window import MainWindow
from app.ui.theme import theme_manager
from tests.support.usage_seed import Seeded, seed_usage


@pytest.fixture
def seeded(db_path: Path) -> Seeded:
    with Store(db_path) as store:
        return seed_usage(store)


def open_dashboard(window: MainWindow, qtbot) -> DashboardWindow:
    """View › Dashboard…, with its first figures shown."""
    window.findChild(type(window.actions.dashboard), "dashboardAction").trigger()
    qtbot.waitUntil(lambda: window.dialogs.get("dashboard") is not None, timeout=WAIT_MS)
    dashboard = window.dialogs.get("dashboard")
    assert isinstance(dashboard, DashboardWindow)
    qtbot.waitUntil(lambda: dashboard.report is not None and not dashboard.busy,
                    timeout=WAIT_MS)
    return dashboard


def reload(dashboard: DashboardWindow, qtbot, change) -> None:
    with qtbot.waitSignal(dashboard.sig_loaded, timeout=WAIT_MS):
        change()
    qtbot.waitUntil(lambda: not dashboard.busy, timeout=WAIT_MS)


def card(dashboard: DashboardWindow, name: str) -> str:
    return dashboard.cards[name].text()


def test_the_window_shows_the_seeded_figures_and_filters_them(
        seeded, aio, bridge, settings, qtbot, tmp_path) -> None:
    window = open_window(qtbot, bridge, settings)
    dashboard = open_dashboard(window, qtbot)
    assert card(dashboard, "tokensIn") == "10,100"
    assert card(dashboard, "tokensOut") == "4,600"
    assert card(dashboard, "replies") == "5"
    assert (card(dashboard, "ttftMean"), card(dashboard, "tpsMean")) == ("1,083 ms", "44.2 tok/s")
    assert card(dashboard, "toolCalls") == "3 (33% errors)"
    assert card(dashboard, "localShare") == "54%"
    assert card(dashboard, "cloudCost") == "$0.02"
    assert card(dashboard, "savedCost") == "$0.0026"
    assert "2026-03" in dashboard.note.text() and "200 cloud tokens" in dashboard.note.text()
    assert dashboard.per_agent.describe() == (
        "Tokens by agent: Writer: 5.0k / 3.0k; Coder: 5.1k / 1.6k")
    assert dashboard.per_day.data.labels == ("01-10", "01-11", "01-12")
    assert dashboard.ttft.data.series == ((0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0),)
    assert [dashboard.agent_combo.itemText(i) for i in range(3)] == [
        "All agents", "Coder", "Writer"]

    reload(dashboard, qtbot, lambda: dashboard.agent_combo.setCurrentIndex(2)
           or dashboard.agent_combo.activated.emit(2))
    assert (card(dashboard, "tokensIn"), card(dashboard, "toolCalls")) == ("5,000",
                                                                          "1 (0% errors)")
    assert card(dashboard, "cloudCost") == "$0.00" and card(dashboard, "localShare") == "100%"
    reload(dashboard, qtbot, lambda: dashboard.set_range(date(2026, 1, 11)))
    assert card(dashboard, "tokensIn") == "3,000"
    reload(dashboard, qtbot, lambda: dashboard.select_agent(None))
    assert card(dashboard, "tokensIn") == "7,000"
    assert dashboard.per_day.data.labels == ("01-11",)

    target = tmp_path / "usage.csv"
    aio.run(dashboard.export_csv(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {(r["agent"], r["model"], r["tokens_in"]) for r in rows} == {
        ("Coder", "gpt-4o-2024-08-06", "4000"), ("Writer", "llama3.2", "3000"),
        ("Writer", "", "0")}
    assert "Exported 3 rows" in dashboard.note.text()
    dashboard.close()


def test_the_price_table_is_edited_in_its_dialog(seeded, aio, bridge, settings, qtbot,
                                                screenshot_dir: Path) -> None:
    window = open_window(qtbot, bridge, settings)
    dashboard = open_dashboard(window, qtbot)
    dashboard.prices_button.click()
    dialog = dashboard.prices_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0 and not dialog.busy, timeout=WAIT_MS)
    assert picture(dialog).save(str(screenshot_dir / "dashboard-prices-light.png"))
    models = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    row = models.index("gpt-4o-mini")
    dialog.table.item(row, 1).setText("abc")
    dialog.save()
    assert dialog.isVisible() and "Row" in dialog.problem.text()
    dialog.table.item(row, 1).setText("1")
    dialog.table.item(row, 2).setText("2")
    with qtbot.waitSignal(dashboard.sig_loaded, timeout=WAIT_MS):
        dialog.save()
    qtbot.waitUntil(lambda: not dashboard.busy, timeout=WAIT_MS)
    # local 5000 in / 3000 out at $1/$2 per million; gpt-4o-mini 1000/500 costs $0.002 now
    assert card(dashboard, "savedCost") == "$0.01"
    assert dashboard.report.saved_usd == pytest.approx(0.011)
    assert "your price table" in dashboard.note.text()
    dashboard.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_render_offscreen(scheme, seeded, aio, bridge, settings, qtbot,
                                 screenshot_dir: Path) -> None:
    theme_manager().apply(scheme, 10)
    window = open_window(qtbot, bridge, settings)
    dashboard = open_dashboard(window, qtbot)
    dashboard.resize(1100, 900)
    image = picture(dashboard)
    assert image.save(str(screenshot_dir / f"dashboard-{scheme}.png"))
    for chart in dashboard.charts:
        painted = chart.grab().toImage()
        background = painted.pixelColor(1, painted.height() - 2)
        colours = {painted.pixelColor(x, y).name() for x in range(0, painted.width(), 3)
                   for y in range(0, painted.height(), 3)}
        assert len(colours) > 3, chart.objectName()       # more than text on a background
        dark = background.lightness() < 128
        assert dark == (scheme == "dark"), chart.objectName()
    dashboard.close()


def test_hostile_names_are_shown_as_text(db_path, aio, bridge, settings, qtbot) -> None:
    """Agent, model and provider names are the person's and the providers'
    words: the filter, the cards, the note and the charts never render them."""
    from plain_text_support import HOSTILE, hostile_problems

    from app.domain import AgentSpec
    from tests.support.usage_seed import reply

    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name=HOSTILE[:200], provider="p", model="m"))
        chat = store.conversations.create(agent.id).id
        reply(store, chat, HOSTILE, HOSTILE, "2026-01-10", pt=3, ct=4)
    window = open_window(qtbot, bridge, settings)
    dashboard = open_dashboard(window, qtbot)
    assert dashboard.agent_combo.itemText(1) == HOSTILE[:200]
    assert HOSTILE in dashboard.per_provider.describe()
    assert picture(dashboard).width() > 0  # painted as text without error
    assert hostile_problems([dashboard]) == []
    dashboard.close()
