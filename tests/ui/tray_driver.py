"""Drives the real application with a real system tray (run under Xvfb + trayer).

Run by tests/ui/test_tray_xvfb.py in a subprocess with ``QT_QPA_PLATFORM=xcb``
and ``DISPLAY`` of a virtual display where trayer runs:

    python tests/ui/tray_driver.py --home DIR --base-url URL [--model gemma3]

It seeds a llama.cpp provider and an agent in DIR, starts the app exactly as
``run_gui`` does (run_app on a qasync loop), exercises the tray, and prints one
JSON object with what it observed on the last line of stdout. It asserts
nothing itself: the test does, on what was measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

STEP_S = 10.0
REPLY_S = 120.0


async def wait_for(predicate, timeout: float = STEP_S, what: str = "") -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what or predicate}")


def seed(home: Path, base_url: str, model: str) -> int:
    from app.domain import AgentSpec, ProviderConfig
    from app.store import Store

    home.mkdir(parents=True, exist_ok=True)
    with Store(home / "agentdesk.db") as store:
        store.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                              base_url=base_url, is_local=True))
        agent = store.agents.create(AgentSpec(name="Gemma", provider="llama", model=model,
                                              max_tokens=16, temperature=0.2))
    assert agent.id is not None
    return agent.id


def tray_icon_widget():  # noqa: ANN201 (a QWidget or None)
    """The xcb tray's own widget (XEmbed client), to click it for real."""
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if widget.metaObject().className() == "QSystemTrayIconSys":
            return widget
    return None


def await_balloon():  # noqa: ANN201 (a QWidget or None)
    """The balloon QSystemTrayIcon.showMessage opens when no notification
    service runs (as under Xvfb)."""
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if widget.metaObject().className() == "QBalloonTip" and widget.isVisible():
            return widget
    return None


