"""Vision in an agent's turn, decided for the model that will actually answer.

* Before the turn records anything, a message with images is checked against
  the first candidate the route planner picks for it (``vision_for_agent``):
  for an ``auto`` model that is the model ``auto`` resolves to now
  (app/core/routing.py: the provider's loaded model, else its first listed
  one), not a blanket refusal.
* Each request is then prepared per candidate (``VisionGate.prepare``, called
  by the fallback stream just before that candidate is asked): a model that
  cannot see images gets each image of the request, earlier turns' included,
  replaced by a short note. The stored messages keep their images.

What a provider says about a model (Ollama ``/api/show`` capabilities, LM
Studio's model type) is asked once per provider per turn, bounded by the
connect timeout, and only when a request holds images.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from app.core.attachments.vision import VisionCheck, check_vision, model_key, without_images
from app.core.fallback import ProviderSource
from app.core.routing import AUTO, Candidate, RequestFacts, plan_route
from app.domain import AgentSpec, ChatMessage, ChatRequest, ModelInfo, ProviderConfig
from app.providers.base import ProviderError
from app.settings import AppSettings

log = logging.getLogger(__name__)


class VisionGate:
    """Whether each model of one turn can see images (asked at most once per provider)."""

    def __init__(self, settings: AppSettings, models: Sequence[ModelInfo],
                 providers: ProviderSource) -> None:
        self._switches = list(settings.attachments.vision_models)
        self._timeout = settings.timeouts.connect
        self._models = list(models)
        self._providers = providers
        self._asked: set[str] = set()
        self.blind: list[str] = []     # candidates sent notes instead of images (labels)

    async def check(self, config: ProviderConfig | None, model: str) -> VisionCheck:
        """Can ``model`` on ``config`` be sent images?"""
        known = self._known(config, model)
        if (config is not None and not known and config.kind != "embedded"
                and model_key(config.name, model) not in {k.lower() for k in self._switches}
                and config.name.lower() not in self._asked):
            self._asked.add(config.name.lower())
            self._models.extend(await _listed(config, self._providers, self._timeout))
            known = self._known(config, model)
        return check_vision(config, model, known, self._switches)

    async def prepare(self, candidate: Candidate, request: ChatRequest) -> ChatRequest:
        """The request as ``candidate`` gets it: unchanged when it holds no
        images or the model can see them; else every image becomes a note."""
        if not any(m.images for m in request.messages):
            return request
        if (await self.check(candidate.provider, candidate.model)).ok:
            return request
        self.blind.append(candidate.label)
        return request.model_copy(update={"messages": without_images(request.messages)})

    def _known(self, config: ProviderConfig | None, model: str) -> list[ModelInfo]:
        if config is None:
            return []
        name = config.name.lower()
        return [m for m in self._models if m.provider.lower() == name and m.id == model]


async def vision_for_agent(agent: AgentSpec, settings: AppSettings,
                           configs: Sequence[ProviderConfig], text: str,
                           gate: VisionGate, models: Sequence[ModelInfo]) -> VisionCheck:
    """Can the model that would answer ``text`` now be sent images? Decided
    before the turn records or sends anything, for the route's first
    candidate (``auto`` resolved as routing resolves it)."""
    facts = RequestFacts.from_request(
        ChatRequest(model=agent.model or AUTO,
                    messages=[ChatMessage(role="user", content=text)]),
        tools_attached=bool(agent.tools))
    plan = plan_route(agent, configs, facts, settings, models=models)
    if plan.candidates:
        first = plan.candidates[0]
        check = await gate.check(first.provider, first.model)
        if not check.ok and (agent.model or AUTO).lower() == AUTO:
            return VisionCheck(False, f"This agent's model is 'auto', which means "
                                      f"{first.label} now. {check.message}")
        return check
    provider = agent.provider or settings.default_provider
    model = agent.model or settings.default_model or AUTO
    if model.lower() == AUTO:
        return VisionCheck(False, f"No model on {provider or 'any provider'} can stand for "
                                  "this agent's 'auto' model right now, so AgentDesk cannot "
                                  "tell whether it reads images. Start the provider or "
                                  "choose a vision model for the agent.")
    config = next((c for c in configs if c.name.lower() == provider.lower()), None)
    return await gate.check(config, model)


async def _listed(config: ProviderConfig, providers: ProviderSource,
                  timeout: float) -> list[ModelInfo]:
    try:
        return await asyncio.wait_for(providers(config).list_models(), timeout)
    except (ProviderError, TimeoutError, OSError) as exc:
        log.info("could not list the models of %s for the vision check: %s", config.name, exc)
        return []
