"""The frame of a provider's tab in the Model Library, under the Ollama and
LM Studio tabs.

A provider tab has a provider picker, Refresh, the tree of the server's
models and a status line; a subclass adds its buttons (``_lay_out``), asks
the server (``_fetch``) and fills the rows (``_show``). Listing runs as a
task of the window; a reply for a provider no longer picked is dropped, and
a refusal becomes one bounded line in the status. Names and errors come from
the server: plain text, bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLayout, QPushButton, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.domain import ProviderConfig
from app.services.store_bridge import StoreBridge
from app.ui.models import provider_calls, text
from app.ui.models.widgets import model_tree, wrapped_label

Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]
#: Where a provider tab's row keeps its model's name (or key).
KeyRole = Qt.ItemDataRole.UserRole


class ProviderModelsTab(QWidget):
    """The models of the picked provider of one kind. ``prefix`` names the
    widgets (``{prefix}Tab``, ``{prefix}Provider``, ``{prefix}Refresh``,
    ``{prefix}Models``, ``{prefix}Status``); ``server`` is the product's
    name, for the status line."""

    def __init__(self, bridge: StoreBridge, spawn: Spawn, *, prefix: str, server: str,
                 columns: list[str]) -> None:
        super().__init__()
        self.setObjectName(f"{prefix}Tab")
        self._bridge = bridge
        self._spawn = spawn
        self._prefix = prefix
        self._server = server
        self.models: list[Any] = []

        self.provider = QComboBox()
        self.provider.setObjectName(f"{prefix}Provider")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName(f"{prefix}Refresh")
        self.list = model_tree(f"{prefix}Models", columns)
        self.status = wrapped_label(f"{prefix}Status")

        self.provider.currentIndexChanged.connect(lambda _i: self.reload())
        self.refresh_button.clicked.connect(self.reload)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())

    def _lay_out(self, *below_list: QLayout | QWidget) -> None:
        """Picker and Refresh on top, the list, ``below_list`` in order, the
        status line last."""
        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.provider, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        for part in below_list:
            if isinstance(part, QLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part)
        layout.addWidget(self.status)

    @property
    def provider_name(self) -> str:
        return self.provider.currentData() or ""

    def set_providers(self, configs: list[ProviderConfig]) -> None:
        """Offer ``configs``, keeping the picked one if it is still there, and
        list its models."""
        current = self.provider_name
        self.provider.blockSignals(True)
        self.provider.clear()
        for config in configs:
            self.provider.addItem(text.bounded(config.name, 80), config.name)
        index = self.provider.findData(current)
        self.provider.setCurrentIndex(max(index, 0))
        self.provider.blockSignals(False)
        self.reload()

    # -- listing ---------------------------------------------------------------------
    def reload(self) -> None:
        if self.provider_name:
            self._spawn(self._list(self.provider_name), f"{self._prefix} models")

    async def _list(self, provider: str, *, keep_status: bool = False) -> None:
        """List ``provider``'s models; ``keep_status`` keeps the line an
        action just wrote (a refusal to list still replaces it)."""
        if not keep_status:
            self.status.setText(f"Asking {self._server} for its models…")
        try:
            listed = await self._fetch(provider)
        except provider_calls.ProviderAdminError as exc:
            listed, error = None, str(exc)
        else:
            error = None
        if provider != self.provider_name:
            return
        self._show(listed)
        if error is not None:
            self.status.setText(f"Cannot list the models of {text.bounded(provider, 80)}: "
                                f"{text.bounded(error, 300)}")
        elif not keep_status:
            count = len(self.models)
            self.status.setText(f"{count} model{'s' if count != 1 else ''} on "
                                f"{text.bounded(provider, 80)}.")
        self._update_buttons()

    async def _fetch(self, provider: str) -> Any:
        """What the server lists (raises ``ProviderAdminError``)."""
        raise NotImplementedError

    def _show(self, listed: Any) -> None:
        """Set ``models`` and the rows from ``_fetch``'s answer (None: the
        listing was refused, show none)."""
        raise NotImplementedError

    def _fill(self, models: list[Any], item: Callable[[Any], QTreeWidgetItem]) -> None:
        self.models = models
        self.list.clear()
        for model in models:
            self.list.addTopLevelItem(item(model))

    def current_model(self) -> str | None:
        row = self.list.currentItem()
        return row.data(0, KeyRole) if row is not None else None

    def select(self, key: str | None) -> None:
        for index in range(self.list.topLevelItemCount()):
            row = self.list.topLevelItem(index)
            if key is not None and row.data(0, KeyRole) == key:
                self.list.setCurrentItem(row)
                return

    def _update_buttons(self) -> None:
        """Enable the tab's buttons for the selected model."""