async def exercise(window, result: dict[str, Any], agent_id: int, home: Path) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

    from app.domain import TextDelta
    from app.services.chat_session import ReplyFinished
    from app.ui.desktop_shell import DesktopShell

    shell = window.findChild(DesktopShell, "desktopShell")
    tray, quick = shell.tray, shell.quick_chat
    result["tray_available"] = QSystemTrayIcon.isSystemTrayAvailable()
    result["tray_started"] = tray.icon.isVisible()
    await wait_for(lambda: not tray.icon.geometry().isEmpty(), what="the icon to dock")
    geometry = tray.icon.geometry()
    result["icon_geometry"] = [geometry.x(), geometry.y(), geometry.width(), geometry.height()]
    await wait_for(lambda: bool(tray.recent_actions), what="recent agents in the menu")
    result["menu"] = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    result["recent_agent_ids"] = [a.data() for a in tray.recent_actions]

    # Show/Hide window from the menu.
    tray.menu.aboutToShow.emit()
    result["window_action_before"] = tray.window_action.text()
    tray.window_action.trigger()
    await wait_for(lambda: not window.isVisible(), what="the window to hide")
    result["hidden_by_menu"] = not window.isVisible()
    result["window_action_hidden"] = tray.window_action.text()
    tray.window_action.trigger()
    await wait_for(window.isVisible, what="the window to show")
    result["shown_by_menu"] = window.isVisible()

    # Quick chat from the menu, then a real click on the icon toggles it.
    tray.quick_action.trigger()
    await wait_for(quick.isVisible, what="the quick chat")
    result["quick_chat_name"] = quick.objectName()
    result["quick_chat_on_top"] = bool(quick.windowFlags()
                                       & Qt.WindowType.WindowStaysOnTopHint)
    icon_widget = tray_icon_widget()
    result["icon_widget_found"] = icon_widget is not None
    if icon_widget is not None:
        await wait_for(icon_widget.isVisible, what="the tray widget")
        QTest.mouseClick(icon_widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(icon_widget.width() // 2, icon_widget.height() // 2))
        await wait_for(lambda: not quick.isVisible(), what="a click to hide the quick chat")
        result["click_hid_quick_chat"] = not quick.isVisible()
        QTest.mouseClick(icon_widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(icon_widget.width() // 2, icon_widget.height() // 2))
        await wait_for(quick.isVisible, what="a click to show the quick chat")
        result["click_showed_quick_chat"] = quick.isVisible()
        # Where it opened: inside the usable area of the icon's screen.
        await asyncio.sleep(0.3)                   # let the X server settle it
        icon_rect, frame = tray.icon.geometry(), quick.frameGeometry()
        screen = QGuiApplication.screenAt(icon_rect.center()) \
            or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        result["quick_frame"] = [frame.x(), frame.y(), frame.width(), frame.height()]
        result["quick_area"] = [area.x(), area.y(), area.width(), area.height()]
        result["quick_inside_screen"] = area.contains(frame)

    # A recent agent's entry opens the quick chat with that agent.
    quick.hide()
    tray.recent_actions[0].trigger()
    await wait_for(quick.isVisible, what="the quick chat from a recent agent")
    result["quick_chat_agent"] = quick.agent_id

    # The quick chat streams a real reply.
    deltas: list[str] = []
    finished: list[Any] = []
    sessions_seen: set[int] = set()

    def hook() -> None:
        cid = quick.conversation_id
        if cid is not None and cid not in sessions_seen and cid in quick.controller.sessions:
            sessions_seen.add(cid)
            session = quick.controller.sessions[cid]
            session.sig_event.connect(lambda e: deltas.append(e.text)
                                      if isinstance(e, TextDelta) else
                                      finished.append(e) if isinstance(e, ReplyFinished)
                                      else None)

    quick.send("Say hello in three words.")
    await wait_for(lambda: (hook(), bool(sessions_seen))[1], what="the quick chat session")
    await wait_for(lambda: bool(finished), timeout=REPLY_S, what="the reply")
    quick.chat_view.flush()
    reply = finished[0].message
    result["deltas"] = len(deltas)
    result["streamed_text"] = "".join(deltas)
    result["reply_status"] = reply.status
    result["reply_content"] = reply.content
    widget = quick.chat_view.message_widget(reply.id)
    result["shown_in_quick_chat"] = widget.markdown() if widget is not None else None
    result["conversation_id"] = quick.conversation_id
    result["same_session_as_main"] = (
        window.controller.sessions.get(quick.conversation_id)
        is quick.controller.sessions.get(quick.conversation_id))

    # Closing the window the first time asks (non-blocking), "Keep in tray" hides it.
    window.close()
    await wait_for(lambda: tray.asking is not None, what="the close-to-tray question")
    box = tray.asking
    result["asked_close_to_tray"] = box.objectName()
    result["window_visible_while_asking"] = window.isVisible()
    keep = next(b for b in box.buttons() if box.buttonRole(b)
                == QMessageBox.ButtonRole.AcceptRole)
    keep.click()
    await wait_for(lambda: not window.isVisible(), what="the window to go to the tray")
    result["hidden_to_tray"] = not window.isVisible()
    result["told_in_tray"] = tray.told_in_tray
    settings_file = home / "settings.json"
    result["settings_saved"] = json.loads(settings_file.read_text()) \
        if settings_file.exists() else None
    # A second close goes to the tray without asking again.
    window.show()
    await wait_for(window.isVisible, what="the window to come back")
    window.close()
    await wait_for(lambda: not window.isVisible(), what="the second close")
    result["asked_again"] = tray.asking is not None

    # A reply that finishes while the window is hidden is announced; clicking
    # the message opens that conversation.
    quick.hide()
    controller = window.controller
    controller.send("Name one colour.")
    # Under load the quick chat's earlier reply can still be announced now (it
    # ended just before the windows were hidden): wait for this reply's own.
    await wait_for(lambda: tray.last_notified is not None
                   and controller.conversation_id is not None
                   and tray.last_notified[1] == controller.conversation_id,
                   timeout=REPLY_S, what="the reply notification")
    result["notified"] = list(tray.last_notified)
    result["notified_conversation_ids"] = controller.conversation_id
    balloon = await_balloon()
    result["balloon_shown"] = balloon is not None
    if balloon is not None:
        QTest.mouseClick(balloon, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(10, 10))
        await wait_for(window.isVisible, what="the window after clicking the message")
    result["window_after_message_click"] = window.isVisible()
    result["shown_after_message_click"] = controller.conversation_id
    window.close()
    await wait_for(lambda: not window.isVisible(), what="the third close")

    # Open in main window continues the quick chat's conversation there.
    quick.present()
    await wait_for(quick.isVisible, what="the quick chat again")
    quick.open_button.click()
    await wait_for(lambda: window.isVisible() and
                   window.controller.conversation_id == result["conversation_id"],
                   what="the conversation in the main window")
    result["opened_in_main"] = window.controller.conversation_id
    result["quick_hidden_after_open"] = not quick.isVisible()

    # Quit from the tray menu ends the app.
    tray.quit_action.trigger()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="gemma3")
    args = parser.parse_args()

    import qasync

    from app.logs import configure_logging
    from app.settings import load_settings
    from app.ui.application import create_application, run_app

    agent_id = seed(args.home, args.base_url, args.model)
    settings = load_settings(args.home)
    configure_logging(settings.log_dir, level="INFO")
    app = create_application([sys.argv[0]])
    result: dict[str, Any] = {"platform": app.platformName()}
    errors: list[str] = []

    def shown(window) -> None:  # noqa: ANN001
        async def run() -> None:
            try:
                await exercise(window, result, agent_id, args.home)
            except Exception:  # noqa: BLE001 — reported to the test, then quit
                errors.append(traceback.format_exc())
                window.quit_app()
        asyncio.get_running_loop().create_task(run())

    code = qasync.run(run_app(settings, app, on_shown=shown))
    result["exit_code"] = code
    result["errors"] = errors
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
