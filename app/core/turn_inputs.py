"""What a turn is built from: the request for the conversation so far, the
agent's tools and their policies, its workspace, the system prompt (with the
memory block), the context length, the models known for ``auto`` routing, and
the default pool of providers.

Kept apart from app/core/runner.py so the runner holds only the turn's flow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from app.core.context_window import to_chat_messages
from app.core.fallback import ProviderPool, ProviderSource
from app.core.provider_factory import build_provider, options_from_settings
from app.core.routing import AUTO
from app.core.tools.base import ApprovalPolicy, Tool, ToolRegistry
from app.domain import AgentSpec, ChatMessage, ChatRequest, Message, ModelInfo, ProviderConfig
from app.providers.base import ProviderError
from app.settings import AppSettings
from app.store import AsyncStore

log = logging.getLogger(__name__)

MEMORY_PROMPT_CHARS = 2000     # the memory block's share of the system prompt

ToolLookup = Callable[[str], tuple[Tool, ApprovalPolicy] | None]


def agent_workspace(agent: AgentSpec, settings: AppSettings) -> Path:
    """The folder the agent's file and python tools are confined to."""
    if agent.workspace:
        return Path(agent.workspace).expanduser()
    return settings.home / "workspaces" / str(agent.id if agent.id is not None else "unsaved")


async def default_toolbox(settings: AppSettings, store: AsyncStore) -> ToolRegistry:
    """The built-in and enabled custom tools, plus approved MCP servers (lazy)."""
    from app.core.tools.builtin import build_agent_toolbox
    from app.core.tools.mcp_manager import McpManager, configs_from_async_store

    mcp = McpManager(configs_from_async_store(store), log_dir=settings.log_dir)
    return await build_agent_toolbox(settings, store, mcp=mcp)


async def resolve_tools(registry: ToolRegistry, names: list[str]) -> tuple[list[Tool],
                                                                           list[str]]:
    """The tools ``names`` stand for (groups and MCP servers expanded where the
    registry knows them), and a note for each name that matched nothing."""
    resolver = getattr(registry, "tools_for", None)
    if resolver is not None:
        return await resolver(names)
    tools = registry.select(names)
    found = {t.name for t in tools}
    return tools, [f"there is no tool named {n!r}" for n in names if n not in found]


def tool_lookup(registry: ToolRegistry | None, tools: list[Tool],
                policies: dict[str, ApprovalPolicy]) -> ToolLookup:
    """name -> (tool, the policy that applies for this agent), None if not offered."""
    by_name = {t.name: t for t in tools}
    policy_for = getattr(registry, "policy_for", None)

    def lookup(name: str) -> tuple[Tool, ApprovalPolicy] | None:
        tool_ = by_name.get(name)
        if tool_ is None:
            return None
        if policy_for is not None:
            return tool_, policy_for(tool_, policies)
        return tool_, policies.get(name, tool_.policy)

    return lookup


async def system_messages(store: AsyncStore, agent: AgentSpec,
                          tools: list[Tool]) -> list[ChatMessage]:
    """The system prompt, plus the remembered facts when the agent has ``memory``."""
    parts = [agent.system_prompt] if agent.system_prompt.strip() else []
    agent_id = agent.id
    if agent_id is not None and any(t.name == "memory" for t in tools):
        from app.core.tools.memory import memory_prompt

        memories = await store.run(lambda s: s.memories.list(agent_id))
        block = memory_prompt(memories, MEMORY_PROMPT_CHARS)
        if block:
            parts.append(block)
    return [ChatMessage(role="system", content="\n\n".join(parts))] if parts else []


def context_tokens(agent: AgentSpec, settings: AppSettings,
                   models: Sequence[ModelInfo]) -> int:
    """The model's context length when known, else the settings' default.
    An ``auto`` model counts as the smallest known model of its provider. The
    agent's own context length (sent as Ollama ``num_ctx`` / the embedded
    engine's ``n_ctx``), when set, is the window, unless the model's is smaller."""
    provider = (agent.provider or settings.default_provider).lower()
    model = agent.model or settings.default_model or AUTO
    known = [m.context_length for m in models
             if m.provider.lower() == provider and m.context_length
             and (m.id == model or model.lower() == AUTO)]
    own = agent.generation.context_length
    if own is not None:
        return min([*known, own])
    return min(known) if known else settings.runner.context_tokens


async def discover_models(agent: AgentSpec, settings: AppSettings,
                          configs: Sequence[ProviderConfig], providers: ProviderSource,
                          notes: list[str]) -> list[ModelInfo]:
    """Ask the providers that stand for ``auto`` which models they have.

    Each is bounded by the connect timeout; a failure is noted, not fatal.
    """
    names = {t.provider.lower() for t in agent.fallbacks if t.model.lower() == AUTO}
    if (agent.model or AUTO).lower() == AUTO:
        names.add((agent.provider or settings.default_provider).lower())
    wanted = [c for c in configs if c.enabled and c.name.lower() in names]
    if not wanted:
        return []
    timeout = settings.timeouts.connect

    async def ask(config: ProviderConfig) -> list[ModelInfo]:
        try:
            provider = providers(config)
            return await asyncio.wait_for(provider.list_models(), timeout)
        except (ProviderError, TimeoutError, OSError) as exc:
            notes.append(f"could not list the models of {config.name!r}: {exc}")
        except Exception as exc:  # noqa: BLE001 — routing goes on without this list
            log.exception("listing models of %s failed", config.name)
            notes.append(f"could not list the models of {config.name!r}: "
                         f"{type(exc).__name__}")
        return []

    found = await asyncio.gather(*(ask(config) for config in wanted))
    return [info for infos in found for info in infos]


def build_request(agent: AgentSpec, history: Sequence[Message]) -> ChatRequest:
    """The request for the agent's next reply to ``history`` (oldest first),
    untrimmed and without tools. Replies still streaming and replies that
    produced nothing are left out (see ``to_chat_messages``)."""
    messages = [ChatMessage(role="system", content=agent.system_prompt)] \
        if agent.system_prompt.strip() else []
    messages.extend(to_chat_messages(history))
    return ChatRequest(model=agent.model or AUTO, messages=messages,
                       temperature=agent.temperature, max_tokens=agent.max_tokens,
                       stream=agent.streaming, **agent.generation.request_fields())


def default_provider_pool(settings: AppSettings) -> ProviderPool:
    options = options_from_settings(settings)
    return ProviderPool(lambda config: build_provider(config, options))
