"""The agent editor (``agentDialog``): every field of an agent, its tools and
their policies, what it remembers (Memory tab), the files it answers from
(Knowledge tab, app/ui/dialogs/knowledge_page.py), fallbacks, local-only, a
preset picker and the history.

Open it with ``open()``. Loading (providers, models, tools, history), the
unique-name check and saving run as tasks on the store's worker thread /
the network; OK stays disabled while a field is invalid or a check is
pending. ``sig_saved(AgentSpec)`` carries the stored agent (also after a
revision was restored); the main window selects it.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.presets import apply_preset
from app.core.wording import plural
from app.domain import AgentSpec, ConnectionReport, ProviderConfig
from app.services.agent_service import AgentService
from app.services.knowledge_service import KnowledgeService
from app.services.provider_service import ProviderService
from app.services.store_bridge import StoreBridge
from app.services.tool_service import ToolEntry, ToolService
from app.store import DuplicateNameError, StoreError
from app.ui.dialogs import validation
from app.ui.dialogs.agent_form import AgentForm
from app.ui.dialogs.agent_history import AgentHistory
from app.ui.dialogs.agent_pages import AgentRoutingPage, AgentToolsPage
from app.ui.dialogs.async_dialog import AsyncDialog
from app.ui.dialogs.generation_editor import GenerationEditor
from app.ui.dialogs.knowledge_page import KnowledgePage
from app.ui.dialogs.memory_editor import MemoryEditor
from app.ui.dialogs.name_check import NameCheck
from app.ui.dialogs.widgets import FieldMessage
from app.ui.file_dialogs import file_dialog

log = logging.getLogger(__name__)


def report_sentence(report: ConnectionReport) -> str:
    """A failed provider's message and fix as sentences."""
    def sentence(text: str) -> str:
        text = text.strip()
        if not text:
            return ""
        text = text[0].upper() + text[1:]
        return text if text[-1] in ".!?" else text + "."

    return " ".join(part for part in (sentence(report.message), sentence(report.fix))
                    if part)


