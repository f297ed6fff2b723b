"""Multi-agent workflows (issue 19): chain, hand-off, parallel with synthesis.

``engine.WorkflowRun`` runs one workflow into a conversation through the
agent runner; ``handoff`` has the ``ask_<agent>`` tools (depth limit, loop
guard); ``guard`` keeps the local-only guarantee; ``inputs`` builds what a
step is given. The window and the CLI run workflows through app/ops/workflows.py.
"""

from app.core.workflows.engine import StepFailed, WorkflowDeps, WorkflowRun
from app.core.workflows.guard import WorkflowRefused, check_handoff, check_workflow

__all__ = ["StepFailed", "WorkflowDeps", "WorkflowRefused", "WorkflowRun",
           "check_handoff", "check_workflow"]
