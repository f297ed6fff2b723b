"""The Workflows dialog (objectName ``workflowDialog``, Agent › Workflows…):
create, edit, delete and run workflows.

Left, the stored workflows; right, the chosen one's form: name, kind (chain,
hand-off, parallel), its agents (tick the agents, drag to order them), the
synthesis agent (parallel) and how deep hand-offs nest, a description. Below,
a question and Run: the workflow is saved first when changed, then
``sig_run(spec, question)`` asks the window to run it into the chat view
(app/ui/workflow_runs.py) and the dialog closes. Every store call is an op of
app/ops/workflows.py on the store's worker; refusals (an agent that does not
exist, a name taken) show under the form.
"""

from __future__ import annotations

from functools import partial

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain import AgentSpec
from app.domain.validation_text import describe_validation_error
from app.domain.workflow import DEFAULT_MAX_DEPTH, WorkflowSpec
from app.ops import agents as agent_ops
from app.ops import workflows as workflow_ops
from app.services.store_bridge import StoreBridge
from app.store import EXTERNAL, ChangeNotice, DuplicateNameError, NotFoundError
from app.ui.dialogs.async_dialog import AsyncDialog

KIND_LABELS = {"chain": "Chain — each answer is the next agent's input",
               "handoff": "Hand-off — the first agent may ask the others",
               "parallel": "Parallel — all answer, then a synthesis agent merges"}
ID_ROLE = Qt.ItemDataRole.UserRole


