"""The settings (``settingsDialog``): providers, appearance, data, tools and
MCP servers, privacy patterns, the local HTTP API.

Two kinds of change, on purpose:
- Providers, custom tools, MCP servers, backup and restore act on the store
  at once (each is its own explicit action with its own confirmation).
- Values of settings.json (default provider and model, how long the embedded
  engine keeps its model, appearance, privacy patterns) are saved by OK
  through ``AppSettings.save()``; appearance shows live while the dialog is
  open and Cancel puts the previous one back.
- The local API's values are saved by OK too, then the running server follows
  them (app/ui/api_server.py); only its token acts at once (Regenerate).

Open with ``open()``; ``sig_settings_saved(AppSettings)`` follows OK.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.services.data_service import DataService
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.services.tool_service import ToolService
from app.settings import AppSettings, EngineSettings, UiSettings
from app.ui.api_server import ApiServerController
from app.ui.dialogs.api_page import ApiPage
from app.ui.dialogs.async_dialog import AsyncDialog
from app.ui.dialogs.data_page import DataPage
from app.ui.dialogs.providers_page import ProvidersPage
from app.ui.dialogs.settings_pages import AppearancePage, PrivacyPage
from app.ui.dialogs.tools_page import ToolsPage
from app.ui.theme import ThemeManager

log = logging.getLogger(__name__)

PAGES = ("Providers", "Appearance", "Data", "Tools & MCP", "Privacy", "Local API")


class SettingsDialog(AsyncDialog):
    #: The settings after OK wrote them to settings.json.
    sig_settings_saved = Signal(object)

    def __init__(self, bridge: StoreBridge, settings: AppSettings, *,
                 theme: ThemeManager | None = None,
                 providers: ProviderService | None = None,
                 api: ApiServerController | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumSize(720, 520)
        self._settings = settings
        self._theme = theme
        self._original_ui = settings.ui.model_copy()
        self.provider_service = providers or ProviderService(bridge)

        self.providers = ProvidersPage(self.provider_service, self.spawn, self.confirm)
        self.appearance = AppearancePage()
        self.data = DataPage(DataService(bridge, settings.home), self.spawn, self.confirm)
        self.tools = ToolsPage(ToolService(bridge, log_dir=settings.log_dir), self.spawn,
                               self.confirm)
        self.privacy = PrivacyPage()
        self.api_server = api
        self.api = ApiPage(api, self.confirm, self.inform)

        self.nav = QListWidget()
        self.nav.setObjectName("settingsNav")
        self.nav.setFixedWidth(150)
        pad_items(self.nav, 8, 7)
        self.stack = QStackedWidget()
        for title, page in zip(PAGES, (self.providers, self.appearance, self.data,
                                       self.tools, self.privacy, self.api), strict=True):
            self.nav.addItem(title)
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("settingsOkButton")
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)

        self.providers.set_defaults(settings.default_provider, settings.default_model)
        self.providers.keep_loaded.setValue(settings.engine.keep_loaded_minutes)
        self.appearance.set_values(settings.ui.theme, settings.ui.font_size)
        self.privacy.set_patterns(list(settings.privacy_patterns))
        self.api.set_values(settings.api)
        self.appearance.sig_changed.connect(self._preview_appearance)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.spawn(self._load(), "load")

    def show_page(self, title: str) -> None:
        self.nav.setCurrentRow(PAGES.index(title))

    async def _load(self) -> None:
        await self.providers.reload()
        await self.tools.reload()

    # -- appearance ---------------------------------------------------------------------
    def _preview_appearance(self, theme: str, font_size: int) -> None:
        if self._theme is not None:
            self._theme.apply(theme, font_size)

    def reject(self) -> None:
        if self._theme is not None:
            self._theme.apply(self._original_ui.theme, self._original_ui.font_size)
        super().reject()

    # -- saving ---------------------------------------------------------------------------------
    def accept(self) -> None:
        problem = self.api.problem()
        if problem:
            self.show_page("Local API")
            self.inform("Settings", f"Local API: {problem}", warning=True)
            return
        if self.api.needs_exposure_confirmation(self._settings.api):
            self.show_page("Local API")
            host = self.api.host.text().strip()
            self.confirm("Serve the API on the network?",
                         f"Serve the local API on {host}? Other computers that can reach "
                         "this address could then call your agents (with the token).",
                         self._save, yes_text="Serve on this address",
                         informative="127.0.0.1 keeps it on this computer only.")
            return
        self._save()

    def _save(self) -> None:
        provider, model = self.providers.defaults()
        settings = self._settings
        settings.default_provider = provider
        settings.default_model = model if provider else settings.default_model
        settings.ui = UiSettings(theme=self.appearance.theme(),
                                 font_size=self.appearance.font_size.value(),
                                 close_to_tray=settings.ui.close_to_tray)
        settings.privacy_patterns = self.privacy.patterns()
        settings.engine = EngineSettings(keep_loaded_minutes=self.providers.keep_loaded.value())
        settings.api = self.api.values(settings.api)
        try:
            settings.save()
        except OSError as exc:
            self.inform("Settings", f"The settings could not be saved: {exc}", warning=True)
            return
        log.info("settings saved to %s", settings.settings_file)
        if self.api_server is not None:
            self.api_server.apply(settings)
        self.sig_settings_saved.emit(settings)
        super().accept()
