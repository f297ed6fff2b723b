"""The vision check for an agent's turn: which provider and model the agent
uses, and what that provider says about the model (asked once, bounded by
the connect timeout) when the turn did not list it already."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from app.core.attachments.vision import VisionCheck, check_vision, model_key
from app.core.fallback import ProviderSource
from app.core.routing import AUTO
from app.domain import AgentSpec, ModelInfo, ProviderConfig
from app.providers.base import ProviderError
from app.settings import AppSettings

log = logging.getLogger(__name__)


async def vision_for_agent(agent: AgentSpec, settings: AppSettings,
                           configs: Sequence[ProviderConfig], models: Sequence[ModelInfo],
                           providers: ProviderSource) -> VisionCheck:
    """Can the agent's model be sent images? Decided before the turn records
    or sends anything."""
    provider = agent.provider or settings.default_provider
    model = agent.model or settings.default_model or AUTO
    switches = settings.attachments.vision_models
    if model.lower() == AUTO:
        return VisionCheck(False, "This agent's model is chosen automatically, and automatic "
                                  "routing does not pick by vision. Choose a vision model "
                                  "for the agent to send images.")
    config = next((c for c in configs if c.name.lower() == provider.lower()), None)
    known = [m for m in models if m.provider.lower() == provider.lower() and m.id == model]
    if (config is not None and not known and config.kind != "embedded"
            and model_key(config.name, model) not in {k.lower() for k in switches}):
        known = await _listed(config, providers, settings.timeouts.connect)
    return check_vision(config, model, known, switches)


async def _listed(config: ProviderConfig, providers: ProviderSource,
                  timeout: float) -> list[ModelInfo]:
    try:
        return await asyncio.wait_for(providers(config).list_models(), timeout)
    except (ProviderError, TimeoutError, OSError) as exc:
        log.info("could not list the models of %s for the vision check: %s", config.name, exc)
        return []