class WorkflowDialog(AsyncDialog):
    #: Run this saved workflow on this question (the window does it).
    sig_run = Signal(object, str)

    def __init__(self, bridge: StoreBridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("workflowDialog")
        self.setWindowTitle("Workflows")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 520)
        self.workflows: list[WorkflowSpec] = []
        self.agents: list[AgentSpec] = []
        self.current: WorkflowSpec | None = None
        self._build()
        self.spawn(self._load(), "load")
        bridge.sig_changed.connect(self._on_notice)

    def _on_notice(self, notice: ChangeNotice) -> None:
        """A workflow or agent changed (here, in the CLI, another process):
        list them again, keeping the chosen workflow and a form being edited."""
        if notice.entity in ("workflow", "agent", EXTERNAL) and not self._editing():
            chosen = self.current.id if self.current is not None else None
            self.spawn(self._load(select=chosen), "reload")

    def _editing(self) -> bool:
        """The form holds unsaved changes (a reload would drop them)."""
        if self.current is None:
            return bool(self.name_edit.text().strip())
        spec = self.form_spec(quiet=True)
        return spec is None or spec.portable() != self.current.portable()

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.workflow_list = QListWidget(objectName="workflowList")
        self.workflow_list.currentRowChanged.connect(self._chosen)
        self.new_button = QPushButton("New", objectName="newWorkflowButton")
        self.new_button.clicked.connect(self.new_workflow)
        self.delete_button = QPushButton("Delete", objectName="deleteWorkflowButton")
        self.delete_button.clicked.connect(self._delete)
        left = QVBoxLayout()
        left.addWidget(self.workflow_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        left.addLayout(buttons)

        self.name_edit = QLineEdit(objectName="workflowName")
        self.kind_combo = QComboBox(objectName="workflowKind")
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(label, kind)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.agent_list = QListWidget(objectName="workflowAgents")
        self.agent_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.agent_list.setToolTip("Tick the agents; drag them into order")
        self.synthesis_combo = QComboBox(objectName="workflowSynthesis")
        self.depth_spin = QSpinBox(objectName="workflowMaxDepth")
        self.depth_spin.setRange(1, 8)
        self.depth_spin.setValue(DEFAULT_MAX_DEPTH)
        self.description_edit = QLineEdit(objectName="workflowDescription")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.kind_combo)
        form.addRow("Agents", self.agent_list)
        form.addRow("Synthesis agent", self.synthesis_combo)
        form.addRow("Hand-off depth", self.depth_spin)
        form.addRow("Description", self.description_edit)
        self.problem = QLabel(objectName="workflowProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.save_button = QPushButton("Save", objectName="saveWorkflowButton")
        self.save_button.clicked.connect(lambda: self.spawn(self.save(), "save"))
        right = QVBoxLayout()
        right.addLayout(form, 1)
        right.addWidget(self.problem)
        right.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)

        panes = QHBoxLayout()
        panes.addLayout(left, 1)
        panes.addLayout(right, 2)
        self.question_edit = QLineEdit(objectName="workflowQuestion")
        self.question_edit.setPlaceholderText("Question for the workflow")
        self.run_button = QPushButton("Run", objectName="runWorkflowButton")
        self.run_button.clicked.connect(lambda: self.spawn(self.run_current(), "run"))
        run_row = QHBoxLayout()
        run_row.addWidget(self.question_edit, 1)
        run_row.addWidget(self.run_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(panes, 1)
        outer.addLayout(run_row)
        outer.addWidget(close)
        self._kind_changed()

    # -- loading ----------------------------------------------------------------------
    async def _load(self, select: int | None = None) -> None:
        self.workflows = await self._bridge.run(workflow_ops.list_workflows)
        self.agents = await self._bridge.run(agent_ops.list_agents)
        self.workflow_list.blockSignals(True)
        self.workflow_list.clear()
        for spec in self.workflows:
            item = QListWidgetItem(f"{spec.name}  ({spec.kind})")
            item.setData(ID_ROLE, spec.id)
            self.workflow_list.addItem(item)
        self.workflow_list.blockSignals(False)
        ids = [w.id for w in self.workflows]
        row = ids.index(select) if select in ids else (0 if ids else -1)
        self.workflow_list.setCurrentRow(row)
        if row < 0:
            self.new_workflow()
        else:
            self._chosen(row)

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.workflows):
            self._show(self.workflows[row])

    def new_workflow(self) -> None:
        self.workflow_list.clearSelection()
        self._show(None)
        self.name_edit.setFocus()

    def _show(self, spec: WorkflowSpec | None) -> None:
        self.current = spec
        self.problem.clear()
        self.name_edit.setText(spec.name if spec else "")
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(spec.kind if spec else "chain"))
        chosen = [n.casefold() for n in (spec.agents if spec else [])]
        ordered = sorted(self.agents, key=lambda a: (
            chosen.index(a.name.casefold()) if a.name.casefold() in chosen else len(chosen),
            a.name.casefold()))
        self.agent_list.clear()
        for agent in ordered:
            item = QListWidgetItem(agent.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            item.setCheckState(Qt.CheckState.Checked if agent.name.casefold() in chosen
                               else Qt.CheckState.Unchecked)
            self.agent_list.addItem(item)
        self.synthesis_combo.clear()
        self.synthesis_combo.addItem("(none)", None)
        for agent in self.agents:
            self.synthesis_combo.addItem(agent.name, agent.name)
        if spec is not None and spec.synthesis:
            self.synthesis_combo.setCurrentIndex(
                max(0, self.synthesis_combo.findData(spec.synthesis)))
        self.depth_spin.setValue(spec.max_depth if spec else DEFAULT_MAX_DEPTH)
        self.description_edit.setText(spec.description if spec else "")
        self.delete_button.setEnabled(spec is not None)

    def _kind_changed(self) -> None:
        kind = self.kind_combo.currentData()
        self.synthesis_combo.setEnabled(kind == "parallel")
        self.depth_spin.setEnabled(kind == "handoff")

    # -- the form ---------------------------------------------------------------------
    def checked_agents(self) -> list[str]:
        return [self.agent_list.item(i).text() for i in range(self.agent_list.count())
                if self.agent_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked_agents(self, names: list[str]) -> None:
        """Tick ``names`` in this order (tests and keyboard users)."""
        wanted = [n.casefold() for n in names]
        items = [self.agent_list.takeItem(0) for _ in range(self.agent_list.count())]
        items.sort(key=lambda it: wanted.index(it.text().casefold())
                   if it.text().casefold() in wanted else len(wanted))
        for item in items:
            item.setCheckState(Qt.CheckState.Checked if item.text().casefold() in wanted
                               else Qt.CheckState.Unchecked)
            self.agent_list.addItem(item)

    def form_spec(self, *, quiet: bool = False) -> WorkflowSpec | None:
        """The form as a workflow; None (with the reason shown unless ``quiet``)
        when it is not one."""
        kind = self.kind_combo.currentData()
        values = {"name": self.name_edit.text(), "kind": kind,
                  "agents": self.checked_agents(),
                  "synthesis": self.synthesis_combo.currentData() if kind == "parallel"
                  else None,
                  "max_depth": self.depth_spin.value(),
                  "description": self.description_edit.text()}
        try:
            spec = WorkflowSpec(**values)
        except ValidationError as exc:
            if not quiet:
                self.problem.setText(describe_validation_error(exc, WorkflowSpec))
            return None
        if self.current is not None:
            spec = spec.model_copy(update={"id": self.current.id,
                                           "revision": self.current.revision})
        return spec

    async def save(self) -> WorkflowSpec | None:
        spec = self.form_spec()
        if spec is None:
            return None
        try:
            saved = await self._bridge.run(partial(workflow_ops.save, spec=spec))
        except DuplicateNameError:
            self.problem.setText(f"A workflow named {spec.name!r} already exists.")
            return None
        except (workflow_ops.WorkflowProblem, NotFoundError) as exc:
            self.problem.setText(str(exc))
            return None
        self.problem.setText(f"Saved (revision {saved.revision}).")
        await self._load(select=saved.id)
        return saved

    async def run_current(self) -> None:
        question = self.question_edit.text().strip()
        if not question:
            self.problem.setText("Write a question for the workflow first.")
            return
        saved = await self.save()
        if saved is not None:
            self.sig_run.emit(saved, question)
            self.accept()

    def _delete(self) -> None:
        spec = self.current
        if spec is None or spec.id is None:
            return
        workflow_id = spec.id

        async def delete() -> None:
            await self._bridge.run(partial(workflow_ops.delete, workflow_id=workflow_id))
            await self._load()

        self.confirm("Delete workflow", f"Delete the workflow {spec.name!r}?",
                     lambda: self.spawn(delete(), "delete"), yes_text="Delete",
                     informative="Its runs stay as chats.")
