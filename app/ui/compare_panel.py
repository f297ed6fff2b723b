"""The compare mode's widgets (``comparePanel``): one message to several agents or
models, the answers side by side.

Each column (``compareColumn``) has its pickers on top — an agent
(``compareAgentCombo``) and a model (``compareModelCombo``: the agent's own,
or ``PROVIDER:MODEL`` typed or chosen) —, a chat view of its own
(``compareView``: the chat's ChatView, so the answer streams in with the same
incremental Markdown rendering), its metrics (``compareMetrics``: tokens,
tokens/s, time to first token) and "Continue with this answer"
(``comparePickButton``). Below the columns: the message box
(``compareComposer``), Compare (``compareSendButton``) and Stop
(``compareStopButton``). Above: add/remove a column and Back to chat
(``compareLeaveButton``). Widgets only: app/ui/compare_mode.py runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.compare import MAX_COLUMNS, ColumnOutcome, metrics_text
from app.core.fallback import Attempt
from app.domain import (AgentSpec, Done, Error, RunEvent, Status, TextDelta, ThinkingDelta,
                        ToolCall, ToolResult, Usage)
from app.ui.chat import ChatView
from app.ui.composer import ComposerEdit
from app.ui.plain_text import tooltip

#: The one reply a column's view shows.
REPLY_ID = 1
OWN_MODEL = "Agent's own model"
PLACEHOLDER = "Message every column — Enter to compare, Shift+Enter for a new line"


class CompareColumnView(QFrame):
    """One column: pickers, the streaming answer, its metrics, the pick button."""

    sig_pick = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareColumn")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.agent_combo = QComboBox()
        self.agent_combo.setObjectName("compareAgentCombo")
        self.agent_combo.setAccessibleName("Agent of this column")
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("compareModelCombo")
        self.model_combo.setAccessibleName("Model of this column")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setToolTip("The agent's own model, or PROVIDER:MODEL")
        self.view = ChatView()
        self.view.setObjectName("compareView")
        self.metrics = QLabel()
        self.metrics.setObjectName("compareMetrics")
        self.metrics.setTextFormat(Qt.TextFormat.PlainText)
        self.metrics.setWordWrap(True)
        self.pick_button = QPushButton("Continue with this answer")
        self.pick_button.setObjectName("comparePickButton")
        self.pick_button.setEnabled(False)
        self.pick_button.clicked.connect(self.sig_pick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.agent_combo)
        layout.addWidget(self.model_combo)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.metrics)
        layout.addWidget(self.pick_button)

    # -- pickers ------------------------------------------------------------------------
    def set_agents(self, agents: Sequence[AgentSpec], models: Sequence[str],
                   wanted: int | None) -> None:
        keep = self.agent_id() if wanted is None else wanted
        model_text = self.model_combo.currentText()
        self.agent_combo.clear()
        for agent in agents:
            self.agent_combo.addItem(agent.name, agent.id)
        index = self.agent_combo.findData(keep)
        self.agent_combo.setCurrentIndex(max(index, 0))
        self.model_combo.clear()
        self.model_combo.addItem(OWN_MODEL, None)
        for model in models:
            self.model_combo.addItem(model, model)
        self.model_combo.setCurrentText(model_text or OWN_MODEL)

    def agent_id(self) -> int | None:
        return self.agent_combo.currentData()

    def model_text(self) -> str | None:
        """``PROVIDER:MODEL`` as chosen or typed; None for the agent's own model."""
        text = self.model_combo.currentText().strip()
        return None if not text or text == OWN_MODEL else text

    # -- a run --------------------------------------------------------------------------
    def begin(self, label: str) -> None:
        """A new answer; ``label`` (agent, or agent · model) is the bubble's tooltip
        (the pickers above say it too; a long name in the header would widen it)."""
        self.view.clear()
        widget = self.view.begin_reply(REPLY_ID)
        widget.role_label.setToolTip(tooltip(label))
        # A column's answer is picked, not regenerated or deleted here.
        for button in (getattr(widget, "regenerate_button", None), widget.delete_button):
            if button is not None:
                button.hide()
        self.metrics.clear()
        self.pick_button.setEnabled(False)

    def show_event(self, event: RunEvent | Attempt, outcome: ColumnOutcome) -> None:
        """Draw one event of this column (``outcome``: the column so far)."""
        view = self.view
        match event:
            case Attempt():
                widget = view.message_widget(REPLY_ID)
                if widget is not None and event.outcome == "answered":
                    widget.set_model(event.model, event.provider)
            case Status():
                view.set_reply_state(REPLY_ID, event.state)
            case TextDelta():
                view.append_text(REPLY_ID, event.text)
            case ThinkingDelta():
                view.append_thinking(REPLY_ID, event.text)
            case Usage():
                self.metrics.setText(metrics_text(outcome))
            case Done():
                view.finish_reply(REPLY_ID, "cancelled" if event.stop_reason == "cancelled"
                                  else "complete", outcome.usage(),
                                  meta={"duration_ms": outcome.duration_ms,
                                        "stop_reason": event.stop_reason})
                self._finished(outcome)
            case Error():
                view.flush()
                view.finish_reply(REPLY_ID, "error", outcome.usage(), event.message)
                widget = view.message_widget(REPLY_ID)
                bar = widget.error_bar if widget is not None else None
                if bar is not None:      # a column is compared again, not retried alone
                    bar.retry_button.hide()
                    bar.switch_button.hide()
                self._finished(outcome)
            case ToolCall() | ToolResult():
                pass                       # columns run without tools
            case _:
                assert_never(event)

    def _finished(self, outcome: ColumnOutcome) -> None:
        self.metrics.setText(metrics_text(outcome))
        widget = self.view.message_widget(REPLY_ID)
        if widget is not None:
            widget.footer.hide()     # the metrics line under the column says it all
        self.pick_button.setEnabled(bool(outcome.text))

    def text(self) -> str:
        widget = self.view.message_widget(REPLY_ID)
        return widget.markdown() if widget is not None else ""


