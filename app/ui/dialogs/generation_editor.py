"""The agent editor's "Advanced generation" group: top-p, repeat penalty,
context length, seed and stop sequences.

Every field may stay empty (the provider's own default). Only the settings
the selected provider takes are shown (``set_provider_kind``; the set comes
from the provider modules through app.core.generation_support); values of
hidden settings are kept and named in a note, since they are not sent.
Stop sequences are one per line, with ``\\n``, ``\\t`` and ``\\\\`` written as
escapes, so a blank line can be a stop sequence.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.generation_support import supported_generation
from app.domain.generation import (
    CONTEXT_LENGTH_MAX,
    CONTEXT_LENGTH_MIN,
    GENERATION_SETTINGS,
    REPEAT_PENALTY_MAX,
    SEED_MAX,
    SETTING_LABELS,
    STOP_MAX_COUNT,
    STOP_MAX_LENGTH,
    GenerationSetting,
    GenerationSettings,
)
from app.ui.dialogs.model_picker import ProviderCombo
from app.ui.dialogs.widgets import FieldMessage

PLACEHOLDER = "provider default"
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t"}
_RANGES: dict[GenerationSetting, str] = {
    "top_p": "Top-p must be a number from 0 to 1.",
    "repeat_penalty": f"Repeat penalty must be a number above 0, at most {REPEAT_PENALTY_MAX:g}.",
    "context_length": (f"Context length must be a whole number from {CONTEXT_LENGTH_MIN:,} "
                       f"to {CONTEXT_LENGTH_MAX:,}."),
    "seed": f"Seed must be a whole number from 0 to {SEED_MAX:,}.",
}


def escape_stop(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)


def unescape_stop(line: str) -> str:
    out, index = [], 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            following = line[index + 1]
            mapped = {"n": "\n", "t": "\t", "\\": "\\"}.get(following)
            if mapped is not None:
                out.append(mapped)
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


class GenerationEditor(QWidget):
    #: A field changed (the dialog re-validates).
    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generationEditor")
        self.fields: dict[GenerationSetting, QLineEdit | QPlainTextEdit] = {}
        self.messages: dict[GenerationSetting, FieldMessage] = {}
        self.group = QGroupBox("Advanced generation")
        self.group.setObjectName("advancedGenerationGroup")
        self.form = QFormLayout(self.group)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        names = {"top_p": "topPEdit", "repeat_penalty": "repeatPenaltyEdit",
                 "context_length": "contextLengthEdit", "seed": "seedEdit"}
        for setting, object_name in names.items():
            edit = QLineEdit()
            edit.setObjectName(object_name)
            edit.setPlaceholderText(PLACEHOLDER)
            edit.setMaxLength(20)
            edit.textChanged.connect(lambda *_a: self.sig_changed.emit())
            self._add_row(setting, edit)
        stop = QPlainTextEdit()
        stop.setObjectName("stopEdit")
        stop.setPlaceholderText(f"none — one per line, up to {STOP_MAX_COUNT}; "
                                "\\n for a line break")
        stop.setTabChangesFocus(True)
        stop.setFixedHeight(stop.fontMetrics().lineSpacing() * 5)
        stop.textChanged.connect(self.sig_changed.emit)
        self._add_row("stop", stop)

        self.note = QLabel()
        self.note.setObjectName("generationNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.unsent = QLabel()
        self.unsent.setObjectName("generationUnsentNote")
        self.unsent.setWordWrap(True)
        self.unsent.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.group)
        layout.addWidget(self.note)
        layout.addWidget(self.unsent)
        layout.addStretch(1)
        self._provider = ""
        self._kind: str | None = None
        self.sig_changed.connect(self._update_unsent)
        self.set_provider_kind("", None)

    def _add_row(self, setting: GenerationSetting, field: QWidget) -> None:
        message = FieldMessage(f"{field.objectName()}Message")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(message)
        self.form.addRow(SETTING_LABELS[setting], box)
        self.fields[setting] = field  # type: ignore[assignment]
        self.messages[setting] = message

    # -- provider ---------------------------------------------------------------------
    def follow(self, providers: ProviderCombo, default_provider: str = "") -> None:
        """Show what the provider chosen in ``providers`` takes, now and after
        each change ("Default provider" stands for ``default_provider``)."""
        def update(*_args: object) -> None:
            name = providers.current_name() or default_provider
            config = providers.config(name) if name else None
            self.set_provider_kind(name, config.kind if config is not None else None)

        providers.currentIndexChanged.connect(update)
        update()

    def set_provider_kind(self, provider: str, kind: str | None) -> None:
        """Show the settings a provider of ``kind`` takes (all while unknown)."""
        self._provider, self._kind = provider, kind
        supported = set(GENERATION_SETTINGS) if kind is None else supported_generation(kind)
        for setting in GENERATION_SETTINGS:
            self.form.setRowVisible(self.fields[setting].parentWidget(),
                                    setting in supported)
        if kind is None:
            self.note.setText("Empty fields use the provider's default. Choose a "
                              "configured provider to see only the settings it takes.")
        else:
            hidden = len(GENERATION_SETTINGS) - len(supported)
            extra = (f" {hidden} setting{'s' if hidden != 1 else ''} that {provider} "
                     "does not take " + ("is" if hidden == 1 else "are") + " hidden."
                     if hidden else "")
            self.note.setText(f"Empty fields use the provider's default.{extra}")
        self._update_unsent()

    def visible_settings(self) -> list[GenerationSetting]:
        """The settings shown now (for tests and screen readers)."""
        return [s for s in GENERATION_SETTINGS
                if self.form.isRowVisible(self.fields[s].parentWidget())]

    def _update_unsent(self) -> None:
        values, _problems = self._read()
        shown = set(self.visible_settings())
        unsent = [SETTING_LABELS[s].lower() for s in GENERATION_SETTINGS
                  if s not in shown and values.get(s) not in (None, [])]
        self.unsent.setVisible(bool(unsent))
        self.unsent.setText(f"Kept but not sent to {self._provider}: {', '.join(unsent)}."
                            if unsent else "")

    # -- values -----------------------------------------------------------------------
    def set_settings(self, settings: GenerationSettings) -> None:
        for setting in ("top_p", "repeat_penalty", "context_length", "seed"):
            value = getattr(settings, setting)
            self.fields[setting].setText("" if value is None else f"{value:g}"
                                         if isinstance(value, float) else str(value))
        self.fields["stop"].setPlainText("\n".join(escape_stop(s) for s in settings.stop))
        self._update_unsent()

    def _read(self) -> tuple[dict, dict[GenerationSetting, str]]:
        values: dict = {}
        problems: dict[GenerationSetting, str] = {}
        for setting, kind in (("top_p", float), ("repeat_penalty", float),
                              ("context_length", int), ("seed", int)):
            text = self.fields[setting].text().strip()
            if not text:
                continue
            try:
                values[setting] = kind(text)
            except ValueError:
                problems[setting] = _RANGES[setting]
        lines = [unescape_stop(line) for line in self.fields["stop"].toPlainText().split("\n")
                 if line != ""]
        values["stop"] = lines
        if len(lines) > STOP_MAX_COUNT:
            problems["stop"] = f"At most {STOP_MAX_COUNT} stop sequences."
        elif any(len(line) > STOP_MAX_LENGTH for line in lines):
            problems["stop"] = f"A stop sequence may have at most {STOP_MAX_LENGTH} characters."
        for setting in ("top_p", "repeat_penalty", "context_length", "seed"):
            if setting in values and setting not in problems:
                try:
                    GenerationSettings(**{setting: values[setting]})
                except ValueError:
                    problems[setting] = _RANGES[setting]
        return values, problems

    def problems(self) -> dict[GenerationSetting, str]:
        """Setting -> message for every invalid field shown (at the field)."""
        shown = self.visible_settings()
        return {s: m for s, m in self._read()[1].items() if s in shown}

    def show_problems(self) -> None:
        problems = self.problems()
        for setting, message in self.messages.items():
            message.show_problem(problems.get(setting))

    def settings(self) -> GenerationSettings:
        """The settings as typed; raises ValueError while a shown field is
        invalid. A hidden field's invalid text is dropped (it is not sent)."""
        values, problems = self._read()
        shown = self.visible_settings()
        if any(setting in shown for setting in problems):
            raise ValueError(next(m for s, m in problems.items() if s in shown))
        values = {s: v for s, v in values.items() if s not in problems}
        return GenerationSettings(**values)
