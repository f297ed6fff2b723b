"""The chat's compare mode: the window's centre shows the ComparePanel
(app/ui/compare_panel.py) instead of the chat; a CompareSession
(app/services/compare_session.py) runs the compare.

Entering reads the agents through the store's worker and offers them (and
the model bar's models as ``PROVIDER:MODEL``) in each column's pickers.
Compare builds the columns with ``ops.compare.chosen_columns`` and streams
every column at once; Stop stops them all; a failing column shows its error
while the others go on. "Continue with this answer" keeps the compare
(``ops.compare.keep``: a new conversation of that agent, the other answers as
its other versions), leaves compare mode and shows that conversation, where
the chat goes on as usual. Leaving while a compare runs stops it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.fallback import ProviderSource
from app.ops import agents as agent_ops
from app.ops import compare as compare_ops
from app.services.compare_session import CompareSession
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.store import EXTERNAL, ChangeNotice, NotFoundError
from app.ui.compare_panel import ComparePanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class CompareMode(QObject):
    #: True when compare mode was entered, False when it was left.
    sig_active = Signal(bool)
    #: A pick was kept: (agent id, conversation id).
    sig_kept = Signal(int, int)

    def __init__(self, window: MainWindow, bridge: StoreBridge, settings: AppSettings, *,
                 providers: ProviderSource | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        self.panel = ComparePanel()
        self.session = CompareSession(bridge, settings, providers=providers, parent=self)
        self.active = False
        self.panel.sig_compare.connect(self.compare)
        self.panel.sig_stop.connect(self.session.stop)
        self.panel.sig_pick.connect(self.pick)
        self.panel.sig_leave.connect(lambda: self.set_active(False))
        self.session.sig_started.connect(lambda: self.panel.set_running(True))
        self.session.sig_event.connect(self._on_event)
        self.session.sig_finished.connect(self._finished)
        bridge.sig_changed.connect(self._on_notice)

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        if active:
            self._bridge.spawn(self._load_agents(), name="compare agents")
        elif self.session.running:
            self.session.stop()
        self.sig_active.emit(active)

    def _on_notice(self, notice: ChangeNotice) -> None:
        """Agents added, renamed or deleted (here or elsewhere) reach the pickers."""
        if self.active and notice.entity in ("agent", EXTERNAL):
            self._bridge.spawn(self._load_agents(), name="compare agents")

    async def _load_agents(self) -> None:
        found = await self._bridge.run(agent_ops.list_agents)
        bar = self._window.model_bar
        spec = bar.spec
        provider = spec.provider if spec is not None else ""
        models = [f"{provider}:{model}" for model in bar.model_ids() if provider and model]
        self.panel.set_agents(found, models)

    def compare(self, message: str) -> None:
        if self.session.running:
            return
        self._bridge.spawn(self._start(message), name="compare start")

    async def _start(self, message: str) -> None:
        try:
            columns = await self._bridge.run(partial(compare_ops.chosen_columns,
                                                     choices=self.panel.choices()))
        except (compare_ops.CompareError, NotFoundError) as exc:
            self.panel.status.setText(str(exc))
            return
        self.panel.begin([column.label for column in columns])
        self.panel.set_running(True)
        self.session.start(columns, message)

    def _on_event(self, column: int, event: object) -> None:
        outcomes = self.session.outcomes
        if column < len(self.panel.columns) and column < len(outcomes):
            self.panel.columns[column].show_event(event, outcomes[column])  # type: ignore[arg-type]

    def _finished(self) -> None:
        self.panel.set_running(False)
        for column, outcome in zip(self.panel.columns, self.session.outcomes):
            column.pick_button.setEnabled(outcome.finished and bool(outcome.text))
        failed = sum(1 for o in self.session.outcomes if o.status == "error")
        if failed:
            self.panel.status.setText(f"{failed} of {len(self.session.outcomes)} columns "
                                      "failed; the others answered.")

    def pick(self, column: int) -> None:
        self._bridge.spawn(self._keep(column), name="compare keep")

    async def _keep(self, column: int) -> None:
        try:
            kept = await self.session.keep(column)
        except (compare_ops.CompareError, NotFoundError) as exc:
            self.panel.status.setText(str(exc))
            return
        self.panel.edit.clear()
        self.set_active(False)
        agent_id, conversation_id = kept.agent.id or 0, kept.conversation.id or 0
        self._window.open_conversation(agent_id, conversation_id)
        self.sig_kept.emit(agent_id, conversation_id)