class ComparePanel(QWidget):
    sig_compare = Signal(str)
    sig_stop = Signal()
    sig_pick = Signal(int)
    sig_leave = Signal()
    sig_columns_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.columns: list[CompareColumnView] = []
        self._agents: list[AgentSpec] = []
        self._models: list[str] = []
        title = QLabel("Compare: one message, several agents or models")
        title.setObjectName("compareTitle")
        self.add_button = QPushButton("Add column")
        self.add_button.setObjectName("compareAddColumnButton")
        self.remove_button = QPushButton("Remove column")
        self.remove_button.setObjectName("compareRemoveColumnButton")
        self.leave_button = QPushButton("Back to chat")
        self.leave_button.setObjectName("compareLeaveButton")
        top = QHBoxLayout()
        top.addWidget(title, 1)
        for button in (self.add_button, self.remove_button, self.leave_button):
            top.addWidget(button)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("compareColumns")
        self.splitter.setChildrenCollapsible(False)
        self.status = QLabel()
        self.status.setObjectName("compareStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.edit = ComposerEdit()
        self.edit.setObjectName("compareComposer")
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.send_button = QPushButton("Compare")
        self.send_button.setObjectName("compareSendButton")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("compareStopButton")
        self.stop_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.edit, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        bottom.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)
        layout.addLayout(bottom)
        self.add_button.clicked.connect(lambda: self.add_column())
        self.remove_button.clicked.connect(self.remove_column)
        self.leave_button.clicked.connect(self.sig_leave)
        self.send_button.clicked.connect(self.submit)
        self.edit.sig_submit.connect(self.submit)
        self.stop_button.clicked.connect(self.sig_stop)
        for _ in range(2):
            self.add_column()

    def set_agents(self, agents: Sequence[AgentSpec], models: Sequence[str]) -> None:
        """The agents and models the pickers offer; a new panel's columns start
        on different agents where there are enough."""
        self._agents, self._models = list(agents), list(models)
        for index, column in enumerate(self.columns):
            self._fill(column, index)

    def _fill(self, column: CompareColumnView, index: int) -> None:
        wanted = None
        if column.agent_id() is None and self._agents:
            wanted = self._agents[min(index, len(self._agents) - 1)].id
        column.set_agents(self._agents, self._models, wanted)

    def add_column(self) -> CompareColumnView | None:
        if len(self.columns) >= MAX_COLUMNS:
            return None
        column = CompareColumnView()
        column.sig_pick.connect(lambda c=column: self.sig_pick.emit(self.columns.index(c)))
        self.columns.append(column)
        self.splitter.addWidget(column)
        self._fill(column, len(self.columns) - 1)
        self._update_buttons(running=False)
        self.sig_columns_changed.emit()
        return column

    def remove_column(self) -> None:
        if len(self.columns) <= 2:
            return
        column = self.columns.pop()
        column.setParent(None)
        column.deleteLater()
        self._update_buttons(running=False)
        self.sig_columns_changed.emit()

    def choices(self) -> list[tuple[int | None, str | None]]:
        """(agent id, PROVIDER:MODEL or None) of each column."""
        return [(column.agent_id(), column.model_text()) for column in self.columns]

    def submit(self) -> None:
        text = self.edit.toPlainText()
        if text.strip() and self.send_button.isEnabled():
            self.sig_compare.emit(text)

    def begin(self, labels: Sequence[str]) -> None:
        for column, label in zip(self.columns, labels):
            column.begin(label)
        self.status.clear()

    def set_running(self, running: bool) -> None:
        self._update_buttons(running)

    def _update_buttons(self, running: bool) -> None:
        self.send_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.add_button.setEnabled(not running and len(self.columns) < MAX_COLUMNS)
        self.remove_button.setEnabled(not running and len(self.columns) > 2)
        for column in self.columns:
            column.agent_combo.setEnabled(not running)
            column.model_combo.setEnabled(not running)
            if running:
                column.pick_button.setEnabled(False)
