"""The Installed tab: the models in the models folder (downloaded, imported by
copy or link, the bundled one) with what their files say (architecture,
quantization, context, chat or base), and Info…, Remove… and Import .gguf….

The tab only shows and asks; the window runs the operations
(``app.ops.model_library``) off the UI thread and hands the results back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QPushButton, QTreeWidgetItem, QVBoxLayout,
    QWidget)

from app.domain.model_library import InstalledModel
from app.ui.models import text
from app.ui.models.widgets import model_tree, wrapped_label

COLUMNS = ["Name", "Size", "Architecture", "Quantization", "Context", "Kind", "Source"]
SOURCE_LABELS = {"download": "downloaded", "import-copy": "imported (copy)",
                 "import-link": "linked", "bundled": "bundled with the app"}
ModelRole = Qt.ItemDataRole.UserRole


class InstalledTab(QWidget):
    #: An InstalledModel to describe / to remove (after confirmation).
    sig_info = Signal(object)
    sig_remove = Signal(object)
    sig_import = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("installedTab")
        self.models: list[InstalledModel] = []
        self.list = model_tree("installedList", COLUMNS)
        self.list.setUniformRowHeights(True)
        self.status = wrapped_label("installedStatus", "Reading the models folder…")
        self.info_button = QPushButton("Info…")
        self.info_button.setObjectName("modelInfoButton")
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setObjectName("removeModelButton")
        self.import_button = QPushButton("Import .gguf…")
        self.import_button.setObjectName("importModelButton")
        self.info_button.clicked.connect(lambda: self._emit_current(self.sig_info))
        self.remove_button.clicked.connect(lambda: self._emit_current(self.sig_remove))
        self.import_button.clicked.connect(self.sig_import)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.list.itemDoubleClicked.connect(lambda *_: self._emit_current(self.sig_info))

        buttons = QHBoxLayout()
        buttons.addWidget(self.info_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_models(self, models: list[InstalledModel], folder: str) -> None:
        current = self.current_model()
        self.models = list(models)
        self.list.clear()
        for model in self.models:
            item = QTreeWidgetItem([
                text.bounded(model.name, 120), text.size(model.size_bytes),
                text.bounded(model.architecture or "—", 40),
                text.bounded(model.quantization or "—", 40), text.context(model.context_length),
                _problem(model) or text.kind_of(model),
                SOURCE_LABELS.get(model.source, model.source)])
            item.setData(0, ModelRole, model)
            self.list.addTopLevelItem(item)
            if current is not None and model.path == current.path:
                self.list.setCurrentItem(item)
        count = len(self.models)
        self.status.setText(f"{count} model{'s' if count != 1 else ''} in {folder}"
                            if count else f"No models yet in {folder}. Download one under "
                                          "Catalogue, or import a .gguf file.")
        self._update_buttons()

    def set_error(self, message: str) -> None:
        self.status.setText(text.bounded(message, 500))

    def current_model(self) -> InstalledModel | None:
        item = self.list.currentItem()
        return item.data(0, ModelRole) if item is not None else None

    def select(self, name: str) -> bool:
        for index in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(index)
            if item.data(0, ModelRole).name == name:
                self.list.setCurrentItem(item)
                return True
        return False

    def names(self) -> list[str]:
        return [model.name for model in self.models]

    def _emit_current(self, signal) -> None:  # noqa: ANN001 (a bound Signal)
        model = self.current_model()
        if model is not None:
            signal.emit(model)

    def _update_buttons(self) -> None:
        model = self.current_model()
        self.info_button.setEnabled(model is not None)
        self.remove_button.setEnabled(model is not None and model.source != "bundled")


def info_text(model: InstalledModel) -> str:
    """The Info box's text (every value from the file: plain text, bounded)."""
    kind = text.kind_of(model)
    rows = [("Name", model.name), ("Model", getattr(model, "model_name", None) or "unknown"),
            ("File", model.path), ("Size", text.size(model.size_bytes)),
            ("Architecture", model.architecture or "unknown"),
            ("Quantization", model.quantization or "unknown"),
            ("Context length", f"{model.context_length:,} tokens" if model.context_length
             else "unknown"),
            ("Chat template", "yes" if model.has_chat_template else "no"),
            ("Kind", kind), ("Source", SOURCE_LABELS.get(model.source, model.source))]
    lines = [f"{label}: {text.bounded(value, 400)}" for label, value in rows]
    if _problem(model):
        lines.append(f"Problem: {_problem(model)}")
    if model.instruction_tuned is False:
        lines.append("A base model completes text; it is not a chat assistant.")
    return "\n".join(lines)


def _problem(model: InstalledModel) -> str:
    """Why the model cannot be used (a link whose file is gone...), or ''."""
    return text.bounded(getattr(model, "problem", None) or "", 200)
