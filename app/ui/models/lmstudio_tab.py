"""The LM Studio tab (shown when an LM Studio provider is configured): the
server's models with type, size, quantization, context and state (loaded or
not, as LM Studio's REST API reports it); Load and Unload for the selected
model, enabled by its state.

LM Studio has load/unload in its REST API from 0.4.0 (v1). An older one lists
its models through v0 only: there both buttons stay disabled and a sentence
under the list says why and what to do (load it in LM Studio itself).

Listing, load and unload go through ``app.ops.model_providers``
(provider_calls.py) as tasks of the window, so nothing waits on the UI
thread. Names and errors come from the server: plain text, bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget)

from app.domain import ProviderConfig
from app.providers.lmstudio_admin import LMStudioModel
from app.services.store_bridge import StoreBridge
from app.ui.models import provider_calls, text
from app.ui.plain_text import plain_label, tooltip

Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]
COLUMNS = ["Model", "Type", "Size", "Quantization", "Context", "State"]
KeyRole = Qt.ItemDataRole.UserRole
NAME_CHARS = 120


def state_text(model: LMStudioModel) -> str:
    """'Loaded', 'Loaded (2 instances)', 'Not loaded', or 'Unknown' when the
    server did not say."""
    if model.loaded is None:
        return "Unknown"
    if not model.loaded:
        return "Not loaded"
    count = len(model.loaded_instances)
    return f"Loaded ({count} instances)" if count > 1 else "Loaded"


class LMStudioTab(QWidget):
    def __init__(self, bridge: StoreBridge, spawn: Spawn) -> None:
        super().__init__()
        self.setObjectName("lmstudioTab")
        self._bridge = bridge
        self._spawn = spawn
        self._busy = False
        self.models: list[LMStudioModel] = []
        self.can_load = False

        self.provider = QComboBox()
        self.provider.setObjectName("lmstudioProvider")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("lmstudioRefresh")
        self.list = QTreeWidget()
        self.list.setObjectName("lmstudioModels")
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        header = self.list.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.load_button = QPushButton("Load")
        self.load_button.setObjectName("lmstudioLoad")
        self.unload_button = QPushButton("Unload")
        self.unload_button.setObjectName("lmstudioUnload")
        self.note = plain_label(QLabel())
        self.note.setObjectName("lmstudioNote")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.status = plain_label(QLabel())
        self.status.setObjectName("lmstudioStatus")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.provider, 1)
        top.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        actions.addWidget(self.load_button)
        actions.addWidget(self.unload_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)
        layout.addWidget(self.note)
        layout.addWidget(self.status)

        self.provider.currentIndexChanged.connect(lambda _i: self.reload())
        self.refresh_button.clicked.connect(self.reload)
        self.load_button.clicked.connect(self.load_selected)
        self.unload_button.clicked.connect(self.unload_selected)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    @property
    def provider_name(self) -> str:
        return self.provider.currentData() or ""

    def set_providers(self, configs: list[ProviderConfig]) -> None:
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
            self._spawn(self._list(self.provider_name), "lmstudio models")

    async def _list(self, provider: str, *, keep_status: bool = False) -> None:
        if not keep_status:
            self.status.setText("Asking LM Studio for its models…")
        try:
            listed = await provider_calls.lmstudio_models(self._bridge, provider)
        except provider_calls.ProviderAdminError as exc:
            if provider == self.provider_name:
                self._show([], can_load=False, note=None)
                self.status.setText(f"Cannot list the models of {text.bounded(provider, 80)}: "
                                    f"{text.bounded(str(exc), 300)}")
            return
        if provider != self.provider_name:
            return
        selected = self.current_model()
        self._show(listed.models, can_load=listed.can_load, note=listed.note)
        self.select(selected)
        if not keep_status:
            count = len(listed.models)
            self.status.setText(f"{count} model{'s' if count != 1 else ''} on "
                                f"{text.bounded(provider, 80)}.")

    def _show(self, models: list[LMStudioModel], *, can_load: bool, note: str | None) -> None:
        self.models = models
        self.can_load = can_load
        self.list.clear()
        for model in models:
            item = QTreeWidgetItem([
                text.bounded(model.key, NAME_CHARS), text.bounded(model.type, 20),
                text.size(model.size_bytes), text.bounded(model.quantization or "—", 20),
                text.context(model.max_context_length), state_text(model)])
            item.setData(0, KeyRole, model.key)
            if model.display_name != model.key:
                item.setToolTip(0, tooltip(text.bounded(model.display_name, NAME_CHARS)))
            self.list.addTopLevelItem(item)
        self.note.setText(text.bounded(note, 400) if note else "")
        self.note.setVisible(bool(note))
        self._update_buttons()

    def model_keys(self) -> list[str]:
        return [m.key for m in self.models]

    def model(self, key: str | None) -> LMStudioModel | None:
        return next((m for m in self.models if m.key == key), None)

    def current_model(self) -> str | None:
        item = self.list.currentItem()
        return item.data(0, KeyRole) if item is not None else None

    def select(self, key: str | None) -> None:
        for index in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(index)
            if key is not None and item.data(0, KeyRole) == key:
                self.list.setCurrentItem(item)
                return

    # -- load / unload -------------------------------------------------------------------
    def load_selected(self) -> None:
        key, provider = self.current_model(), self.provider_name
        if key and provider and not self._busy:
            self._spawn(self._run("load", provider, key), f"load {key}")

    def unload_selected(self) -> None:
        key, provider = self.current_model(), self.provider_name
        if key and provider and not self._busy:
            self._spawn(self._run("unload", provider, key), f"unload {key}")

    async def _run(self, action: str, provider: str, key: str) -> None:
        name = text.bounded(key, NAME_CHARS)
        self._set_busy(True)
        self.status.setText(f"Loading {name}…" if action == "load" else f"Unloading {name}…")
        try:
            if action == "load":
                result = await provider_calls.load(self._bridge, provider, key)
                done = (f"{name} was already loaded." if result.already_loaded else
                        f"Loaded {name}" + (f" in {result.load_time_seconds:.1f} s."
                                            if result.load_time_seconds is not None else "."))
            else:
                await provider_calls.unload(self._bridge, provider, key)
                done = f"Unloaded {name}."
        except provider_calls.ProviderAdminError as exc:
            what = "Not loaded" if action == "load" else "Not unloaded"
            self.status.setText(f"{what}: {text.bounded(str(exc), 400)}")
            done = None
        finally:
            self._set_busy(False)
        if done is not None:
            self.status.setText(done)
        if provider == self.provider_name:
            await self._list(provider, keep_status=True)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.refresh_button.setEnabled(not busy)
        self._update_buttons()

    def _update_buttons(self) -> None:
        model = self.model(self.current_model())
        usable = self.can_load and model is not None and not self._busy
        self.load_button.setEnabled(usable and model is not None and model.loaded is not True)
        self.unload_button.setEnabled(usable and model is not None and model.loaded is True)
        reason = tooltip(self.note.text()) if self.note.text() else ""
        for button in (self.load_button, self.unload_button):
            button.setToolTip(reason)
