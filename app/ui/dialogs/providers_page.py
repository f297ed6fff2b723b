"""Settings > Providers: the list, add/edit/remove, Test Connection, the
default provider and model, and how long the embedded engine keeps its model
loaded after a reply."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.core.secrets import SecretError
from app.domain import ConnectionReport, ProviderConfig
from app.logs import redact_url
from app.ops.providers import url_credential_warning
from app.services.provider_service import ProviderService
from app.store import StoreError
from app.ui.dialogs.model_picker import ModelCombo, ProviderCombo
from app.ui.dialogs.provider_editor import ProviderEditor
from app.ui.dialogs.widgets import Spinner, error_color
from app.ui.plain_text import tooltip

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


def describe_report(report: ConnectionReport) -> str:
    """The connection test's result as one or two plain lines."""
    if report.reachable:
        parts = [f"Connected in {report.latency_ms:.0f} ms"]
        if report.version:
            parts.append(f"version {report.version}")
        if report.model_count is not None:
            parts.append(f"{report.model_count} model{'s' if report.model_count != 1 else ''}")
        return " · ".join(parts)
    text = report.message or "The provider cannot be reached."
    return f"{text}\nFix: {report.fix}" if report.fix else text


class ProvidersPage(QWidget):
    def __init__(self, service: ProviderService, spawn: Spawn, confirm,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._spawn = spawn
        self._confirm = confirm
        self._configs: list[ProviderConfig] = []

        self.list = QListWidget()
        self.list.setObjectName("providerList")
        self.list.setAccessibleName("Providers")
        pad_items(self.list, 6, 5)
        self.add_button = QPushButton("Add…")
        self.add_button.setObjectName("addProviderButton")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setObjectName("editProviderButton")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeProviderButton")
        self.test_button = QPushButton("Test Connection")
        self.test_button.setObjectName("testConnectionButton")
        self.spinner = Spinner()
        self.result = QLabel()
        self.result.setObjectName("connectionResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.default_provider = ProviderCombo(default_label="None")
        self.default_provider.setObjectName("defaultProviderCombo")
        self.default_model = ModelCombo()
        self.default_model.setObjectName("defaultModelCombo")

        buttons = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button,
                       self.test_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addLayout(buttons)
        result_row = QHBoxLayout()
        result_row.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignTop)
        result_row.addWidget(self.result, 1)
        defaults = QGroupBox("Defaults for new agents")
        defaults_form = QFormLayout(defaults)
        defaults_form.addRow("Provider", self.default_provider)
        defaults_form.addRow("Model", self.default_model)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(result_row)
        layout.addWidget(defaults)
        layout.addWidget(self._engine_box())

        self.add_button.clicked.connect(lambda: self._open_editor(None))
        self.edit_button.clicked.connect(self._edit_current)
        self.list.itemDoubleClicked.connect(lambda _item: self._edit_current())
        self.remove_button.clicked.connect(self._remove_current)
        self.test_button.clicked.connect(self.test_current)
        self.list.currentRowChanged.connect(self._selection_changed)
        self.default_provider.currentIndexChanged.connect(
            lambda _i: self._spawn(self._load_default_models(), "default-models"))
        self._selection_changed()

    def _engine_box(self) -> QGroupBox:
        self.keep_loaded = QDoubleSpinBox()
        self.keep_loaded.setObjectName("keepLoadedSpin")
        self.keep_loaded.setRange(0, 24 * 60)
        self.keep_loaded.setDecimals(0)
        self.keep_loaded.setSuffix(" min")
        self.keep_loaded.setSpecialValueText("Unload after each reply")
        self.keep_loaded.setToolTip("How long the embedded engine keeps its model in "
                                    "memory after a reply, so the next reply starts at "
                                    "once. 0 frees the memory after every reply.")
        box = QGroupBox("Embedded engine")
        form = QFormLayout(box)
        form.addRow("Keep the model loaded for", self.keep_loaded)
        return box

    # -- loading -----------------------------------------------------------------------
    def set_defaults(self, provider: str, model: str) -> None:
        self._wanted_defaults = (provider, model)
        self.default_model.set_model_id(model)

    async def reload(self, select: str | None = None) -> None:
        self._configs = await self._service.list()
        current = select or self.current_name()
        self.list.clear()
        for config in self._configs:
            where = redact_url(config.base_url) or config.model_path or ""
            state = "" if config.enabled else "  (disabled)"
            if url_credential_warning(config):
                state += "  ⚠ key in the URL: edit to move it to the API key field"
            item = QListWidgetItem(f"{config.name} — {config.kind}, "
                                   f"{'local' if config.is_local else 'cloud'}{state}\n{where}")
            item.setData(Qt.ItemDataRole.UserRole, config.name)
            self.list.addItem(item)
            if current and config.name.lower() == current.lower():
                self.list.setCurrentItem(item)
        wanted_provider = getattr(self, "_wanted_defaults", ("", ""))[0]
        chosen = self.default_provider.current_name() or wanted_provider
        self.default_provider.set_providers(self._configs, chosen)
        self._selection_changed()

    async def _load_default_models(self) -> None:
        name = self.default_provider.current_name()
        if not name:
            return
        models, _problem = await self._service.models(name)
        self.default_model.set_models(models)

    def defaults(self) -> tuple[str, str]:
        return self.default_provider.current_name(), self.default_model.model_id()

    # -- selection ------------------------------------------------------------------------
    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def current_config(self) -> ProviderConfig | None:
        name = self.current_name()
        return next((c for c in self._configs if c.name == name), None)

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.current_config() is not None
        for button in (self.edit_button, self.remove_button, self.test_button):
            button.setEnabled(chosen and not self.spinner.spinning)
        self.result.clear()

    # -- add / edit / remove ------------------------------------------------------------------
    def _edit_current(self) -> None:
        config = self.current_config()
        if config is not None:
            self._open_editor(config)

    def _open_editor(self, config: ProviderConfig | None) -> ProviderEditor:
        editor = ProviderEditor(config, taken_names=[c.name for c in self._configs],
                                keyring_available=self._service.keyring_available(),
                                parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.sig_accepted.connect(
            lambda cfg, key, env: self._spawn(self._save(cfg, key, env), "save-provider"))
        editor.open()
        return editor

    async def _save(self, config: ProviderConfig, key: str | None, env: str | None) -> None:
        try:
            saved = await self._service.save(config, api_key=key, api_key_env=env)
        except (StoreError, SecretError, ValueError) as exc:
            self._show_error(str(exc))
            return
        await self.reload(select=saved.name)

    def _remove_current(self) -> None:
        config = self.current_config()
        if config is None:
            return
        self._confirm("Remove provider", f"Remove the provider “{config.name}”?",
                      lambda: self._spawn(self._remove(config), "remove-provider"),
                      yes_text="Remove",
                      informative="Its stored API key is deleted too. Agents that use "
                                  "it will need another provider.")

    async def _remove(self, config: ProviderConfig) -> None:
        try:
            await self._service.remove(config)
        except StoreError as exc:
            self._show_error(str(exc))
            return
        await self.reload()

    # -- connection test --------------------------------------------------------------------
    def test_current(self) -> None:
        config = self.current_config()
        if config is None:
            return
        self.spinner.start()
        self.test_button.setEnabled(False)
        self.result.setText(f"Testing {html.escape(config.name)}…")
        self._spawn(self._test(config), "test-connection")

    async def _test(self, config: ProviderConfig) -> None:
        try:
            report = await self._service.test(config)
        finally:
            self.spinner.stop()
            self._selection_changed()
        self.show_report(report)

    def show_report(self, report: ConnectionReport) -> None:
        lines = describe_report(report).split("\n")
        body = "<br>".join(html.escape(line) for line in lines)
        if report.reachable:
            self.result.setText(f"✔ {body}")
        else:
            self.result.setText(f"<span style='color:{error_color(self)}'>✖ {body}</span>")
        self._set_result_text(describe_report(report))

    def _set_result_text(self, text: str) -> None:
        """The plain result: the tooltip (escaped) and the accessible description."""
        self._result_text = text
        self.result.setToolTip(tooltip(text))
        self.result.setAccessibleDescription(text)

    def result_text(self) -> str:
        """The result as plain text (what a screen reader says)."""
        return getattr(self, "_result_text", "")

    def _show_error(self, text: str) -> None:
        self.result.setText(f"<span style='color:{error_color(self)}'>"
                            f"{html.escape(text[:1].upper() + text[1:])}</span>")
        self._set_result_text(text)
