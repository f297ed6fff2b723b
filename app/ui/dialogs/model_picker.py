"""Provider and model pickers shared by the agent editor and the settings.

``ProviderCombo`` lists configured providers by name (with kind); cloud ones
can be disabled (local-only agents). ``ModelCombo`` is editable: the
discovered models of one provider (label with size and quantization), plus
``auto`` and whatever the user types.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from app.domain import ModelInfo, ProviderConfig

AUTO_MODEL = "auto"
DEFAULT_PROVIDER_LABEL = "Default provider"


class ProviderCombo(QComboBox):
    def __init__(self, parent: QWidget | None = None, *, allow_default: bool = True,
                 default_label: str = DEFAULT_PROVIDER_LABEL) -> None:
        super().__init__(parent)
        self._allow_default = allow_default
        self._default_label = default_label
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        self._configs: dict[str, ProviderConfig] = {}
        self._local_only = False

    def set_providers(self, configs: list[ProviderConfig], current: str = "") -> None:
        self.blockSignals(True)
        self._model.clear()
        self._configs = {c.name.lower(): c for c in configs}
        if self._allow_default:
            self._append(self._default_label, "", None)
        for config in configs:
            where = "local" if config.is_local else "cloud"
            label = f"{config.name} ({config.kind}, {where})"
            if not config.enabled:
                label += " — disabled"
            self._append(label, config.name, config)
        if current and current.lower() not in self._configs:
            self._append(f"{current} (not configured)", current, None)
        self.blockSignals(False)
        self.set_local_only(self._local_only)
        self.set_current(current)

    def _append(self, label: str, name: str, config: ProviderConfig | None) -> None:
        item = QStandardItem(label)
        item.setData(name, Qt.ItemDataRole.UserRole)
        if config is not None and not config.is_local:
            item.setData("cloud", Qt.ItemDataRole.UserRole + 1)
        self._model.appendRow(item)

    def set_local_only(self, local_only: bool) -> None:
        """Disable (grey out) cloud providers while ``local_only``."""
        self._local_only = local_only
        for row in range(self._model.rowCount()):
            item = self._model.item(row)
            if item.data(Qt.ItemDataRole.UserRole + 1) == "cloud":
                item.setEnabled(not local_only)
                item.setToolTip("Disabled: this agent is local-only" if local_only else "")

    def set_current(self, name: str) -> None:
        index = self.findData(name)
        self.setCurrentIndex(index if index >= 0 else 0)

    def current_name(self) -> str:
        return self.currentData() or ""

    def config(self, name: str) -> ProviderConfig | None:
        return self._configs.get(name.lower())

    def is_enabled_item(self, name: str) -> bool:
        index = self.findData(name)
        return index >= 0 and self._model.item(index).isEnabled()

    def is_cloud(self, name: str) -> bool:
        config = self.config(name)
        return config is not None and not config.is_local


class ModelCombo(QComboBox):
    def __init__(self, parent: QWidget | None = None, *, allow_auto: bool = True) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._allow_auto = allow_auto
        self.lineEdit().setPlaceholderText("model name")

    def set_models(self, models: list[ModelInfo], current: str = "") -> None:
        current = current or self.model_id()
        self.blockSignals(True)
        self.clear()
        if self._allow_auto:
            self.addItem("auto (choose by the request)", AUTO_MODEL)
        for info in models:
            self.addItem(info.label, info.id)
        self.blockSignals(False)
        self.set_model_id(current)

    def set_model_id(self, model_id: str) -> None:
        index = self.findData(model_id) if model_id else -1
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setCurrentIndex(-1)
            self.setEditText(model_id)

    def model_id(self) -> str:
        """The chosen model's id, or what the user typed."""
        text = self.currentText().strip()
        index = self.currentIndex()
        if index >= 0 and self.itemText(index) == self.currentText():
            return self.itemData(index) or text
        found = self.findData(text)
        return self.itemData(found) if found >= 0 else text
