"""The dashboard over one application lifetime, with real usage from the real
llama.cpp server (Gemma 3 270M): a reply sent from the window is counted,
the filters and the CSV export follow it, the theme switches both ways while
the dashboard is open, a `agentdesk chat` run by the CLI while it is open
shows up on its own, and a reply sent after closing it is there on reopening.
Figures are checked against the stored messages' usage, never against
wording or a fixed number of tokens."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

from test_dashboard import card, open_dashboard, reload
from test_window_e2e import wait_idle
from window_support import SEEN_MS, WAIT_MS, agentdesk, open_window, seed_llama, send

from app.domain import Message
from app.store import Store
from app.ui.theme import theme_manager


def stored_replies(db_path) -> list[Message]:
    with Store(db_path) as store:
        return [m for c in store.conversations.list(include_archived=True)
                for m in store.messages.all(c.id) if m.role == "assistant" and m.usage]


def stored_tokens(db_path) -> tuple[int, int, int]:
    replies = stored_replies(db_path)
    return (sum(m.usage.prompt_tokens or 0 for m in replies),
            sum(m.usage.completion_tokens or 0 for m in replies), len(replies))


def shown_tokens(dashboard) -> tuple[int, int, int]:
    return tuple(int(card(dashboard, name).replace(",", ""))
                 for name in ("tokensIn", "tokensOut", "replies"))


def chart_is_dark(chart) -> bool:
    image = chart.grab().toImage()
    return image.pixelColor(1, image.height() - 2).lightness() < 128


def test_a_dashboard_session_with_real_replies(aio, qtbot, bridge, settings, db_path,
                                               llama_server, tmp_path) -> None:
    agent = seed_llama(db_path, llama_server.base_url)
    theme_manager().apply("light", settings.ui.font_size)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "Say hello.")
    wait_idle(qtbot, window)

    # -- open: the reply's stored usage is what the dashboard counts --------------------
    dashboard = open_dashboard(window, qtbot)
    first = stored_tokens(db_path)
    assert first[2] == 1 and first[1] > 0  # this server's stream reports no prompt tokens
    assert shown_tokens(dashboard) == first
    assert card(dashboard, "localShare") == "100%" and card(dashboard, "cloudCost") == "$0.00"
    assert card(dashboard, "ttftMean").endswith(" ms")

    # -- filter by agent and by date (UTC days) -----------------------------------------
    today = datetime.now(UTC).date()
    reload(dashboard, qtbot, lambda: dashboard.select_agent(agent.id))
    reload(dashboard, qtbot, lambda: dashboard.set_range(today))
    assert shown_tokens(dashboard) == first
    reload(dashboard, qtbot, lambda: dashboard.set_range(today - timedelta(days=3),
                                                         today - timedelta(days=1)))
    assert shown_tokens(dashboard) == (0, 0, 0)
    reload(dashboard, qtbot, lambda: dashboard.set_range(None))

    # -- export CSV ------------------------------------------------------------------------
    target = tmp_path / "usage.csv"
    aio.run(dashboard.export_csv(target))
    (line,) = [r for r in csv.DictReader(target.open(encoding="utf-8")) if r["model"]]
    assert (line["agent"], line["provider"], line["locality"]) == ("Gemma", "llama", "local")
    assert (int(line["tokens_in"]), int(line["tokens_out"])) == first[:2]

    # -- theme both ways while open --------------------------------------------------------
    assert not chart_is_dark(dashboard.per_day)
    theme_manager().apply("dark", settings.ui.font_size)
    qtbot.waitUntil(lambda: chart_is_dark(dashboard.per_day), timeout=WAIT_MS)
    theme_manager().apply("light", settings.ui.font_size)
    qtbot.waitUntil(lambda: not chart_is_dark(dashboard.per_day), timeout=WAIT_MS)

    # -- the CLI chats while the dashboard is open: it follows -------------------------
    agentdesk(settings.home, "chat", "--agent", "Gemma", "Count to three.")
    second = stored_tokens(db_path)
    assert second[2] == 2
    qtbot.waitUntil(lambda: shown_tokens(dashboard) == second, timeout=SEEN_MS + WAIT_MS)

    # -- close; a new reply arrives; reopen: it is counted --------------------------------
    dashboard.close()
    qtbot.waitUntil(lambda: window.dialogs.get("dashboard") is None, timeout=WAIT_MS)
    send(window, "And now say goodbye.")
    wait_idle(qtbot, window)
    third = stored_tokens(db_path)
    assert third[2] == 3
    reopened = open_dashboard(window, qtbot)
    assert reopened is not dashboard
    assert shown_tokens(reopened) == third
    assert reopened.agent_combo.currentData() is None     # a new window starts unfiltered
    reopened.close()
