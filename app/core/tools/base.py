"""The tool protocol: what every tool (built-in, custom, MCP) offers the runner.

A tool has a name, a description, a JSON schema for its arguments, an approval
policy (``auto`` runs at once, ``ask`` asks the user first, ``deny`` never
runs) and a risk level shown to the user. A failing tool never crashes a run:
``execute_tool`` turns every failure into an error result the model can read.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import typing
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from app.domain import ToolSpec

if TYPE_CHECKING:
    import docstring_parser

    from app.settings import AppSettings
    from app.store import AsyncStore

log = logging.getLogger(__name__)

ApprovalPolicy = Literal["auto", "ask", "deny"]
RiskLevel = Literal["low", "medium", "high"]

MAX_RESULT_CHARS = 50_000


class ToolError(Exception):
    """A tool failed in a way the model should be told about (message is shown)."""


@dataclass(frozen=True)
class ApprovalRequest:
    """What the user is asked before an ``ask`` tool runs."""

    tool: str
    arguments: dict[str, Any]
    risk: RiskLevel
    summary: str  # one line: what the tool is about to do


# Returns True to allow. Called on the event loop; may show a dialog or prompt.
Approver = Callable[[ApprovalRequest], Awaitable[bool]]


async def deny_all(request: ApprovalRequest) -> bool:
    """The approver used when nobody can be asked (no terminal, no window)."""
    return False


@dataclass
class ToolContext:
    """What a tool call may use. Tools get nothing else from the app.

    ``store``: the database (e.g. the ``memory`` tool's facts); ``settings``:
    the app's settings; ``allow_private_addresses``: lets ``fetch_url`` reach
    private addresses for this call even if the tool was built without it.
    """

    workspace: Path
    agent_id: int | None = None
    conversation_id: int | None = None
    approver: Approver = deny_all
    store: AsyncStore | None = None
    settings: AppSettings | None = None
    allow_private_addresses: bool = False
    # The agent's "run without isolation" (AgentSpec.python_unisolated): lets
    # the python tool run where real isolation is unavailable.
    python_unisolated: bool = False
    # The turn's knowledge (app/core/knowledge/turn.KnowledgeTurn) for the
    # knowledge_search tool; None when the agent does not search its files.
    knowledge: Any = None


class Tool(ABC):
    name: str
    description: str
    parameters: dict[str, Any]
    policy: ApprovalPolicy = "auto"
    risk: RiskLevel = "low"
    timeout: float = 60.0

    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description,
                        parameters=self.parameters)

    def summarize(self, arguments: dict[str, Any]) -> str:
        """One line describing a call, for approval prompts and the UI."""
        args = json.dumps(arguments, ensure_ascii=False)
        return f"{self.name}({args[:200]}{'…' if len(args) > 200 else ''})"

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check and coerce arguments; raise ToolError with a readable message."""
        return arguments

    @abstractmethod
    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        """Run the tool; return text for the model; raise ToolError on failure."""


class FunctionTool(Tool):
    """A tool made from a Python function: schema from its signature and docstring.

    The function may be sync (run in a worker thread) or async. A parameter
    named ``context`` receives the ToolContext and is not part of the schema.
    """

    def __init__(self, function: Callable[..., Any], *, name: str | None = None,
                 description: str | None = None, policy: ApprovalPolicy | None = None,
                 risk: RiskLevel = "low", timeout: float = 60.0) -> None:
        self.function = function
        self.name = name or function.__name__
        import docstring_parser  # on first use: the window starts without it

        doc = docstring_parser.parse(inspect.getdoc(function) or "")
        self.description = description or " ".join(
            part for part in (doc.short_description, doc.long_description) if part)
        self.policy = policy or "auto"
        # Whether the author chose the policy (custom tools default to "ask" if not).
        self.policy_declared = policy is not None
        self.risk = risk
        self.timeout = timeout
        self._wants_context = "context" in inspect.signature(function).parameters
        self._model = _arguments_model(function, self.name, doc)
        schema = self._model.model_json_schema()
        schema.pop("title", None)
        self.parameters = schema

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._model.model_validate(arguments).model_dump()
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in exc.errors())
            raise ToolError(f"invalid arguments for {self.name}: {problems}") from exc

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        kwargs = dict(arguments)
        if self._wants_context:
            kwargs["context"] = context
        if inspect.iscoroutinefunction(self.function):
            result = await self.function(**kwargs)
        else:
            result = await asyncio.to_thread(self.function, **kwargs)
        return result if isinstance(result, str) else json.dumps(result, default=str)


