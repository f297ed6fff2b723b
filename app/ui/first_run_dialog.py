"""The first-run offer in the window (objectName ``firstRunOffer``).

Shown once the window is up (``offer_first_run``) when no agent chats yet and
the person has not said "Not now" (app/ops/first_run.py): one button per model
server found here ("Chat with <model>"), else one button that downloads the
recommended model for this computer with its size, plus what the built-in
base model is. Nothing is created or downloaded before a click.

The download runs in the app's download manager (``ManagerSource``: the Model
Library's, so it shows there too) as a task of the StoreBridge, not of the
dialog: closing the dialog does not stop it, and the agent is still created
when the verified file is in place (the dialog is hidden, not deleted).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
    QWidget)

from app.core.first_run_offer import FirstRunOffer, ServerOffer, size_text
from app.core.models.download_errors import DownloadError
from app.core.models.downloads import DownloadManager
from app.domain import AgentSpec
from app.domain.model_library import DownloadProgress
from app.ops import first_run as ops
from app.ops import model_downloads
from app.ops import providers as provider_ops
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.ui.plain_text import plain_label

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

ManagerSource = Callable[[], Awaitable[DownloadManager]]


class FirstRunDialog(QDialog):
    #: An AgentSpec: the agent made from the offer (the window selects it).
    sig_agent_created = Signal(object)

    def __init__(self, bridge: StoreBridge, settings: AppSettings, offer: FirstRunOffer,
                 manager_source: ManagerSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunOffer")
        self.setWindowTitle("Choose a model to chat with")
        self._bridge = bridge
        self._settings = settings
        self._manager_source = manager_source
        self.offer = offer
        self.working = False   # tests wait on this
        self.download_button: QPushButton | None = None
        self.server_buttons: list[QPushButton] = []
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        heading = self._text("Choose a model to chat with", "firstRunHeading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        self._add_servers(layout)
        self._add_download(layout)
        if offer.empty:
            layout.addWidget(self._text(
                "No Ollama or LM Studio server answered on this computer, and no catalogue "
                "model fits its memory and free disk. Add a provider in Settings, or look in "
                "the Model Library.", "nothingOffered"))
        if offer.bundled_note:
            layout.addWidget(self._text(offer.bundled_note, "bundledNote"))
        self.status = self._text("", "firstRunStatus")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(self)
        self.not_now = buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.not_now.setObjectName("notNow")
        self.not_now.clicked.connect(self._not_now)
        layout.addWidget(buttons)

    # -- building --------------------------------------------------------------------------
    def _text(self, text: str, name: str) -> QLabel:
        label = plain_label(QLabel(text, self))   # model names come from servers/catalogue
        label.setObjectName(name)
        label.setWordWrap(True)
        return label

    def _add_servers(self, layout: QVBoxLayout) -> None:
        for offer in self.offer.servers:
            count = f"{offer.model_count} model" + ("" if offer.model_count == 1 else "s")
            if offer.model is None:
                layout.addWidget(self._text(
                    f"{offer.server_name} is running on this computer ({count}) but has no "
                    "chat model yet.", f"server_{offer.server.kind}"))
                continue
            layout.addWidget(self._text(
                f"{offer.server_name} is running on this computer ({count}).",
                f"server_{offer.server.kind}"))
            button = QPushButton(f"Chat with {offer.model.display_name or offer.model.id}",
                                 self)
            button.setObjectName(f"useServer_{offer.server.kind}")
            button.clicked.connect(lambda _=False, o=offer: self._use_server(o))
            self.server_buttons.append(button)
            layout.addWidget(button)

    def _add_download(self, layout: QVBoxLayout) -> None:
        download = self.offer.download
        if download is None:
            return
        entry = download.entry
        size = size_text(download.size_bytes)
        layout.addWidget(self._text(
            f"Recommended for this computer: {entry.name} ({size} download, runs without "
            f"a server). {entry.good_for}".strip(), "recommendedModel"))
        row = QHBoxLayout()
        label = "Use it (downloaded)" if download.installed else f"Download ({size})"
        self.download_button = QPushButton(label, self)
        self.download_button.setObjectName("downloadRecommended")
        self.download_button.clicked.connect(self._download)
        row.addWidget(self.download_button)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("downloadProgress")
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        row.addWidget(self.progress, 1)
        layout.addLayout(row)

    # -- actions ---------------------------------------------------------------------------
    def _set_working(self, working: bool) -> None:
        self.working = working
        for button in [*self.server_buttons, self.download_button]:
            if button is not None:
                button.setEnabled(not working)

    def _use_server(self, offer: ServerOffer) -> None:
        self._set_working(True)
        self.status.setText(f"Creating an agent on {offer.server_name}…")
        self._bridge.spawn(self._create(lambda s: ops.accept_server(s, offer)),
                           name="first-run-server")

    def _download(self) -> None:
        self._set_working(True)
        self._bridge.spawn(self._download_then_create(), name="first-run-download")

    async def _download_then_create(self) -> None:
        download = self.offer.download
        assert download is not None
        entry = download.entry
        if not download.installed:
            self.progress.setVisible(True)
            self.status.setText(f"Downloading {entry.name}…")
            try:
                manager = await self._manager_source()
                finals = await ops.download(manager, entry, self._on_progress)
            except DownloadError as exc:
                self._failed(str(exc))
                return
            failed = [p for p in finals if p.state != "done"]
            if failed:
                self._failed(failed[0].error or f"the download was {failed[0].state}")
                return
            self.progress.setValue(self.progress.maximum())
        await self._create(lambda s: ops.accept_download(s, self._settings, entry))

    async def _create(self, work: Callable) -> None:
        try:
            _provider, agent = await self._bridge.run(work)
        except ops.FirstRunError as exc:
            self._failed(str(exc))
            return
        self.status.setText(f"Ready: the agent “{agent.name}” is in your agent list.")
        self.working = False
        self.not_now.setText("Close")
        self.sig_agent_created.emit(agent)
        self.accept()

    def _on_progress(self, progress: DownloadProgress) -> None:
        if progress.total:
            self.progress.setValue(int(1000 * progress.received / progress.total))
        self.status.setText(model_downloads.describe(progress))

    def _failed(self, reason: str) -> None:
        self.status.setText(f"Could not set it up: {reason}")
        self._set_working(False)
        if self.download_button is not None:
            self.download_button.setText("Try again")

    def _not_now(self) -> None:
        """Remember the answer unless something is under way (then only hide)."""
        if not self.working:
            try:
                ops.dismiss(self._settings)
            except OSError as exc:
                log.warning("could not remember the first-run answer: %s", exc)
        self.reject()


async def offer_first_run(window: MainWindow, bridge: StoreBridge, settings: AppSettings,
                          manager_source: ManagerSource,
                          on_agent: Callable[[AgentSpec], None] | None = None,
                          **find_options) -> FirstRunDialog | None:
    """Show the offer over ``window`` when it applies (see the module docstring)."""
    if not await bridge.run(partial(ops.wants_offer, settings=settings)):
        return None
    providers = await bridge.run(provider_ops.list_providers)
    offer = await ops.find_offer(settings, providers, **find_options)
    dialog = FirstRunDialog(bridge, settings, offer, manager_source, window)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    # Beside the window, not in front of the person's typing.
    dialog.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    if on_agent is not None:
        dialog.sig_agent_created.connect(on_agent)
    dialog.show()
    return dialog


def select_created_agent(window: MainWindow, agent: AgentSpec) -> None:
    """Make the new agent current in the window's list, now or once the list
    has reloaded (it learns of the agent from the store's change notice)."""
    if agent.id is None or window.select_agent(agent.id):
        return
    model = window.agent_list.model()

    def listed(*_args: object) -> None:
        if window.select_agent(agent.id):
            model.rowsInserted.disconnect(listed)
            model.modelReset.disconnect(listed)

    model.rowsInserted.connect(listed)
    model.modelReset.connect(listed)
