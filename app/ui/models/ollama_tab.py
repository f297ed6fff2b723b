"""The Ollama tab (shown when an Ollama provider is configured): the
provider's models with size, parameters, quantization, context and
capabilities; Pull (a model name, with a progress bar from Ollama's
``/api/pull`` stream; Stop closes the stream) and Delete… (confirmed).

Listing (``/api/tags`` sizes + ``/api/show`` details), pull and delete go
through ``app.ops.model_providers`` (provider_calls.py). Names and statuses
come from the server: plain text, bounded.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QProgressBar, QPushButton, QTreeWidgetItem

from app.providers.ollama_admin import OllamaModelDetails, PullProgress
from app.services.store_bridge import StoreBridge
from app.ui.models import provider_calls, text
from app.ui.models.provider_models_tab import KeyRole, ProviderModelsTab, Spawn

if TYPE_CHECKING:
    from app.ui.models.window import ModelLibraryWindow

COLUMNS = ["Model", "Size", "Parameters", "Quantization", "Context", "Capabilities"]


class OllamaTab(ProviderModelsTab):
    models: list[OllamaModelDetails]

    def __init__(self, bridge: StoreBridge, spawn: Spawn, window: ModelLibraryWindow) -> None:
        super().__init__(bridge, spawn, prefix="ollama", server="Ollama", columns=COLUMNS)
        self._window = window
        self._pull_task: asyncio.Task[Any] | None = None

        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("ollamaDelete")
        self.name = QLineEdit()
        self.name.setObjectName("ollamaPullName")
        self.name.setPlaceholderText("Model to pull, e.g. a name from ollama.com/library")
        self.pull_button = QPushButton("Pull")
        self.pull_button.setObjectName("ollamaPull")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("ollamaStopPull")
        self.stop_button.setVisible(False)
        self.bar = QProgressBar()
        self.bar.setObjectName("ollamaPullProgress")
        self.bar.setRange(0, 100)
        self.bar.setVisible(False)

        pull = QHBoxLayout()
        pull.addWidget(self.name, 1)
        pull.addWidget(self.pull_button)
        pull.addWidget(self.stop_button)
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        self._lay_out(actions, pull, self.bar)

        self.pull_button.clicked.connect(self.pull)
        self.name.returnPressed.connect(self.pull)
        self.stop_button.clicked.connect(self.stop_pull)
        self.delete_button.clicked.connect(self.confirm_delete)
        self._update_buttons()

    # -- listing ---------------------------------------------------------------------
    async def _fetch(self, provider: str) -> list[OllamaModelDetails]:
        return await provider_calls.models(self._bridge, provider)

    def _show(self, listed: list[OllamaModelDetails] | None) -> None:
        self._fill(listed or [], self._item)

    @staticmethod
    def _item(model: OllamaModelDetails) -> QTreeWidgetItem:
        item = QTreeWidgetItem([
            text.bounded(model.name, 120), text.size(model.size_bytes),
            text.bounded(model.parameter_size or "—", 20),
            text.bounded(model.quantization or "—", 20), text.context(model.context_length),
            text.bounded(", ".join(model.capabilities) or "—", 120)])
        item.setData(0, KeyRole, model.name)
        return item

    def model_names(self) -> list[str]:
        return [m.name for m in self.models]

    # -- pull ------------------------------------------------------------------------
    def pull(self) -> None:
        name = self.name.text().strip()
        if not name or not self.provider_name or self._pull_task is not None:
            return
        self._pull_task = self._spawn(self._pull(self.provider_name, name), f"pull {name}")

    def stop_pull(self) -> None:
        if self._pull_task is not None:
            self._pull_task.cancel()

    async def _pull(self, provider: str, name: str) -> None:
        self._pulling(True)
        self.status.setText(f"Pulling {text.bounded(name, 120)}…")
        try:
            await provider_calls.pull(self._bridge, provider, name, self._show_pull)
        except asyncio.CancelledError:
            self.status.setText(f"Stopped pulling {text.bounded(name, 120)}.")
            raise
        except provider_calls.ProviderAdminError as exc:
            self.status.setText(f"Pull failed: {text.bounded(str(exc), 400)}")
            return
        finally:
            self._pull_task = None
            self._pulling(False)
        self.status.setText(f"Pulled {text.bounded(name, 120)}.")
        self.name.clear()
        self.reload()

    def _show_pull(self, progress: PullProgress) -> None:
        self.bar.setVisible(True)
        if progress.fraction is not None:
            self.bar.setValue(int(100 * progress.fraction))
        self.status.setText(text.bounded(provider_calls.describe_pull(progress), 300))

    def _pulling(self, running: bool) -> None:
        self.pull_button.setEnabled(not running)
        self.name.setEnabled(not running)
        self.stop_button.setVisible(running)
        self.bar.setVisible(running)
        if running:
            self.bar.setValue(0)

    # -- delete ----------------------------------------------------------------------
    def confirm_delete(self) -> None:
        name, provider = self.current_model(), self.provider_name
        if not name or not provider:
            return
        self._window.confirm(
            "Delete model", f"Delete {text.bounded(name, 120)} from {text.bounded(provider, 80)}?",
            lambda: self._spawn(self._delete(provider, name), f"delete {name}"),
            yes_text="Delete", informative="Ollama removes the model's files; pull it again "
                                           "to get it back.")

    async def _delete(self, provider: str, name: str) -> None:
        try:
            await provider_calls.delete(self._bridge, provider, name)
        except provider_calls.ProviderAdminError as exc:
            self.status.setText(f"Not deleted: {text.bounded(str(exc), 400)}")
            return
        self.status.setText(f"Deleted {text.bounded(name, 120)}.")
        self.reload()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(self.current_model() is not None)
