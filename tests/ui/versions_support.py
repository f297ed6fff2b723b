"""Versions of a turn in the window (◀ n/m ▶): what is shown, the switch under a
message, and waiting for a reply or a regenerated one (imported as a plain
module)."""

from __future__ import annotations

from window_support import WAIT_MS

from app.ui.chat.version_switch import VersionSwitch


def shown(window) -> list[str]:
    """The Markdown of every message the view shows, in order."""
    view = window.chat_view
    view.flush()
    return [view.message_widget(i).markdown() for i in view.message_ids()]


def switch_of(window, index: int) -> VersionSwitch | None:
    """The ◀ n/m ▶ of the index-th message shown (None when it has none shown)."""
    widget = window.chat_view.message_widget(window.chat_view.message_ids()[index])
    versions = widget.versions
    return versions if versions is not None and not versions.isHidden() else None


def wait_shown(qtbot, window, texts: list[str], label: str | None = None,
               index: int = -1) -> None:
    """Until the view shows ``texts`` and the index-th message's switch reads ``label``."""
    def ready() -> bool:
        if window.controller.loading or shown(window) != texts:
            return False
        found = switch_of(window, index)
        return (found is None) if label is None else (
            found is not None and found.label.text() == label)
    qtbot.waitUntil(ready, timeout=WAIT_MS)


def idle(qtbot, window) -> None:
    """Until the shown chat exists and its reply has finished."""
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None, timeout=WAIT_MS)
    cid = window.controller.conversation_id
    qtbot.waitUntil(lambda: cid in window.controller.sessions
                    and not window.controller.sessions[cid].running, timeout=WAIT_MS)


def regenerate(qtbot, window) -> None:
    """Click Regenerate on the last reply and wait for the new version."""
    reply = window.chat_view.message_widget(window.chat_view.message_ids()[-1])
    reply.regenerate_button.click()
    qtbot.waitUntil(lambda: window.controller.is_running(window.controller.conversation_id),
                    timeout=WAIT_MS)
    idle(qtbot, window)
