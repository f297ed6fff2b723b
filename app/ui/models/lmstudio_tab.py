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

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTreeWidgetItem

from app.providers.lmstudio_admin import LMStudioModel, LMStudioModels
from app.services.store_bridge import StoreBridge
from app.ui.models import provider_calls, text
from app.ui.models.provider_models_tab import KeyRole, ProviderModelsTab, Spawn
from app.ui.models.widgets import wrapped_label
from app.ui.plain_text import tooltip

COLUMNS = ["Model", "Type", "Size", "Quantization", "Context", "State"]
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


class LMStudioTab(ProviderModelsTab):
    models: list[LMStudioModel]

    def __init__(self, bridge: StoreBridge, spawn: Spawn) -> None:
        super().__init__(bridge, spawn, prefix="lmstudio", server="LM Studio", columns=COLUMNS)
        self._busy = False
        self.can_load = False

        self.load_button = QPushButton("Load")
        self.load_button.setObjectName("lmstudioLoad")
        self.unload_button = QPushButton("Unload")
        self.unload_button.setObjectName("lmstudioUnload")
        self.note = wrapped_label("lmstudioNote")
        self.note.setVisible(False)

        actions = QHBoxLayout()
        actions.addWidget(self.load_button)
        actions.addWidget(self.unload_button)
        actions.addStretch(1)
        self._lay_out(actions, self.note)

        self.load_button.clicked.connect(self.load_selected)
        self.unload_button.clicked.connect(self.unload_selected)
        self._update_buttons()

    # -- listing ---------------------------------------------------------------------
    async def _fetch(self, provider: str) -> LMStudioModels:
        return await provider_calls.lmstudio_models(self._bridge, provider)

    def _show(self, listed: LMStudioModels | None) -> None:
        """The rows, the note on what this LM Studio cannot do, and the
        selection kept across the refresh."""
        selected = self.current_model()
        self.can_load = listed is not None and listed.can_load
        note = listed.note if listed is not None else None
        self._fill(listed.models if listed is not None else [], self._item)
        self.note.setText(text.bounded(note, 400) if note else "")
        self.note.setVisible(bool(note))
        self.select(selected)

    def _item(self, model: LMStudioModel) -> QTreeWidgetItem:
        item = QTreeWidgetItem([
            text.bounded(model.key, NAME_CHARS), text.bounded(model.type, 20),
            text.size(model.size_bytes), text.bounded(model.quantization or "—", 20),
            text.context(model.max_context_length), state_text(model)])
        item.setData(0, KeyRole, model.key)
        if model.display_name != model.key:
            item.setToolTip(0, tooltip(text.bounded(model.display_name, NAME_CHARS)))
        return item

    def model_keys(self) -> list[str]:
        return [m.key for m in self.models]

    def model(self, key: str | None) -> LMStudioModel | None:
        return next((m for m in self.models if m.key == key), None)

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