class AgentDialog(AsyncDialog):
    #: The agent as stored after Save (or after restoring a revision).
    sig_saved = Signal(object)

    def __init__(self, bridge: StoreBridge, spec: AgentSpec | None = None, *,
                 default_provider: str = "", default_model: str = "",
                 providers: ProviderService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent)
        self.setObjectName("agentDialog")
        self._spec = spec
        self._default_provider = default_provider
        self._agents = AgentService(bridge)
        self._providers = providers or ProviderService(bridge)
        self._tools_service = ToolService(bridge)
        self._configs: list[ProviderConfig] = []
        self._tool_entries: list[ToolEntry] = []
        self._loaded = False
        self._saving = False
        self._knowledge_followed = False
        self.name_check = NameCheck(
            lambda name: self._agents.name_taken(name, self._spec.id if self._spec else None),
            lambda: self.form.name.text().strip(), self.spawn,
            checked=spec.name if spec else "", parent=self)
        self.setWindowTitle(f"Edit Agent — {spec.name}" if spec else "New Agent")
        self.setMinimumSize(640, 560)

        self._build()
        initial = spec or AgentSpec(name="Agent", provider=default_provider,
                                    model=default_model)
        self._initial = initial
        self._show_spec(initial)
        if spec is None:
            self.form.name.clear()
        self._wire()
        self._validate()
        self.spawn(self._load(), "load")

    # -- construction ------------------------------------------------------------------
    def _show_spec(self, spec: AgentSpec) -> None:
        """Show ``spec``'s fields outside the tools list (set when they are loaded)."""
        self.form.set_spec(spec)
        self.local_only.setChecked(spec.local_only)
        self.fallbacks.set_entries(spec.fallbacks)
        self.workspace.setText(spec.workspace or "")
        self.python_unisolated.setChecked(spec.python_unisolated)
        self.generation.set_settings(spec.generation)

    def _build(self) -> None:
        self.form = AgentForm()
        self.form.show_preset_picker(self._spec is None)

        tools_page = AgentToolsPage()
        self.tools = tools_page.tools
        self.workspace = tools_page.workspace
        self.workspace_button = tools_page.workspace_button
        self.python_unisolated = tools_page.python_unisolated
        self.api_tools_note = tools_page.api_note
        routing_page = AgentRoutingPage()
        self.local_only = routing_page.local_only
        self.local_only_note = routing_page.local_only_note
        self.fallbacks = routing_page.fallbacks
        self.fallback_message = routing_page.fallback_message

        self.tabs = QTabWidget()
        self.tabs.setObjectName("agentTabs")
        self.tabs.addTab(self.form, "General")
        self.tabs.addTab(tools_page, "Tools")
        # Parented even when not shown: a parentless widget would be freed by
        # the garbage collector, possibly off the GUI thread.
        saved_id = self._spec.id if self._spec is not None else None
        self.memory = MemoryEditor(self._bridge, saved_id, self.spawn, self)
        self.tabs.addTab(routing_page, "Routing")
        self.generation = GenerationEditor()
        self.tabs.addTab(self.generation, "Generation")
        self.history = AgentHistory(self)
        self.knowledge = KnowledgePage(KnowledgeService.for_bridge(self._bridge), self.spawn,
                                       self)
        if self._spec is not None:
            self.tabs.insertTab(2, self.memory, "Memory")   # facts need a saved agent
            self.tabs.insertTab(3, self.knowledge, "Knowledge")
            self.tabs.addTab(self.history, "History")
        else:
            self.memory.hide()
            self.knowledge.hide()
            self.history.hide()

        self.error = FieldMessage("agentDialogError")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("agentSaveButton")
        self.ok_button.setText("Create" if self._spec is None else "Save")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _wire(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.python_unisolated.clicked.connect(self._unisolated_clicked)
        self.form.sig_changed.connect(self._validate)
        self.form.name.textChanged.connect(self._name_changed)
        self.name_check.sig_checked.connect(self._validate)
        self.form.sig_provider_chosen.connect(self._provider_chosen)
        self.form.sig_preset_chosen.connect(self._apply_preset)
        self.fallbacks.sig_changed.connect(self._validate)
        self.generation.sig_changed.connect(self._validate)
        self.fallbacks.sig_provider_chosen.connect(
            lambda name: self.spawn(self._load_models(name, fallback=True), "models"))
        self.local_only.toggled.connect(self._local_only_toggled)
        self.workspace_button.clicked.connect(self._choose_workspace)
        self.history.sig_restore_requested.connect(self._confirm_restore)
        self._local_only_toggled(self.local_only.isChecked())

    # -- loading -----------------------------------------------------------------------------
    async def _load(self) -> None:
        self._configs = await self._providers.list()
        current = self._initial
        self.form.provider.set_providers(self._configs, current.provider)
        self.generation.follow(self.form.provider, self._default_provider)
        self.fallbacks.set_providers(self._configs)
        self._local_only_toggled(self.local_only.isChecked())
        self._tool_entries = entries = await self._tools_service.available()
        self.tools.set_tools(entries, current.tools, current.tool_policies,
                             current.api_tools)
        self.tools.sig_changed.connect(self._validate)
        self.tools.sig_changed.connect(self._memory_tool_note)
        self._memory_tool_note()
        if self._spec is not None and self._spec.id is not None:
            self.knowledge.set_agent(self._spec, self._configs)
            self._bridge.sig_changed.connect(self.knowledge.on_notice)
            self._knowledge_followed = True
            self.history.set_entries(await self._agents.history(self._spec.id))
        self._loaded = True
        self._validate()
        await self._load_models(self.form.provider.current_name())

    def _provider_chosen(self, name: str) -> None:
        if self._loaded:
            self.spawn(self._load_models(name), "models")

    async def _load_models(self, provider: str, *, fallback: bool = False) -> None:
        name = provider or self._default_provider
        combo = self.fallbacks.model if fallback else self.form.model
        if not name:
            combo.set_models([])
            if not fallback:
                self.form.model_status.setText("No default provider is set.")
            return
        if not fallback:
            self.form.model_status.setText("Looking for models…")
        models, problem = await self._providers.models(name)
        combo.set_models(models)
        if fallback:
            return
        if problem is not None:
            self.form.model_status.setText(report_sentence(problem))
        else:
            self.form.model_status.setText(
                f"{plural(len(models), 'model')} on {name}; "
                "“auto” picks local or cloud per request.")

    def _memory_tool_note(self) -> None:
        self.memory.set_tool_enabled("memory" in self.tools.selected_tools())

    def done(self, result: int) -> None:  # noqa: D401 (Qt override)
        self.memory.stop()
        if self._knowledge_followed:
            self._knowledge_followed = False
            self._bridge.sig_changed.disconnect(self.knowledge.on_notice)
        super().done(result)

    # -- presets, local only, workspace ---------------------------------------------------------
    def _apply_preset(self, preset: str) -> None:
        typed = self.form.name.text().strip()
        spec = apply_preset(preset, self.form.provider.current_name(),
                            self.form.model.model_id(), agent_name=typed or None)
        self.form.set_spec(spec, keep_name=bool(typed), keep_provider=True)
        if self._loaded:
            self.tools.set_tools(self._tool_entries, spec.tools, spec.tool_policies)
        self._validate()

    def _unisolated_clicked(self, on: bool) -> None:
        """Turning "run without isolation" on takes a confirmation that says
        what it means; turning it off does not."""
        if not on:
            return
        self.python_unisolated.setChecked(False)
        from app.core.tools.python_exec import unisolated_warning

        self.confirm("Run Python without isolation?",
                     "Python code from the model could then run without a sandbox.",
                     lambda: self.python_unisolated.setChecked(True),
                     yes_text="Run without isolation", informative=unisolated_warning())

    def _local_only_toggled(self, on: bool) -> None:
        self.local_only_note.setVisible(on)
        self.form.provider.set_local_only(on)
        self.fallbacks.set_local_only(on)
        self._validate()

    def _choose_workspace(self) -> None:
        picker = file_dialog(self, "Workspace folder", self.workspace.text())
        picker.setObjectName("workspacePicker")
        picker.setFileMode(QFileDialog.FileMode.Directory)
        picker.setOption(QFileDialog.Option.ShowDirsOnly, True)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(self.workspace.setText)
        picker.open()

    # -- validation -----------------------------------------------------------------------------
    def _name_changed(self, _text: str = "") -> None:
        self.name_check.schedule()
        self._validate()

    def name_checked(self) -> bool:
        """True once the uniqueness check of the name as typed now has finished."""
        return self.name_check.done()

    def problems(self) -> dict[str, str]:
        """Field -> message, for every invalid field (empty when all is fine)."""
        values = self.form.values()
        found: dict[str, str | None] = {
            "name": validation.name_problem(values["name"], taken=self.name_check.taken),
            "temperature": validation.temperature_problem(values["temperature"]),
            "max_tokens": validation.max_tokens_problem(values["max_tokens"]),
            "fallbacks": validation.fallback_problem(self.fallbacks.entries()),
            "provider": None, **self.generation.problems(),
        }
        if self.local_only.isChecked():
            if self.form.provider.is_cloud(values["provider"]):
                found["provider"] = (f"{values['provider']} is a cloud provider; "
                                     "choose a local one or turn off Local only.")
            cloud = [p for p, _m in self.fallbacks.entries()
                     if self.form.provider.is_cloud(p)]
            if cloud and not found["fallbacks"]:
                found["fallbacks"] = (f"Fallback to cloud provider {cloud[0]} is not "
                                      "allowed for a local-only agent.")
        return {key: message for key, message in found.items() if message}

    def _validate(self, *_args: object) -> None:
        if not hasattr(self, "ok_button"):
            return
        problems = self.problems()
        name_empty = not self.form.name.text().strip()
        # An empty name of a brand-new agent is not an error yet, only unfinished.
        show_name = problems.get("name") if (self.form.name.isModified() or
                                             not name_empty) else None
        self.form.name_message.show_problem(show_name)
        self.form.temperature_message.show_problem(problems.get("temperature"))
        self.form.max_tokens_message.show_problem(problems.get("max_tokens"))
        self.form.provider_message.show_problem(problems.get("provider"))
        self.fallback_message.show_problem(problems.get("fallbacks"))
        self.generation.show_problems()
        checked = self.name_checked()
        self.ok_button.setEnabled(self._loaded and not problems and not self._saving
                                  and checked)

    # -- saving -------------------------------------------------------------------------------
    def build_spec(self) -> AgentSpec:
        values = self.form.values()
        base = {"id": None, "revision": 0}
        if self._spec is not None:
            base = {"id": self._spec.id, "revision": self._spec.revision,
                    "created_at": self._spec.created_at}
        return AgentSpec(**base, **values, tools=self.tools.selected_tools(),
                         tool_policies=self.tools.policies(),
                         api_tools=self.tools.api_tools(),
                         fallbacks=self.fallbacks.targets(),
                         local_only=self.local_only.isChecked(),
                         workspace=self.workspace.text().strip() or None,
                         python_unisolated=self.python_unisolated.isChecked(),
                         generation=self.generation.settings())

    def accept(self) -> None:
        """OK saves first; the dialog closes once the agent is stored."""
        if not self.ok_button.isEnabled():
            return
        try:
            spec = self.build_spec()
        except ValidationError as exc:
            self.error.show_problem(f"Cannot save: {exc.errors()[0]['msg']}")
            return
        self._saving = True
        self._validate()
        self.spawn(self._save(spec), "save")

    async def _save(self, spec: AgentSpec) -> None:
        try:
            saved = await self._agents.save(spec)
        except DuplicateNameError:
            self.name_check.known(spec.name, taken=True)
            self.form.name.setModified(True)
            self.tabs.setCurrentWidget(self.form)
            return
        except StoreError as exc:
            self.error.show_problem(f"Cannot save: {exc}")
            return
        finally:
            self._saving = False
            self._validate()
        log.info("agent %s saved (revision %s)", saved.id, saved.revision)
        self._spec = saved
        self.sig_saved.emit(saved)
        super().accept()

    # -- history ----------------------------------------------------------------------------------
    def _confirm_restore(self, revision: int) -> None:
        self.confirm("Restore revision",
                     f"Restore revision {revision} of “{self._spec.name}”?",
                     lambda: self.spawn(self._restore(revision), "restore"),
                     yes_text="Restore",
                     informative="The current settings stay in the history.")

    async def _restore(self, revision: int) -> None:
        restored = await self._agents.restore(self._spec.id, revision)
        self._spec = restored
        self._show_spec(restored)
        self.tools.set_tools(self._tool_entries, restored.tools, restored.tool_policies,
                             restored.api_tools)
        self.history.set_entries(await self._agents.history(restored.id))
        self.name_check.known(restored.name)
        self._validate()
        self.sig_saved.emit(restored)
