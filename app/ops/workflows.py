"""Workflows (issue 19): look-ups, create / save (revisions), delete, history and
restore, export and import, and running one — for the CLI (``agentdesk
workflows``) and the window (Workflows dialog, a run into the chat view).

A run is two calls: ``prepare_run`` (on the store: reads the agents and
providers, refuses a workflow that would break the local-only guarantee or
names an agent that is gone, then starts the run's conversation) and
``run`` (async, on an ``AsyncStore``: the engine's events). Every op takes
the store first and raises the store's typed errors, ``WorkflowProblem``
(what to fix, for a person) or ``WorkflowRefused`` (the local-only guarantee).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.fallback import ProviderSource
from app.core.recorder import NO_HOOKS, RecordingHooks
from app.core.export.agent_file import free_name
from app.core.tools.base import Approver, deny_all
from app.core.workflows import WorkflowDeps, WorkflowRefused, WorkflowRun, check_workflow
from app.core.workflows.workflow_file import read_workflow_file, workflow_json
from app.domain import AgentSpec, Conversation, ProviderConfig
from app.domain.workflow import WorkflowEvent, WorkflowRevision, WorkflowSpec
from app.ops.chats import title_for_new_chat
from app.ops.exchange import import_agent, write_text
from app.settings import AppSettings
from app.store import AsyncStore, NotFoundError, Store

__all__ = ["ImportedWorkflow", "PreparedRun", "WorkflowProblem", "WorkflowRefused",
           "create", "delete", "export_text", "export_workflow", "find", "get", "history",
           "import_workflow", "list_workflows", "missing_agents", "prepare_run",
           "restore", "run", "save", "update"]


class WorkflowProblem(ValueError):
    """The workflow cannot be saved or run as it is; the message says why."""


# -- look-ups -----------------------------------------------------------------------
def list_workflows(store: Store) -> list[WorkflowSpec]:
    return store.workflows.list()


def get(store: Store, workflow_id: int) -> WorkflowSpec:
    return store.workflows.get(workflow_id)


def find(store: Store, key: str) -> WorkflowSpec | None:
    """A workflow by name (case-insensitive) or, failing that, by numeric id."""
    found = store.workflows.find_by_name(key)
    if found is None and key.strip().isdigit():
        try:
            found = store.workflows.get(int(key))
        except NotFoundError:
            return None
    return found


def missing_agents(store: Store, spec: WorkflowSpec) -> list[str]:
    """The agents the workflow names that do not exist (any more)."""
    return [name for name in spec.agent_names() if store.agents.find_by_name(name) is None]


def _agents_of(store: Store, spec: WorkflowSpec) -> list[AgentSpec]:
    missing = missing_agents(store, spec)
    if missing:
        raise WorkflowProblem(f"workflow {spec.name!r} names agents that do not exist: "
                              + ", ".join(repr(n) for n in missing))
    return [store.agents.get_by_name(name) for name in spec.agent_names()]


def _in_step_order(spec: WorkflowSpec, agents: Sequence[AgentSpec]) -> list[AgentSpec]:
    """The agents of ``spec.agents`` in order, then the synthesis agent."""
    by_name = {a.name.casefold(): a for a in agents}
    names = [*spec.agents, *([spec.synthesis] if spec.synthesis else [])]
    return [by_name[name.casefold()] for name in names]


# -- writing ------------------------------------------------------------------------
def create(store: Store, spec: WorkflowSpec) -> WorkflowSpec:
    """A new workflow (every agent it names must exist); DuplicateNameError."""
    _agents_of(store, spec)
    return store.workflows.create(spec)


def update(store: Store, spec: WorkflowSpec) -> WorkflowSpec:
    """Save a changed workflow as a new revision (unchanged: left alone)."""
    _agents_of(store, spec)
    return store.workflows.update(spec)


def save(store: Store, spec: WorkflowSpec) -> WorkflowSpec:
    return create(store, spec) if spec.id is None else update(store, spec)


def delete(store: Store, workflow_id: int) -> WorkflowSpec:
    """Delete a workflow (its revisions go too; runs stay as conversations)."""
    gone = store.workflows.get(workflow_id)
    store.workflows.delete(workflow_id)
    return gone


def history(store: Store, workflow_id: int) -> list[WorkflowRevision]:
    return store.workflows.revisions(workflow_id)


def restore(store: Store, workflow_id: int, revision: int) -> WorkflowSpec:
    return store.workflows.restore_revision(workflow_id, revision)


# -- files ----------------------------------------------------------------------------
def export_text(store: Store, spec: WorkflowSpec) -> str:
    """The workflow file's text: the workflow and the agents it names that exist."""
    agents = [a for name in spec.agent_names()
              if (a := store.agents.find_by_name(name)) is not None]
    return workflow_json(spec, agents)


