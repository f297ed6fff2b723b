"""The main window's actions, their shortcuts and the menus that hold them.

Every keyboard shortcut is an action in a menu (File, Edit, Agent, View,
Chat, Help), so each can also be found and clicked. Enter / Shift+Enter belong to
the composer itself (an Enter shortcut here would steal it from every
widget); the Chat menu's Send shows it in its label.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

SHORTCUTS = {
    "new_chat": "Ctrl+N",
    "new_agent": "Ctrl+Shift+N",
    "search": "Ctrl+K",
    "stop": "Esc",
    "settings": "Ctrl+,",
    "quit": "Ctrl+Q",
    "focus_composer": "Ctrl+L",
    "compare_mode": "Ctrl+Shift+M",
}


@dataclass
class WindowActions:
    new_chat: QAction
    new_agent: QAction
    edit_agent: QAction
    duplicate_agent: QAction
    delete_agent: QAction
    workflows: QAction
    export_all: QAction
    export_chats: QAction
    import_chats: QAction
    export_agent: QAction
    import_agent: QAction
    settings: QAction
    model_library: QAction
    dashboard: QAction
    quit: QAction
    search: QAction
    focus_composer: QAction
    check_connection: QAction
    refresh_models: QAction
    send: QAction
    stop: QAction
    regenerate: QAction
    rename_chat: QAction
    pin_chat: QAction
    archive_chat: QAction
    delete_chat: QAction
    compare_mode: QAction
    shortcuts_help: QAction
    about: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def _action(window: QMainWindow, text: str, name: str, shortcut: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    return action


def build_actions(window: QMainWindow) -> WindowActions:
    """Create the actions and the menu bar of ``window``."""
    actions = WindowActions(
        new_chat=_action(window, "&New Chat", "newChatAction", SHORTCUTS["new_chat"]),
        new_agent=_action(window, "New &Agent…", "newAgentAction", SHORTCUTS["new_agent"]),
        edit_agent=_action(window, "&Edit Agent…", "editAgentAction"),
        duplicate_agent=_action(window, "D&uplicate Agent", "duplicateAgentAction"),
        delete_agent=_action(window, "&Delete Agent…", "deleteAgentAction"),
        workflows=_action(window, "&Workflows…", "workflowsAction"),
        export_all=_action(window, "Export A&ll Chats…", "exportAllAction"),
        export_chats=_action(window, "Export &Chat…", "exportChatAction"),
        import_chats=_action(window, "&Import Chats…", "importChatsAction"),
        export_agent=_action(window, "Export A&gent…", "exportAgentAction"),
        import_agent=_action(window, "Import Agen&t…", "importAgentAction"),
        settings=_action(window, "&Settings…", "settingsAction", SHORTCUTS["settings"]),
        model_library=_action(window, "Model &Library…", "modelLibraryAction"),
        dashboard=_action(window, "&Dashboard…", "dashboardAction"),
        quit=_action(window, "&Quit", "quitAction", SHORTCUTS["quit"]),
        search=_action(window, "&Search All Chats", "searchAction", SHORTCUTS["search"]),
        focus_composer=_action(window, "&Focus Message Box", "focusComposerAction",
                               SHORTCUTS["focus_composer"]),
        check_connection=_action(window, "&Check Connection", "checkConnectionAction"),
        refresh_models=_action(window, "&Refresh Models", "refreshModelsAction"),
        send=_action(window, "&Send\tEnter", "sendAction"),
        stop=_action(window, "S&top Reply", "stopAction", SHORTCUTS["stop"]),
        regenerate=_action(window, "&Regenerate Last Reply", "regenerateAction"),
        rename_chat=_action(window, "Re&name Chat…", "renameChatAction"),
        pin_chat=_action(window, "&Pin Chat", "pinChatAction"),
        archive_chat=_action(window, "&Archive Chat", "archiveChatAction"),
        delete_chat=_action(window, "&Delete Chat…", "deleteChatAction"),
        compare_mode=_action(window, "Co&mpare Agents and Models", "compareModeAction",
                             SHORTCUTS["compare_mode"]),
        shortcuts_help=_action(window, "&Keyboard Shortcuts", "shortcutsHelpAction"),
        about=_action(window, "&About AgentDesk", "aboutAction"),
    )
    actions.quit.setMenuRole(QAction.MenuRole.QuitRole)
    actions.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
    actions.about.setMenuRole(QAction.MenuRole.AboutRole)
    actions.pin_chat.setCheckable(True)
    actions.compare_mode.setCheckable(True)
    actions.stop.setEnabled(False)

    bar = window.menuBar()
    _fill(bar.addMenu("&File"), [actions.new_chat, actions.new_agent, None,
                                 actions.export_chats, actions.export_all,
                                 actions.import_chats, None, actions.export_agent,
                                 actions.import_agent, None, actions.settings, None,
                                 actions.quit])
    _fill(bar.addMenu("&Edit"), [actions.search])
    _fill(bar.addMenu("&Agent"), [actions.new_agent, actions.edit_agent,
                                  actions.duplicate_agent, None, actions.delete_agent, None,
                                  actions.workflows])
    _fill(bar.addMenu("&View"), [actions.focus_composer, None, actions.check_connection,
                                 actions.refresh_models, None, actions.model_library,
                                 actions.dashboard])
    _fill(bar.addMenu("&Chat"), [actions.send, actions.stop, actions.regenerate, None,
                                 actions.rename_chat, actions.pin_chat, actions.archive_chat,
                                 actions.delete_chat, None, actions.compare_mode])
    _fill(bar.addMenu("&Help"), [actions.shortcuts_help, actions.about])
    return actions


def _fill(menu: QMenu, items: list[QAction | None]) -> None:
    for item in items:
        if item is None:
            menu.addSeparator()
        else:
            menu.addAction(item)


def shortcuts_text() -> str:
    rows = [("Send", "Enter"), ("New line", "Shift+Enter"),
            ("New chat", SHORTCUTS["new_chat"]), ("New agent", SHORTCUTS["new_agent"]),
            ("Search all chats", SHORTCUTS["search"]), ("Stop the reply", SHORTCUTS["stop"]),
            ("Settings", SHORTCUTS["settings"]),
            ("Focus the message box", SHORTCUTS["focus_composer"]),
            ("Compare agents and models", SHORTCUTS["compare_mode"]),
            ("Quit", SHORTCUTS["quit"])]
    return "\n".join(f"{keys:<14} {what}" for what, keys in rows)
