"""Settings pages that only edit values of settings.json: Appearance and
Privacy patterns. (Pages that act on the store have their own modules.)"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.ui.dialogs.validation import regex_problem
from app.ui.dialogs.widgets import FieldMessage
from app.ui.theme import MAX_FONT_SIZE, MIN_FONT_SIZE, THEME_LABELS, THEMES


class AppearancePage(QWidget):
    #: (theme, font size): the user changed one; the dialog applies it live.
    sig_changed = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        choices = QVBoxLayout()
        for theme in THEMES:
            button = QRadioButton(THEME_LABELS[theme])
            button.setObjectName(f"theme_{theme}")
            self.group.addButton(button)
            self.buttons[theme] = button
            choices.addWidget(button)
        self.font_size = QSpinBox()
        self.font_size.setObjectName("fontSizeSpin")
        self.font_size.setRange(MIN_FONT_SIZE, MAX_FONT_SIZE)
        self.font_size.setSuffix(" pt")
        form = QFormLayout(self)
        form.addRow("Theme", choices)
        form.addRow("Font size", self.font_size)
        note = QLabel("Changes show at once; Cancel goes back to what you had.")
        note.setWordWrap(True)
        form.addRow("", note)
        self.group.buttonToggled.connect(self._emit)
        self.font_size.valueChanged.connect(self._emit)

    def set_values(self, theme: str, font_size: int) -> None:
        self.blockSignals(True)
        self.buttons[theme].setChecked(True)
        self.font_size.setValue(font_size)
        self.blockSignals(False)

    def theme(self) -> str:
        return next(name for name, button in self.buttons.items() if button.isChecked())

    def _emit(self, *_args: object) -> None:
        if any(button.isChecked() for button in self.buttons.values()):
            self.sig_changed.emit(self.theme(), self.font_size.value())


class PrivacyPage(QWidget):
    """Regular expressions for text that must never go to a cloud provider,
    checked as they are typed."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = QLabel("Messages matching any of these regular expressions are only sent "
                       "to local providers. Built-in patterns already catch API keys, "
                       "private keys, passwords, IBANs and card numbers.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("privacyPatternList")
        self.edit = QLineEdit()
        self.edit.setObjectName("privacyPatternEdit")
        self.edit.setPlaceholderText(r"e.g. \bProject Falcon\b")
        self.message = FieldMessage("privacyPatternMessage")
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addPatternButton")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removePatternButton")
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.edit.textChanged.connect(self._check)
        self.edit.returnPressed.connect(self._add)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.list.currentRowChanged.connect(
            lambda row: self.remove_button.setEnabled(row >= 0))
        self._check()
        self.remove_button.setEnabled(False)

    def set_patterns(self, patterns: list[str]) -> None:
        self.list.clear()
        for pattern in patterns:
            self._append(pattern)

    def patterns(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def problem(self) -> str | None:
        """The problem with the text being typed (None when empty or valid)."""
        text = self.edit.text()
        if not text:
            return None
        problem = regex_problem(text)
        if problem is None and text in self.patterns():
            return "This pattern is in the list already."
        return problem

    def _check(self, *_args: object) -> None:
        problem = self.problem()
        self.message.show_problem(problem)
        self.add_button.setEnabled(bool(self.edit.text()) and problem is None)

    def _append(self, pattern: str) -> None:
        item = QListWidgetItem(pattern)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.list.addItem(item)

    def _add(self) -> None:
        if not self.edit.text() or self.problem() is not None:
            return
        self._append(self.edit.text())
        self.edit.clear()
        self.sig_changed.emit()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.sig_changed.emit()
