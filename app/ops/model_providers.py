"""Models on a stored Ollama or LM Studio provider: the named operations the
model library window, ``agentdesk models pull|remove --provider NAME`` and the
coming HTTP API share.

Each op looks the provider up by name in the store (``store.providers``),
refuses one of another kind with a clear message, resolves its base URL and
API key (keyring or environment, as ``app.core.secrets`` does for chats), and
runs one admin call (app/providers/ollama_admin.py, lmstudio_admin.py).

- Ollama: ``pull`` (progress per line to ``on_progress``; cancelling the task
  closes the stream, which stops Ollama's pull; pulling again resumes),
  ``delete``, ``capabilities`` (details of one model, size from /api/tags),
  ``ollama_models`` (every local model with its details).
- LM Studio: ``lmstudio_models`` (with ``can_load`` and a ``note`` when this
  LM Studio's REST API has no load/unload: before 0.4.0), ``load``, ``unload``.

The store read and the keyring read are quick but synchronous (the keyring may
go through D-Bus): ``target`` does both, and the async ops take either a store
or a target already resolved, so the window can resolve on its store worker and
run the network part on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.secrets import resolve_key
from app.providers.base import ProviderOptions
from app.providers.lmstudio_admin import LMStudioAdmin, LMStudioModels, LoadResult
from app.providers.ollama_admin import (
    OllamaAdmin,
    OllamaModelDetails,
    ProgressCallback,
    PullProgress,
)
from app.store import Store

KIND_NAMES = {"ollama": "Ollama", "lmstudio": "LM Studio", "openai": "OpenAI-compatible",
              "llamacpp": "llama.cpp server", "embedded": "embedded engine"}


class WrongProviderKind(ValueError):
    """The named provider is not of the kind this operation works on."""


@dataclass(frozen=True)
class AdminTarget:
    """A resolved provider: what an admin call needs."""

    name: str
    kind: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)


def target(store: Store, provider_name: str, kind: str) -> AdminTarget:
    """The provider ``provider_name`` of ``kind``, resolved. Raises
    NotFoundError (no such provider), WrongProviderKind and SecretError (its
    API key cannot be read)."""
    config = store.providers.get_by_name(provider_name)
    if config.kind != kind:
        wanted, found = KIND_NAMES.get(kind, kind), KIND_NAMES.get(config.kind, config.kind)
        raise WrongProviderKind(
            f"provider {config.name!r} is {_article(found)} {found} provider; this works "
            f"with {_article(wanted)} {wanted} provider only")
    return AdminTarget(name=config.name, kind=config.kind, base_url=config.base_url,
                       api_key=resolve_key(config.api_key_ref))


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" or word.startswith("LM") else "a"


def _resolve(where: Store | AdminTarget, provider_name: str | None, kind: str) -> AdminTarget:
    if isinstance(where, AdminTarget):
        if where.kind != kind:
            raise WrongProviderKind(f"provider {where.name!r} is not {KIND_NAMES[kind]}")
        return where
    if provider_name is None:
        raise WrongProviderKind("name the provider")
    return target(where, provider_name, kind)


def _ollama(t: AdminTarget, options: ProviderOptions | None) -> OllamaAdmin:
    return OllamaAdmin(t.base_url, api_key=t.api_key, options=options)


def _lmstudio(t: AdminTarget, options: ProviderOptions | None) -> LMStudioAdmin:
    return LMStudioAdmin(t.base_url, api_key=t.api_key, options=options)


# -- Ollama ------------------------------------------------------------------------------------
async def pull(where: Store | AdminTarget, provider_name: str | None, model: str,
               on_progress: ProgressCallback | None = None, *,
               options: ProviderOptions | None = None) -> None:
    """Pull ``model`` through the Ollama provider ``provider_name``. Raises
    PullFailed, ProviderError (unreachable...), ModelNameError, and the
    lookup errors of ``target``."""
    resolved = _resolve(where, provider_name, "ollama")
    async with _ollama(resolved, options) as admin:
        await admin.pull(model, on_progress)


async def delete(where: Store | AdminTarget, provider_name: str | None, model: str, *,
                 options: ProviderOptions | None = None) -> None:
    """Delete ``model`` from the Ollama provider (NoSuchModel when it has none)."""
    resolved = _resolve(where, provider_name, "ollama")
    async with _ollama(resolved, options) as admin:
        await admin.delete(model)


async def capabilities(where: Store | AdminTarget, provider_name: str | None, model: str, *,
                       options: ProviderOptions | None = None) -> OllamaModelDetails:
    """Capabilities, parameter size, quantization, context length and size of
    ``model`` on the Ollama provider."""
    resolved = _resolve(where, provider_name, "ollama")
    async with _ollama(resolved, options) as admin:
        return await admin.details(model)


async def ollama_models(where: Store | AdminTarget, provider_name: str | None = None, *,
                        options: ProviderOptions | None = None) -> list[OllamaModelDetails]:
    """Every model of the Ollama provider with its details."""
    resolved = _resolve(where, provider_name, "ollama")
    async with _ollama(resolved, options) as admin:
        return await admin.models()


# -- LM Studio ---------------------------------------------------------------------------------
async def lmstudio_models(where: Store | AdminTarget, provider_name: str | None = None, *,
                          options: ProviderOptions | None = None) -> LMStudioModels:
    resolved = _resolve(where, provider_name, "lmstudio")
    async with _lmstudio(resolved, options) as admin:
        return await admin.models()


async def load(where: Store | AdminTarget, provider_name: str | None, model: str, *,
               context_length: int | None = None,
               options: ProviderOptions | None = None) -> LoadResult:
    """Load ``model`` in LM Studio (LoadUnsupported before LM Studio 0.4.0)."""
    resolved = _resolve(where, provider_name, "lmstudio")
    async with _lmstudio(resolved, options) as admin:
        return await admin.load(model, context_length=context_length)


async def unload(where: Store | AdminTarget, provider_name: str | None, model: str, *,
                 options: ProviderOptions | None = None) -> list[str]:
    """Unload ``model`` (a key: all its instances; or one instance id)."""
    resolved = _resolve(where, provider_name, "lmstudio")
    async with _lmstudio(resolved, options) as admin:
        return await admin.unload(model)


# -- words -------------------------------------------------------------------------------------
def describe_pull(progress: PullProgress) -> str:
    """One line for a progress row or the terminal: 'pulling 6a0746a1ec1a:
    120.0 of 2,019.4 MB (6%)'. The status is the server's text: the caller
    shows it as plain text (the window) or escaped (the terminal)."""
    text = progress.status
    if progress.overall_total:
        done, total = progress.overall_completed / 1e6, progress.overall_total / 1e6
        text += f": {done:,.1f} of {total:,.1f} MB ({100 * (progress.fraction or 0):.0f}%)"
    return text


def describe_details(details: OllamaModelDetails) -> str:
    """'qwen3:0.6b: 522.7 MB, 751.63M parameters, Q4_K_M, context 40,960,
    completion, tools, thinking'."""
    parts = []
    if details.size_bytes is not None:
        parts.append(f"{details.size_bytes / 1e6:,.1f} MB")
    if details.parameter_size:
        parts.append(f"{details.parameter_size} parameters")
    if details.quantization:
        parts.append(details.quantization)
    if details.context_length:
        parts.append(f"context {details.context_length:,}")
    parts.extend(details.capabilities)
    return f"{details.name}: {', '.join(parts)}" if parts else details.name
