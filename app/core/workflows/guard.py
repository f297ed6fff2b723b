"""The local-only guarantee inside workflows (app/core/privacy.py's promise).

A local-only agent's input and output never reach an agent that may use a
cloud provider. Checked twice: before a run, on the workflow's shape (who can
see whose words), and at each hand-off, on the agents actually involved.
Refusals name the agents, so the person knows what to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.core.routing import AUTO
from app.domain import AgentSpec, ProviderConfig
from app.domain.workflow import WorkflowSpec


class WorkflowRefused(Exception):
    """The workflow (or one hand-off of it) would break a guarantee; the
    message says which agents and why."""


def cloud_provider(agent: AgentSpec, configs: Sequence[ProviderConfig]) -> str | None:
    """The name of a cloud provider this agent may use (its own, a fallback,
    or any cloud provider for ``auto``); None if it only ever runs locally."""
    if agent.local_only:            # routing never gives it a cloud candidate
        return None
    enabled = {c.name.casefold(): c for c in configs if c.enabled}
    for name in (agent.provider, *(target.provider for target in agent.fallbacks)):
        if name == AUTO:
            for config in enabled.values():
                if not config.is_local:
                    return config.name
            continue
        config = enabled.get(name.casefold())
        if config is not None and not config.is_local:
            return config.name
    return None


def _refusal(private: AgentSpec, cloud: AgentSpec, provider: str, where: str) -> str:
    return (f"{where} refused: local-only agent {private.name!r} would pass its input or "
            f"output to agent {cloud.name!r}, which can use the cloud provider "
            f"{provider!r}; make {cloud.name!r} local-only or use a local agent instead")


def _first_leak(private: Iterable[AgentSpec], receivers: Iterable[AgentSpec],
                configs: Sequence[ProviderConfig], where: str) -> str | None:
    receivers = list(receivers)
    for source in private:
        if not source.local_only:
            continue
        for target in receivers:
            provider = cloud_provider(target, configs)
            if provider is not None:
                return _refusal(source, target, provider, where)
    return None


def check_workflow(spec: WorkflowSpec, agents: Sequence[AgentSpec],
                   configs: Sequence[ProviderConfig]) -> None:
    """Refuse (WorkflowRefused) a workflow whose shape would carry a local-only
    agent's words to a cloud agent. ``agents`` are the workflow's agents, in
    the order of ``spec.agents`` (then the synthesis agent)."""
    where = f"workflow {spec.name!r}"
    steps = list(agents[:len(spec.agents)])
    problem: str | None = None
    if spec.kind == "chain":
        # Each answer is the next input: everything after a local-only step sees it.
        for index, agent in enumerate(steps):
            problem = problem or _first_leak([agent], steps[index + 1:], configs, where)
    elif spec.kind == "handoff":
        # Any agent may ask any other and hears its answer.
        problem = _first_leak(steps, steps, configs, where)
    else:
        # The branches share the question; the synthesis reads every answer.
        synthesis = list(agents[len(spec.agents):])
        problem = (_first_leak(steps, steps, configs, where)
                   or _first_leak(steps, synthesis, configs, where))
    if problem is not None:
        raise WorkflowRefused(problem)


def check_handoff(involved: Sequence[AgentSpec], target: AgentSpec,
                  configs: Sequence[ProviderConfig]) -> None:
    """Refuse a hand-off to ``target`` when a local-only agent among
    ``involved`` (the agents asking, and every local-only agent that already
    spoke in this run) or the target itself would share words with a cloud agent."""
    everyone = [*involved, target]
    problem = _first_leak(everyone, everyone, configs,
                          f"hand-off to {target.name!r}")
    if problem is not None:
        raise WorkflowRefused(problem)
