"""The Ollama and LM Studio tabs' calls into ``app.ops.model_providers``.

The provider is resolved (store row, keyring) on the store's worker thread
through the bridge; the network part (list, pull stream, delete, load,
unload) then runs on the event loop. Every refusal leaves as
``ProviderAdminError`` with its message, for the tab's status line.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from app.core.secrets import SecretError
from app.ops import model_providers
from app.ops.model_providers import AdminTarget
from app.providers.base import ProviderError
from app.providers.lmstudio_admin import LMStudioModels, LoadResult
from app.providers.ollama_admin import OllamaModelDetails, PullProgress
from app.services.store_bridge import StoreBridge
from app.store.errors import NotFoundError

_REFUSALS = (ProviderError, ValueError, NotFoundError, SecretError)


class ProviderAdminError(Exception):
    """Listing, pull, delete, load or unload refused or failed; the message
    says why."""


async def _target(bridge: StoreBridge, provider: str, kind: str = "ollama") -> AdminTarget:
    try:
        return await bridge.run(partial(model_providers.target, provider_name=provider, kind=kind))
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


async def models(bridge: StoreBridge, provider: str) -> list[OllamaModelDetails]:
    target = await _target(bridge, provider)
    try:
        return await model_providers.ollama_models(target)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


async def pull(bridge: StoreBridge, provider: str, model: str,
               on_progress: Callable[[PullProgress], None]) -> None:
    """Until Ollama says success (cancelling the task closes the stream)."""
    target = await _target(bridge, provider)
    try:
        await model_providers.pull(target, None, model, on_progress)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


async def delete(bridge: StoreBridge, provider: str, model: str) -> None:
    target = await _target(bridge, provider)
    try:
        await model_providers.delete(target, None, model)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


def describe_pull(progress: PullProgress) -> str:
    return model_providers.describe_pull(progress)


# -- LM Studio -------------------------------------------------------------------------------
async def lmstudio_models(bridge: StoreBridge, provider: str) -> LMStudioModels:
    """The models with their state, and whether this LM Studio can load/unload."""
    target = await _target(bridge, provider, "lmstudio")
    try:
        return await model_providers.lmstudio_models(target)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


async def load(bridge: StoreBridge, provider: str, model: str) -> LoadResult:
    target = await _target(bridge, provider, "lmstudio")
    try:
        return await model_providers.load(target, None, model)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc


async def unload(bridge: StoreBridge, provider: str, model: str) -> list[str]:
    target = await _target(bridge, provider, "lmstudio")
    try:
        return await model_providers.unload(target, None, model)
    except _REFUSALS as exc:
        raise ProviderAdminError(str(exc)) from exc
