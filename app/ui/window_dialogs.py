"""The main window's New Agent, Edit Agent, Settings, Model Library, Dashboard,
Workflows and About dialogs.

One per kind (an open one is raised, never a second made); each deletes
itself on close, so it is tracked by a DialogRegistry, never kept in a plain
list. New agents get the current default provider and model, which follow
the settings saved in the Settings dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain import AgentSpec
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.ui.api_server import ApiServerController
from app.ui.open_dialogs import DialogRegistry

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowDialogs:
    def __init__(self, window: MainWindow, bridge: StoreBridge, providers: ProviderService,
                 *, default_provider: str = "", default_model: str = "") -> None:
        self._window = window
        self._bridge = bridge
        self._providers = providers
        self.defaults = {"provider": default_provider or window.settings.default_provider,
                         "model": default_model or window.settings.default_model}
        #: The open dialogs, one per kind ("new-agent", "edit-agent-<id>", "settings").
        self.registry = DialogRegistry()
        #: The local HTTP API the window serves (off unless settings.api.enabled).
        self.api_server = ApiServerController(window.settings, parent=window)

    def open_new_agent(self) -> None:
        from app.ui.dialogs.agent_dialog import AgentDialog

        def make() -> AgentDialog:
            dialog = AgentDialog(self._bridge, default_provider=self.defaults["provider"],
                                 default_model=self.defaults["model"],
                                 providers=self._providers, parent=self._window)
            dialog.sig_saved.connect(self._window.reveal_agent)
            return dialog
        self.registry.open("new-agent", make)

    def open_edit_agent(self, spec: AgentSpec) -> None:
        from app.ui.dialogs.agent_dialog import AgentDialog

        def make() -> AgentDialog:
            dialog = AgentDialog(self._bridge, spec,
                                 default_provider=self.defaults["provider"],
                                 providers=self._providers, parent=self._window)
            dialog.sig_saved.connect(self._window.reveal_agent)
            return dialog
        self.registry.open(f"edit-agent-{spec.id}", make)

    def open_settings(self) -> None:
        from app.ui.dialogs.settings_dialog import SettingsDialog
        from app.ui.theme import theme_manager

        def make() -> SettingsDialog:
            dialog = SettingsDialog(self._bridge, self._window.settings, theme=theme_manager(),
                                    providers=self._providers, api=self.api_server,
                                    parent=self._window)
            dialog.sig_settings_saved.connect(self._settings_saved)
            return dialog
        self.registry.open("settings", make)

    def open_model_library(self) -> None:
        """The Model Library window (its downloads outlive it: app/ui/models/service.py)."""
        from app.ui.models.service import service_for
        from app.ui.models.window import ModelLibraryWindow

        def make() -> ModelLibraryWindow:
            service = service_for(self._bridge, self._window.settings)
            return ModelLibraryWindow(self._bridge, service, providers=self._providers,
                                      parent=self._window)
        self.registry.open("model-library", make)

    def open_dashboard(self) -> None:
        """View › Dashboard (app/ui/dashboard/window.py): usage figures and costs."""
        from app.ui.dashboard.window import DashboardWindow

        self.registry.open("dashboard", lambda: DashboardWindow(self._bridge,
                                                                parent=self._window))

    def open_workflows(self) -> None:
        """Agent › Workflows… (app/ui/dialogs/workflow_dialog.py): Run hands the
        workflow to the window's WorkflowRuns, which runs it into the chat view."""
        from app.ui.dialogs.workflow_dialog import WorkflowDialog

        def make() -> WorkflowDialog:
            dialog = WorkflowDialog(self._bridge, parent=self._window)
            dialog.sig_run.connect(self._window.workflow_runs.run)
            return dialog
        self.registry.open("workflows", make)

    def open_about(self) -> None:
        """Help › About (app/ui/about_dialog.py)."""
        from app.ui.about_dialog import AboutDialog

        self.registry.open("about", lambda: AboutDialog(self._window.settings,
                                                        parent=self._window))

    def _settings_saved(self, settings: AppSettings) -> None:
        self._window.settings = settings
        self.defaults = {"provider": settings.default_provider,
                         "model": settings.default_model}
