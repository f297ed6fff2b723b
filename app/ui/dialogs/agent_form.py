"""The agent editor's General page: who the agent is and how it samples."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.presets import PRESETS
from app.domain import AgentSpec
from app.domain.agent import NAME_MAX_LENGTH
from app.ui.dialogs.model_picker import ModelCombo, ProviderCombo
from app.ui.dialogs.validation import MAX_TOKENS_MAX, TEMPERATURE_MAX
from app.ui.dialogs.widgets import FieldMessage

MEMORY_ALL, MEMORY_LAST, MEMORY_NONE = "all", "last", "none"
SLIDER_STEPS = 100  # slider positions per 1.0 of temperature


def _stacked(*widgets: QWidget) -> QWidget:
    """A field with its message right under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class AgentForm(QWidget):
    #: Any field changed (the dialog re-validates).
    sig_changed = Signal()
    #: The provider picker changed (the dialog loads that provider's models).
    sig_provider_chosen = Signal(str)
    #: A preset was chosen (its display name).
    sig_preset_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.setObjectName("presetCombo")
        self.preset.addItem("Blank agent", "")
        for preset in PRESETS:
            self.preset.addItem(preset.name, preset.name)
            self.preset.setItemData(self.preset.count() - 1, preset.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.preset_label = QLabel("Start from")

        self.name = QLineEdit()
        self.name.setObjectName("agentNameEdit")
        self.name.setMaxLength(NAME_MAX_LENGTH + 1)  # one more, so "too long" can show
        self.name.setPlaceholderText("e.g. Research Assistant")
        self.name_message = FieldMessage("agentNameMessage")

        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setObjectName("systemPromptEdit")
        self.system_prompt.setPlaceholderText("How the agent should behave (optional)")
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setMinimumHeight(110)

        self.provider = ProviderCombo()
        self.provider.setObjectName("agentProviderCombo")
        self.provider_message = FieldMessage("agentProviderMessage")
        self.model = ModelCombo()
        self.model.setObjectName("agentModelCombo")
        self.model_status = QLabel()
        self.model_status.setObjectName("modelStatus")
        self.model_status.setWordWrap(True)
        self.model_status.setTextFormat(Qt.TextFormat.PlainText)

        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setObjectName("agentTemperatureSlider")
        self.temperature_slider.setRange(0, int(TEMPERATURE_MAX * SLIDER_STEPS))
        self.temperature_slider.setPageStep(10)
        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("agentTemperatureSpin")
        self.temperature.setRange(0.0, TEMPERATURE_MAX)
        self.temperature.setSingleStep(0.05)
        self.temperature.setDecimals(2)
        self.temperature_message = FieldMessage("temperatureMessage")

        self.max_tokens = QSpinBox()
        self.max_tokens.setObjectName("agentMaxTokensSpin")
        self.max_tokens.setRange(0, MAX_TOKENS_MAX)  # 0 shows the "at least 1" message
        self.max_tokens.setSingleStep(256)
        self.max_tokens.setGroupSeparatorShown(True)
        self.max_tokens_message = FieldMessage("maxTokensMessage")

        self.streaming = QCheckBox("Show the reply while it is written (streaming)")
        self.streaming.setObjectName("streamingCheck")

        self.memory = QComboBox()
        self.memory.setObjectName("memoryCombo")
        self.memory.addItem("All earlier turns that fit", MEMORY_ALL)
        self.memory.addItem("Only the last turns:", MEMORY_LAST)
        self.memory.addItem("None (each message stands alone)", MEMORY_NONE)
        self.memory_turns = QSpinBox()
        self.memory_turns.setObjectName("memoryTurnsSpin")
        self.memory_turns.setRange(1, 1000)
        self.memory_turns.setValue(10)
        self.memory_turns.setSuffix(" turns")

        self._build()
        self._wire()

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.preset_label, self.preset)
        form.addRow("&Name", _stacked(self.name, self.name_message))
        form.addRow("System &prompt", self.system_prompt)
        form.addRow("P&rovider", _stacked(self.provider, self.provider_message))
        form.addRow("&Model", _stacked(self.model, self.model_status))
        temperature = QHBoxLayout()
        temperature.addWidget(self.temperature_slider, 1)
        temperature.addWidget(self.temperature)
        temperature_box = QWidget()
        temperature_box.setLayout(temperature)
        temperature.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Temperature", _stacked(temperature_box, self.temperature_message))
        form.addRow("Max &tokens", _stacked(self.max_tokens, self.max_tokens_message))
        memory = QHBoxLayout()
        memory.setContentsMargins(0, 0, 0, 0)
        memory.addWidget(self.memory, 1)
        memory.addWidget(self.memory_turns)
        memory_box = QWidget()
        memory_box.setLayout(memory)
        form.addRow("M&emory", memory_box)
        form.addRow("", self.streaming)

    def _wire(self) -> None:
        self.temperature_slider.valueChanged.connect(self._slider_moved)
        self.temperature.valueChanged.connect(
            lambda v: self.temperature_slider.setValue(round(v * SLIDER_STEPS)))
        self.memory.currentIndexChanged.connect(self._update_memory)
        for signal in (self.name.textChanged, self.system_prompt.textChanged,
                       self.temperature.valueChanged, self.max_tokens.valueChanged,
                       self.streaming.toggled, self.memory.currentIndexChanged,
                       self.memory_turns.valueChanged, self.model.currentTextChanged,
                       self.provider.currentIndexChanged):
            signal.connect(lambda *_a: self.sig_changed.emit())
        self.provider.currentIndexChanged.connect(
            lambda _i: self.sig_provider_chosen.emit(self.provider.current_name()))
        self.preset.activated.connect(self._preset_activated)

    def _slider_moved(self, position: int) -> None:
        """Follow the slider only when it shows another value than the box.

        Setting the box's value rewrites its text ("0.7" becomes "0.70"), so
        echoing the slider's reply to a typed digit back into the box undid the
        user's Backspaces and mangled what they typed next."""
        if round(self.temperature.value() * SLIDER_STEPS) != position:
            self.temperature.setValue(position / SLIDER_STEPS)

    def _preset_activated(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name:
            self.sig_preset_chosen.emit(name)

    def _update_memory(self, *_args: object) -> None:
        self.memory_turns.setEnabled(self.memory.currentData() == MEMORY_LAST)

    # -- values -------------------------------------------------------------------------------
    def show_preset_picker(self, visible: bool) -> None:
        self.preset.setVisible(visible)
        self.preset_label.setVisible(visible)

    def set_spec(self, spec: AgentSpec, *, keep_name: bool = False,
                 keep_provider: bool = False) -> None:
        if not keep_name:
            self.name.setText(spec.name)
        self.system_prompt.setPlainText(spec.system_prompt)
        if not keep_provider:
            self.provider.set_current(spec.provider)
            self.model.set_model_id(spec.model)
        self.temperature.setValue(spec.temperature)
        self.max_tokens.setValue(spec.max_tokens)
        self.streaming.setChecked(spec.streaming)
        if spec.max_turns is None:
            self.memory.setCurrentIndex(self.memory.findData(MEMORY_ALL))
        elif spec.max_turns == 0:
            self.memory.setCurrentIndex(self.memory.findData(MEMORY_NONE))
        else:
            self.memory.setCurrentIndex(self.memory.findData(MEMORY_LAST))
            self.memory_turns.setValue(spec.max_turns)
        self._update_memory()

    def max_turns(self) -> int | None:
        choice = self.memory.currentData()
        if choice == MEMORY_ALL:
            return None
        return 0 if choice == MEMORY_NONE else self.memory_turns.value()

    def values(self) -> dict:
        """The page's fields as AgentSpec keyword arguments."""
        return {
            "name": self.name.text().strip(),
            "system_prompt": self.system_prompt.toPlainText(),
            "provider": self.provider.current_name(),
            "model": self.model.model_id(),
            "temperature": round(self.temperature.value(), 2),
            "max_tokens": self.max_tokens.value(),
            "streaming": self.streaming.isChecked(),
            "max_turns": self.max_turns(),
        }
