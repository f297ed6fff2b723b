"""The tray on a real X display with a real tray host (Xvfb + trayer).

The app runs in a subprocess (tests/ui/tray_driver.py) on Qt's xcb platform:
this test process is offscreen, and a QApplication's platform is fixed once
it exists. The driver prints what it observed as JSON; this test asserts.
Missing Xvfb/trayer is a failure naming scripts/system-deps.sh, not a skip.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.xvfb import TrayDisplay, XvfbError, start_tray_display

DRIVER = Path(__file__).with_name("tray_driver.py")
REPO = Path(__file__).resolve().parents[2]
DRIVER_S = 240


@pytest.fixture(scope="module")
def tray_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrayDisplay]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the Xvfb tray host is Linux-only")
    try:
        display = start_tray_display(tmp_path_factory.mktemp("xvfb"))
    except XvfbError as exc:
        pytest.fail(str(exc))
    try:
        yield display
    finally:
        display.stop()


@pytest.fixture(scope="module")
def tray_run(tray_display: TrayDisplay, llama_server, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("tray-home")
    env = tray_display.env()
    env.pop("AGENTDESK_HOME", None)
    proc = subprocess.run([sys.executable, str(DRIVER), "--home", str(home),
                           "--base-url", llama_server.base_url, "--model", llama_server.model],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=DRIVER_S)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"driver failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(lines[-1])
    assert result["errors"] == [], "\n".join(result["errors"]) + proc.stderr
    result["home"] = str(home)
    return result


@pytest.mark.slow
def test_the_tray_is_available_and_the_icon_docks(tray_run: dict) -> None:
    assert tray_run["platform"] == "xcb"
    assert tray_run["tray_available"] is True
    assert tray_run["tray_started"] is True
    _x, _y, width, height = tray_run["icon_geometry"]
    assert width > 0 and height > 0


@pytest.mark.slow
def test_the_menu_lists_actions_and_the_recent_agent(tray_run: dict) -> None:
    menu = tray_run["menu"]
    assert menu[0] == "Quick chat" and menu[-1] == "Quit AgentDesk"
    assert "Gemma" in menu
    assert tray_run["recent_agent_ids"] == [tray_run["quick_chat_agent"]]


@pytest.mark.slow
def test_show_hide_and_quick_chat_actions_work(tray_run: dict) -> None:
    assert tray_run["window_action_before"] == "Hide window"
    assert tray_run["hidden_by_menu"] is True
    assert tray_run["window_action_hidden"] == "Show window"
    assert tray_run["shown_by_menu"] is True
    assert tray_run["quick_chat_name"] == "quickChatWindow"
    assert tray_run["quick_chat_on_top"] is True
    assert tray_run["icon_widget_found"] is True
    assert tray_run["click_hid_quick_chat"] is True
    assert tray_run["click_showed_quick_chat"] is True
    # Opened by the icon: wholly inside the usable area of the icon's screen.
    assert tray_run["quick_inside_screen"] is True, (tray_run["quick_frame"],
                                                     tray_run["quick_area"])


@pytest.mark.slow
def test_the_quick_chat_streams_a_real_reply_and_stores_it(tray_run: dict) -> None:
    from app.store import Store

    assert tray_run["deltas"] >= 1
    assert tray_run["reply_status"] in ("complete", "length")
    assert tray_run["reply_content"] and tray_run["streamed_text"] == tray_run["reply_content"]
    assert tray_run["shown_in_quick_chat"].strip() == tray_run["reply_content"].strip()
    assert tray_run["same_session_as_main"] is True
    with Store(Path(tray_run["home"]) / "agentdesk.db") as store:
        stored = store.messages.all(tray_run["conversation_id"])
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == tray_run["reply_content"]


@pytest.mark.slow
def test_closing_asks_once_then_keeps_running_in_the_tray(tray_run: dict) -> None:
    assert tray_run["asked_close_to_tray"] == "closeToTrayQuestion"
    assert tray_run["window_visible_while_asking"] is True
    assert tray_run["hidden_to_tray"] is True
    assert tray_run["told_in_tray"] is True
    assert tray_run["settings_saved"] == {"ui": {"close_to_tray": True}}
    assert tray_run["asked_again"] is False


@pytest.mark.slow
def test_open_in_main_window_continues_the_quick_chat(tray_run: dict) -> None:
    assert tray_run["opened_in_main"] == tray_run["conversation_id"]
    assert tray_run["quick_hidden_after_open"] is True
    assert tray_run["exit_code"] == 0


@pytest.mark.slow
def test_a_reply_finished_while_hidden_is_announced_and_the_message_opens_it(
        tray_run: dict) -> None:
    agent_id, conversation_id = tray_run["notified"]
    assert agent_id == tray_run["quick_chat_agent"]
    assert conversation_id == tray_run["notified_conversation_ids"]
    assert tray_run["balloon_shown"] is True
    assert tray_run["window_after_message_click"] is True
    assert tray_run["shown_after_message_click"] == conversation_id
