"""What an imported agent may not grant itself.

An agent travels in a file (an agent file, a conversation export's agent
snapshot, later the HTTP API). Such a file is untrusted: it may name tools
with a policy looser than the tool's own default (``"python": "auto"`` runs
model-written code without asking) or a ``workspace`` folder (the file tools
and Python work there: ``/home/someone`` exposes ``.bashrc`` and ``.ssh``).

``withhold_grants`` returns the agent as it may be imported without asking
anybody — never a workspace (the agent gets its own folder in the data
folder), and every tool policy at most as loose as that tool's default — and
the ``AgentGrants`` it withheld. A policy that is stricter than the default
(``"deny"``, or ``"ask"`` for a tool that runs on its own) is kept: it only
takes power away. The person may then grant exactly the listed policies
(window: a dialog that lists them; CLI: a question on a terminal, or a flag);
``with_grants`` applies them. A workspace is never granted from a file; the
person sets one in the agent's settings.

A tool's default comes from the built-in tools (a group, e.g. ``files``, is
as strict as its strictest member). Any other name — a custom tool, an MCP
server or tool, a name this version does not know — counts as "ask": custom
tools and MCP tools ask unless their author or the person says otherwise, and
a file cannot say so for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from app.core.tools.base import ApprovalPolicy
from app.domain import AgentSpec

#: Strictness of a policy: a lower rank does more without asking.
RANK: dict[str, int] = {"auto": 0, "ask": 1, "deny": 2}
#: What a policy means, for the question that lists the grants.
MEANING = {"auto": "runs without asking", "ask": "asks before each use",
           "deny": "never runs"}
#: The default for a tool the built-in tools do not define.
UNKNOWN_DEFAULT: ApprovalPolicy = "ask"


@dataclass(frozen=True)
class PolicyGrant:
    """One tool policy looser than the tool's default."""

    tool: str
    policy: ApprovalPolicy
    default: ApprovalPolicy

    def describe(self) -> str:
        return f"{self.tool}: {MEANING[self.policy]} (by default it {MEANING[self.default]})"


@dataclass(frozen=True)
class AgentGrants:
    """What an imported agent asked for and did not get."""

    policies: tuple[PolicyGrant, ...] = ()
    workspace: str | None = None

    def lines(self) -> list[str]:
        """One line per withheld policy, for the question and the CLI."""
        return [grant.describe() for grant in self.policies]

    def workspace_note(self) -> str | None:
        if self.workspace is None:
            return None
        return (f"The file named the folder {self.workspace!r} as the agent's workspace; "
                "it was not kept: the agent works in its own folder in the data folder "
                "(change it in the agent's settings).")


@cache
def builtin_defaults() -> Mapping[str, ApprovalPolicy]:
    """The default policy of every built-in tool and group (a group: its
    strictest member), from the tools themselves."""
    from app.core.tools.builtin import build_tool_registry
    from app.settings import AppSettings

    toolbox = build_tool_registry(AppSettings(), custom_records=[])
    defaults: dict[str, ApprovalPolicy] = {
        t.name: t.policy for t in toolbox.select(toolbox.names())}
    for group, members in toolbox.groups().items():
        defaults[group] = max((defaults[m] for m in members if m in defaults),
                              key=RANK.__getitem__, default=UNKNOWN_DEFAULT)
    return defaults


def default_policy(tool: str, defaults: Mapping[str, ApprovalPolicy] | None = None
                   ) -> ApprovalPolicy:
    """The policy ``tool`` (a tool or a group) has when an agent sets none."""
    return (builtin_defaults() if defaults is None else defaults).get(tool, UNKNOWN_DEFAULT)


def withhold_grants(spec: AgentSpec, defaults: Mapping[str, ApprovalPolicy] | None = None
                    ) -> tuple[AgentSpec, AgentGrants]:
    """``spec`` without a workspace and without policies looser than the
    defaults, and what was taken out."""
    kept: dict[str, ApprovalPolicy] = {}
    withheld: list[PolicyGrant] = []
    for tool, policy in spec.tool_policies.items():
        default = default_policy(tool, defaults)
        if RANK[policy] < RANK[default]:
            withheld.append(PolicyGrant(tool, policy, default))
        else:
            kept[tool] = policy
    # "Run without isolation" is never taken from a file (the person sets it
    # in the agent's settings, after a warning).
    safe = spec.model_copy(update={"tool_policies": kept, "workspace": None,
                                   "python_unisolated": False, "api_tools": []})
    return safe, AgentGrants(tuple(withheld), spec.workspace)


def with_grants(spec: AgentSpec, grants: AgentGrants) -> AgentSpec:
    """``spec`` with the withheld policies granted (never a workspace)."""
    policies = dict(spec.tool_policies)
    policies.update({grant.tool: grant.policy for grant in grants.policies})
    return spec.model_copy(update={"tool_policies": policies})
