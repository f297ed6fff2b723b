"""The agent's ordered fallback chain: (provider, model) entries tried in turn
when the main provider fails."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import FallbackTarget, ProviderConfig
from app.ui.dialogs.model_picker import ModelCombo, ProviderCombo


class FallbackEditor(QWidget):
    #: The list changed (added, removed or moved).
    sig_changed = Signal()
    #: The provider picker changed: the owner loads its models (provider name).
    sig_provider_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fallbackEditor")
        self.list = QListWidget()
        self.list.setObjectName("fallbackList")
        self.list.setAccessibleName("Fallbacks, tried in this order")
        self.provider = ProviderCombo(allow_default=False)
        self.provider.setObjectName("fallbackProviderCombo")
        self.model = ModelCombo(allow_auto=False)
        self.model.setObjectName("fallbackModelCombo")
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("fallbackAddButton")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("fallbackRemoveButton")
        self.up_button = QPushButton("Up")
        self.up_button.setObjectName("fallbackUpButton")
        self.down_button = QPushButton("Down")
        self.down_button.setObjectName("fallbackDownButton")

        picker = QGridLayout()
        picker.setContentsMargins(0, 0, 0, 0)
        picker.addWidget(self.provider, 0, 0)
        picker.addWidget(self.model, 0, 1)
        picker.addWidget(self.add_button, 0, 2)
        picker.setColumnStretch(0, 2)
        picker.setColumnStretch(1, 3)
        moves = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button):
            moves.addWidget(button)
        moves.addStretch(1)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.list, 1)
        body.addLayout(moves)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body)
        layout.addLayout(picker)

        self.add_button.clicked.connect(self._add_current)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.list.currentRowChanged.connect(self._update_buttons)
        self.provider.currentIndexChanged.connect(
            lambda _i: self.sig_provider_chosen.emit(self.provider.current_name()))
        self._update_buttons()

    # -- content --------------------------------------------------------------------------
    def set_providers(self, configs: list[ProviderConfig]) -> None:
        self.provider.set_providers(configs, self.provider.current_name())

    def set_local_only(self, local_only: bool) -> None:
        self.provider.set_local_only(local_only)
        if local_only and self.provider.is_cloud(self.provider.current_name()):
            for row in range(self.provider.count()):
                if self.provider.model().item(row).isEnabled():
                    self.provider.setCurrentIndex(row)
                    break

    def set_entries(self, entries: list[FallbackTarget] | list[tuple[str, str]]) -> None:
        self.list.clear()
        for entry in entries:
            provider, model = ((entry.provider, entry.model)
                               if isinstance(entry, FallbackTarget) else entry)
            self.add_entry(provider, model, notify=False)
        self._update_buttons()

    def add_entry(self, provider: str, model: str, *, notify: bool = True) -> None:
        item = QListWidgetItem(self._label(provider, model))
        item.setData(Qt.ItemDataRole.UserRole, (provider.strip(), model.strip()))
        self.list.addItem(item)
        self.list.setCurrentItem(item)
        if notify:
            self.sig_changed.emit()

    def entries(self) -> list[tuple[str, str]]:
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole)
                for row in range(self.list.count())]

    def targets(self) -> list[FallbackTarget]:
        """The entries as FallbackTargets (only call when they are complete)."""
        return [FallbackTarget(provider=p, model=m) for p, m in self.entries()]

    @staticmethod
    def _label(provider: str, model: str) -> str:
        return f"{provider or '(no provider)'}  ·  {model or '(no model)'}"

    # -- buttons ------------------------------------------------------------------------------
    def _add_current(self) -> None:
        self.add_entry(self.provider.current_name(), self.model.model_id())

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self._update_buttons()
            self.sig_changed.emit()

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.sig_changed.emit()

    def _update_buttons(self, *_args: object) -> None:
        row = self.list.currentRow()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.list.count() - 1)