def export_workflow(store: Store, spec: WorkflowSpec, path: Path) -> Path:
    """Write the workflow file to ``path`` (atomically)."""
    path = Path(path).expanduser()
    write_text(path, export_text(store, spec))
    return path


@dataclass(frozen=True)
class ImportedWorkflow:
    workflow: WorkflowSpec
    requested_name: str
    #: Agents created from the file (those not already here, by name).
    created_agents: list[str]
    #: Providers those agents name that are not configured here.
    missing_providers: list[str]


def import_workflow(store: Store, path: Path) -> ImportedWorkflow:
    """Create the file's workflow under a free name ("Review (2)" when taken)
    and the agents it brings that are not here yet. WorkflowFileError for a
    file that is not a valid workflow file, WorkflowProblem for one naming
    agents that neither it brings nor exist here (nothing written either way)."""
    spec, agents = read_workflow_file(Path(path).expanduser())
    created: list[str] = []
    missing: set[str] = set()
    with store.db.atomic():
        for agent in agents:
            if store.agents.find_by_name(agent.name) is None:
                imported = import_agent(store, agent)
                created.append(imported.agent.name)
                missing.update(imported.missing_providers)
        name = _free_name(store, spec.name)
        workflow = create(store, spec.model_copy(update={"name": name}))
    return ImportedWorkflow(workflow, spec.name, created, sorted(missing))


def _free_name(store: Store, name: str) -> str:
    try:
        return free_name(name, lambda n: store.workflows.find_by_name(n) is not None,
                         "workflows")
    except ValueError as exc:
        raise WorkflowProblem(str(exc)) from None


# -- running --------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedRun:
    """A run checked and ready: its workflow, agents (step order), providers
    and the conversation it writes into."""

    spec: WorkflowSpec
    agents: list[AgentSpec]
    configs: list[ProviderConfig]
    conversation: Conversation
    question: str


def prepare_run(store: Store, spec: WorkflowSpec, question: str) -> PreparedRun:
    """Check the workflow (agents exist, local-only guarantee: WorkflowRefused
    naming the agents) and start its conversation: owned by the first agent,
    origin ``workflow``, titled "<workflow>: <question>"."""
    if not question.strip():
        raise WorkflowProblem("the question is empty")
    agents = _agents_of(store, spec)
    configs = store.providers.list()
    check_workflow(spec, _in_step_order(spec, agents), configs)
    owner = store.agents.get_by_name(spec.agents[0])
    assert owner.id is not None
    title = title_for_new_chat(f"{spec.name}: {question}")
    conversation = store.conversations.create(owner.id, title, origin="workflow")
    return PreparedRun(spec, agents, configs, conversation, question)


def run(store: AsyncStore, settings: AppSettings, prepared: PreparedRun, *,
        providers: ProviderSource | None = None, approver: Approver = deny_all,
        hooks: RecordingHooks = NO_HOOKS) -> AsyncIterator[WorkflowEvent]:
    """The run's events (StepStart, StepEvent, StepEnd, then one WorkflowEnd).
    Close the iterator (or cancel its consumer) to stop every running step.
    ``hooks``: told of each message written (the window draws from them)."""
    assert prepared.conversation.id is not None
    engine = WorkflowRun(WorkflowDeps(store, settings, providers=providers,
                                      approver=approver, hooks=hooks),
                         prepared.spec, prepared.agents, prepared.configs,
                         prepared.conversation.id, prepared.question)
    return engine.events()
