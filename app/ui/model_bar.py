"""The bar above the chat: provider (with its status dot), model, temperature,
max tokens, streaming.

Each change is reported as the agent's id and the changed field(s)
(``sig_agent_changed``); the window applies them to the stored agent, which
makes a new revision, and the next message uses it. Until that save is done
(``saved``), the bar keeps showing its own change even when a copy of the
agent from before it arrives (the list's notice of the previous save). The temperature slider reports when released, or
after a short pause while it is moved with the keyboard.

The status dot is green when the provider answered its last connection test
(latency in the tooltip), red when it did not (the reason and its fix in the
tooltip), grey before the first test. Tests run as tasks (never blocking the
window) when a provider is chosen, every ``STATUS_INTERVAL_MS``, and on
demand (the ↻ button, View > Check Connection). A reply says as much as a
test: a provider that answered turns green, one that failed to connect,
timed out, refused the key or broke turns red (``note_attempt``).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.core.fallback import Attempt
from app.domain import AgentSpec, ConnectionReport, ModelInfo, ProviderConfig
from app.services.provider_service import ProviderService
from app.ui.plain_text import tooltip
from app.ui.provider_status import (  # noqa: F401 (status_state/_tooltip re-exported)
    ProviderStatus,
    Spawn,
    status_dot,
    status_state,
    status_tooltip,
)

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 60_000
TEMPERATURE_PAUSE_MS = 400
AUTO = "auto"


def model_label(info: ModelInfo) -> str:
    """Name, then size and quantization where known (ModelInfo.label)."""
    return info.label


class ModelBar(QWidget):
    #: The agent's id and the changed field(s) ({name: value}), to be saved.
    sig_agent_changed = Signal(int, dict)
    #: A provider's connection test finished (name, report).
    sig_status = Signal(str, object)

    def __init__(self, providers: ProviderService, spawn: Spawn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBar")
        self._service = providers
        self._spawn = spawn
        self._spec: AgentSpec | None = None
        self._unsaved: dict[str, Any] = {}      # changed here, not saved yet
        self._configs: list[ProviderConfig] = []
        #: Connection reports per provider (tests and replies update it).
        self.status = ProviderStatus(providers, spawn, self)
        self.status.sig_report.connect(self._show_report)
        self._models_generation = 0
        self._build()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_INTERVAL_MS)
        self._status_timer.timeout.connect(lambda: self.check_status())
        self._temperature_timer = QTimer(self)
        self._temperature_timer.setSingleShot(True)
        self._temperature_timer.setInterval(TEMPERATURE_PAUSE_MS)
        self._temperature_timer.timeout.connect(self._temperature_committed)
        self._wire()
        self.set_agent(None)

    # -- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.provider_combo = QComboBox()
        self.provider_combo.setObjectName("providerCombo")
        self.provider_combo.setAccessibleName("Provider")
        self.provider_combo.setIconSize(QSize(12, 12))
        self.provider_combo.setMinimumContentsLength(12)
        self.provider_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.check_button = QToolButton()
        self.check_button.setObjectName("checkConnectionButton")
        self.check_button.setText("↻")
        self.check_button.setToolTip("Check the connection now")
        self.check_button.setAutoRaise(True)

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setAccessibleName("Model")
        self.model_combo.setMinimumContentsLength(18)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setSizePolicy(QSizePolicy.Policy.Expanding,
                                       QSizePolicy.Policy.Fixed)

        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setObjectName("temperatureSlider")
        self.temperature_slider.setAccessibleName("Temperature")
        self.temperature_slider.setRange(0, 200)          # hundredths: 0.00 – 2.00
        self.temperature_slider.setSingleStep(5)
        self.temperature_slider.setPageStep(10)
        self.temperature_slider.setFixedWidth(110)
        self.temperature_label = QLabel("0.70")
        self.temperature_label.setObjectName("temperatureValue")
        self.temperature_label.setMinimumWidth(
            self.temperature_label.fontMetrics().horizontalAdvance("0.00") + 4)

        self.max_tokens_spin = QSpinBox()
        self.max_tokens_spin.setObjectName("maxTokensSpin")
        self.max_tokens_spin.setAccessibleName("Max tokens")
        self.max_tokens_spin.setRange(1, 1_000_000)
        self.max_tokens_spin.setSingleStep(256)
        self.max_tokens_spin.setKeyboardTracking(False)
        self.max_tokens_spin.setToolTip("The longest reply, in tokens")

        self.streaming_check = QCheckBox("Stream")
        self.streaming_check.setObjectName("streamingSwitch")
        self.streaming_check.setToolTip("Show the reply as it is written")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for widget in (QLabel("Provider"), self.provider_combo, self.check_button):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.model_combo, 1)
        layout.addSpacing(8)
        temperature = QLabel("Temp")
        temperature.setToolTip("Temperature (0–2): higher is more varied")
        for widget in (temperature, self.temperature_slider, self.temperature_label):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Max tokens"))
        layout.addWidget(self.max_tokens_spin)
        layout.addSpacing(8)
        layout.addWidget(self.streaming_check)

    def _wire(self) -> None:
        self.provider_combo.activated.connect(self._provider_chosen)
        self.model_combo.activated.connect(self._model_chosen)
        self.temperature_slider.valueChanged.connect(self._temperature_moved)
        self.temperature_slider.sliderReleased.connect(self._temperature_committed)
        self.max_tokens_spin.valueChanged.connect(
            lambda value: self._change(max_tokens=int(value)))
        self.streaming_check.toggled.connect(lambda on: self._change(streaming=bool(on)))
        self.check_button.clicked.connect(lambda: self.check_status(force=True))

    @property
    def reports(self) -> dict[str, ConnectionReport]:
        """The last connection report per provider name (ProviderStatus)."""
        return self.status.reports

    # -- showing an agent ---------------------------------------------------------------------
    @property
    def spec(self) -> AgentSpec | None:
        return self._spec

    def set_providers(self, configs: list[ProviderConfig]) -> None:
        enabled = [c for c in configs if c.enabled]
        if enabled == self._configs:
            return      # re-read after any write elsewhere (e.g. the local API): unchanged
        self._configs = enabled
        self._fill_providers()

    def set_agent(self, spec: AgentSpec | None) -> None:
        """Show ``spec``'s settings (None: nothing selected, all disabled)."""
        previous = self._spec
        if spec is not None and (previous is None or previous.id != spec.id):
            self._unsaved.clear()
        if spec is not None and self._unsaved:
            spec = spec.model_copy(update=self._unsaved)
        self._spec = spec
        for widget in (self.provider_combo, self.model_combo, self.temperature_slider,
                       self.max_tokens_spin, self.streaming_check, self.check_button):
            widget.setEnabled(spec is not None)
        if spec is None:
            return
        self._fill_providers()
        if not self.temperature_slider.isSliderDown() and not self._temperature_timer.isActive():
            with QSignalBlocker(self.temperature_slider):
                self.temperature_slider.setValue(round(spec.temperature * 100))
            self.temperature_label.setText(f"{spec.temperature:.2f}")
        if not self.max_tokens_spin.hasFocus():
            with QSignalBlocker(self.max_tokens_spin):
                self.max_tokens_spin.setValue(spec.max_tokens)
        with QSignalBlocker(self.streaming_check):
            self.streaming_check.setChecked(spec.streaming)
        changed_provider = previous is None or previous.provider != spec.provider \
            or previous.id != spec.id
        self._show_model(spec.model)
        if changed_provider:
            self.load_models()
            if spec.provider and spec.provider not in self.reports:
                self.check_status(spec.provider)

    def _fill_providers(self) -> None:
        combo = self.provider_combo
        current = self._spec.provider if self._spec else ""
        blocked = combo.blockSignals(True)
        try:
            combo.clear()
            names = [c.name for c in self._configs]
            if current and current.lower() not in (n.lower() for n in names):
                names.insert(0, current)
            for name in names:
                combo.addItem(status_dot(status_state(self.reports.get(name))), name, name)
            index = combo.findData(current)
            combo.setCurrentIndex(index)
        finally:
            combo.blockSignals(blocked)
        self._update_status_tooltip()

    def _update_status_tooltip(self) -> None:
        name = self.provider_combo.currentData() or ""
        self.provider_combo.setToolTip(tooltip(status_tooltip(name, self.reports.get(name)))
                                       if name else "No provider")

    def _show_model(self, model: str, models: list[ModelInfo] | None = None) -> None:
        combo = self.model_combo
        blocked = combo.blockSignals(True)
        try:
            if models is not None:
                combo.clear()
                for info in models:
                    combo.addItem(model_label(info), info.id)
                combo.addItem("auto (chosen per request)", AUTO)
            index = combo.findData(model or AUTO)
            if index < 0 and model:
                combo.insertItem(0, model, model)
                combo.setItemData(0, "Not listed by the provider",
                                  Qt.ItemDataRole.ToolTipRole)
                index = 0
            combo.setCurrentIndex(index)
        finally:
            combo.blockSignals(blocked)

    # -- models ---------------------------------------------------------------------------------
    def load_models(self, *, refresh: bool = False) -> None:
        spec = self._spec
        if spec is None or not spec.provider:
            return
        self._models_generation += 1
        self._spawn(self._load_models(spec.provider, self._models_generation, refresh),
                    "models")

    async def _load_models(self, provider: str, generation: int, refresh: bool) -> None:
        models, _problem = await self._service.models(provider, refresh=refresh)
        if generation != self._models_generation or self._spec is None:
            return
        self._show_model(self._spec.model, models)

    def model_ids(self) -> list[str]:
        return [self.model_combo.itemData(i) for i in range(self.model_combo.count())]

    # -- user changes ---------------------------------------------------------------------------
    def _change(self, **fields: Any) -> None:
        if self._spec is None:
            return
        if all(getattr(self._spec, key) == value for key, value in fields.items()):
            return
        self._spec = self._spec.model_copy(update=fields)
        self._unsaved.update(fields)
        if self._spec.id is not None:
            self.sig_agent_changed.emit(self._spec.id, dict(fields))

    def saved(self, agent_id: int, fields: dict[str, Any]) -> None:
        """The window stored ``fields``: stop holding them over copies that arrive."""
        if self._spec is None or self._spec.id != agent_id:
            return
        for key, value in fields.items():
            if self._unsaved.get(key) == value:     # not changed again meanwhile
                del self._unsaved[key]

    def _provider_chosen(self, index: int) -> None:
        name = self.provider_combo.itemData(index)
        if self._spec is None or not name or name == self._spec.provider:
            return
        self._spawn(self._switch_provider(name), "switch-provider")

    async def _switch_provider(self, name: str) -> None:
        """Keep the model if the new provider has it, else take its first model."""
        models, _problem = await self._service.models(name)
        if self._spec is None:
            return
        ids = [m.id for m in models]
        model = self._spec.model
        if model not in ids and model != AUTO:
            model = ids[0] if ids else model
        self._models_generation += 1
        self._change(provider=name, model=model)
        self._show_model(model, models)
        self._update_status_tooltip()
        if name not in self.reports:
            self.check_status(name)

    def _model_chosen(self, index: int) -> None:
        model = self.model_combo.itemData(index)
        if model:
            self._change(model=model)

    def _temperature_moved(self, value: int) -> None:
        self.temperature_label.setText(f"{value / 100:.2f}")
        if not self.temperature_slider.isSliderDown():
            self._temperature_timer.start()   # keyboard / wheel: commit after a pause

    def _temperature_committed(self) -> None:
        self._temperature_timer.stop()
        self._change(temperature=round(self.temperature_slider.value() / 100, 2))

    def flush_pending(self) -> None:
        """Commit a change still waiting for its pause (before a message is sent)."""
        if self._temperature_timer.isActive():
            self._temperature_committed()

    # -- connection status -------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """The periodic connection test runs only while the bar can be seen: a
        window in the tray (or one closed at quit) sends no requests to the
        providers and wakes nothing up."""
        super().showEvent(event)
        self._status_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._status_timer.stop()

    def check_status(self, name: str | None = None, *, force: bool = False) -> None:
        """Test the provider's connection in the background (the in-process
        engine only on demand, ``force``: see ProviderStatus.check)."""
        name = name or (self._spec.provider if self._spec else "")
        config = self._config(name)
        if config is not None:
            self.status.check(config, force=force)

    def _config(self, name: str) -> ProviderConfig | None:
        return next((c for c in self._configs if c.name.lower() == name.lower()), None)

    def _show_report(self, name: str, report: ConnectionReport) -> None:
        index = self.provider_combo.findData(name)
        if index >= 0:
            self.provider_combo.setItemIcon(index, status_dot(status_state(report)))
        self._update_status_tooltip()
        self.sig_status.emit(name, report)

    def note_attempt(self, attempt: Attempt) -> None:
        """What a reply showed about its provider (ProviderStatus.note_attempt);
        nothing for a provider not configured here."""
        config = self._config(attempt.provider)
        if config is not None:
            self.status.note_attempt(config, attempt)

    def status_of(self, name: str) -> str:
        """"up", "down" or "unknown" (what the dot shows)."""
        return self.status.state(name)