def _arguments_model(function: Callable[..., Any], name: str,
                     doc: docstring_parser.Docstring) -> type[BaseModel]:
    descriptions = {p.arg_name: p.description for p in doc.params}
    fields: dict[str, Any] = {}
    # Resolve string annotations (``from __future__ import annotations``) in the
    # function's own module; pydantic would look in this module instead.
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError):
        hints = {}

    for param in inspect.signature(function).parameters.values():
        if param.name == "context" or param.kind in (param.VAR_POSITIONAL,
                                                     param.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation,
                              Field(default, description=descriptions.get(param.name)))
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"),
                        **fields)


def tool(function: Callable[..., Any] | None = None, *, name: str | None = None,
         description: str | None = None, policy: ApprovalPolicy | None = None,
         risk: RiskLevel = "low", timeout: float = 60.0) -> Any:
    """Decorator: turn a function into a FunctionTool (``@tool`` or ``@tool(...)``)."""

    def wrap(fn: Callable[..., Any]) -> FunctionTool:
        return FunctionTool(fn, name=name, description=description, policy=policy,
                            risk=risk, timeout=timeout)

    return wrap(function) if function is not None else wrap


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool
    duration_ms: float
    status: Literal["ok", "error", "denied", "cancelled", "timeout"] = "ok"


async def execute_tool(tool_: Tool, arguments: dict[str, Any] | str, context: ToolContext,
                       policy: ApprovalPolicy | None = None) -> ToolOutcome:
    """Validate, ask if needed, run with a time limit. Never raises except on
    cancellation of the caller (which the runner records as cancelled)."""
    loop = asyncio.get_running_loop()
    started = loop.time()

    def outcome(content: str, status: str = "error") -> ToolOutcome:
        return ToolOutcome(content[:MAX_RESULT_CHARS], status != "ok",
                           (loop.time() - started) * 1000, status)  # type: ignore[arg-type]

    if isinstance(arguments, str):
        return outcome(f"the arguments for {tool_.name} are not valid JSON: "
                       f"{arguments[:200]}")
    effective = policy or tool_.policy
    if effective == "deny":
        return outcome(f"the user does not allow the tool {tool_.name}", "denied")
    try:
        checked = tool_.validate(arguments)
    except ToolError as exc:
        return outcome(str(exc))
    if effective == "ask":
        request = ApprovalRequest(tool_.name, checked, tool_.risk, tool_.summarize(checked))
        try:
            allowed = await context.approver(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken approver must not crash the run: not approved
            log.exception("approver failed for tool %s", tool_.name)
            allowed = False
        if not allowed:
            return outcome(f"the user declined to run {tool_.name}", "denied")
    deadline = asyncio.timeout(tool_.timeout)
    try:
        async with deadline:
            content = await tool_.call(checked, context)
    except ToolError as exc:
        return outcome(f"{tool_.name} failed: {exc}")
    except TimeoutError as exc:
        if not deadline.expired():  # raised by the tool itself, not our time limit
            log.exception("tool %s crashed", tool_.name)
            return outcome(f"{tool_.name} failed unexpectedly: TimeoutError: {exc}")
        return outcome(f"{tool_.name} did not finish within {tool_.timeout:g} s", "timeout")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a tool bug must not crash the run; the model is told
        log.exception("tool %s crashed", tool_.name)
        return outcome(f"{tool_.name} failed unexpectedly: {type(exc).__name__}: {exc}")
    return outcome(content, "ok")


class ToolRegistry:
    """Tools by name (built-in, custom, MCP)."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, tool_: Tool, *, replace: bool = False) -> None:
        if tool_.name in self._tools and not replace:
            raise ValueError(f"a tool named {tool_.name!r} is already registered")
        self._tools[tool_.name] = tool_

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def select(self, names: list[str]) -> list[Tool]:
        """The registered tools among ``names`` (unknown names are skipped)."""
        return [self._tools[n] for n in names if n in self._tools]
