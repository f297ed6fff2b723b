"""Workflow files: a workflow and the agents it names, as portable JSON.

``{"format": "agentdesk.workflow", "version": 1, "workflow": {...},
"agents": [<agent file documents>]}``. Importing creates the workflow under a
free name and only the agents not already here (by name), each through the
agent file's own checks (app/core/export/agent_file.py: untrusted, no
workspace, no loosened tool policies).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.export.file_header import check_header
from app.core.export.agent_file import AgentFileError, agent_document, parse_agent_document
from app.domain import AgentSpec
from app.domain.validation_text import describe_validation_error
from app.domain.workflow import WorkflowSpec

FORMAT = "agentdesk.workflow"
VERSION = 1
MAX_FILE_BYTES = 4_000_000
_IDENTITY_FIELDS = ("id", "revision", "created_at", "updated_at")


class WorkflowFileError(ValueError):
    """The file is not a readable workflow file; the message says why."""


def workflow_document(spec: WorkflowSpec, agents: Sequence[AgentSpec]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "workflow": spec.portable(),
            "agents": [agent_document(agent) for agent in agents]}


def workflow_json(spec: WorkflowSpec, agents: Sequence[AgentSpec]) -> str:
    return json.dumps(workflow_document(spec, agents), ensure_ascii=False, indent=2) + "\n"


def parse_workflow_document(data: Any, source: str
                            ) -> tuple[WorkflowSpec, list[AgentSpec]]:
    """The workflow and its agents; WorkflowFileError saying what is wrong."""
    data = check_header(data, source, fmt=FORMAT, latest=VERSION, kind="workflow",
                        error=WorkflowFileError)
    body = data.get("workflow")
    if not isinstance(body, dict):
        raise WorkflowFileError(f"{source} has no 'workflow' object")
    try:
        spec = WorkflowSpec.model_validate(
            {k: v for k, v in body.items() if k not in _IDENTITY_FIELDS})
    except ValidationError as exc:
        raise WorkflowFileError(f"invalid workflow in {source}: "
                                f"{describe_validation_error(exc, WorkflowSpec)}") from None
    documents = data.get("agents", [])
    if not isinstance(documents, list):
        raise WorkflowFileError(f"{source}: 'agents' is not a list")
    try:
        agents = [parse_agent_document(doc, f"{source} (agent {n})")
                  for n, doc in enumerate(documents, start=1)]
    except AgentFileError as exc:
        raise WorkflowFileError(str(exc)) from None
    return spec, agents


def read_workflow_file(path: Path) -> tuple[WorkflowSpec, list[AgentSpec]]:
    """Read bounded (never more than ``MAX_FILE_BYTES``) and parse."""
    try:
        text = read_bounded(path, MAX_FILE_BYTES)
    except BoundedReadError as exc:
        if exc.problem == "too_large":
            raise WorkflowFileError(f"{path} is too large to be a workflow file") from None
        raise WorkflowFileError(f"cannot read {path}: {exc.reason or exc.detail}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowFileError(f"{path} is not valid JSON: {exc.msg} "
                                f"(line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:   # a nesting bomb ("[[[[…"): json gives up, not a ValueError
        raise WorkflowFileError(f"{path} is nested too deeply to be a workflow file") from None
    return parse_workflow_document(data, str(path))
