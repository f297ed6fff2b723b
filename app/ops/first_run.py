"""The first-run offer as the window and ``agentdesk setup`` make it.

- ``wants_offer``: no agent chats yet (none, or only the bundled base model's
  default agent) and the person has not turned the offer down;
- ``find_offer``: probes Ollama and LM Studio on loopback, lists their models
  and picks the best chat model of each (app/core/first_run_offer.py); when no
  server has a chat model, the catalogue's recommended small chat model for
  this computer instead (with its size; ``small_recommendation``);
- ``accept_server``: a provider for the server (the stored one at that address
  if there is one) and an agent on the picked model;
- ``download`` then ``accept_download``: the recommended files through the
  download manager (app/ops/model_downloads.py), then an embedded provider and
  an agent on the verified file;
- ``dismiss``: "not now", remembered in ``<data folder>/first_run.json``.

Nothing is downloaded or created except by an ``accept_*``/``download`` call,
i.e. after the person chose it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from app.core import atomic_file, first_run
from app.core.first_run_offer import (
    FIRST_RUN_MAX_DOWNLOAD, OFFERED_KINDS, DownloadOffer, FirstRunOffer, ServerOffer,
    agent_name_for, best_chat_model)
from app.core.local_probe import DetectedServer, probe_local_servers
from app.core.models import catalogue
from app.core.models.downloads import DownloadManager
from app.core.provider_factory import build_provider
from app.core.secrets import SecretError
from app.domain import AgentSpec, ProviderConfig
from app.domain.chat import ModelInfo
from app.domain.model_library import CatalogueEntry, DownloadProgress
from app.ops import agents as agent_ops
from app.ops import model_catalogue, model_downloads
from app.ops import providers as provider_ops
from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.settings import AppSettings
from app.store import Store

log = logging.getLogger(__name__)

STATE_FILE = "first_run.json"
LIST_TIMEOUT_S = 5.0
SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely."

Probe = Callable[[], Awaitable[list[DetectedServer]]]
ListModels = Callable[[ProviderConfig], Awaitable[list[ModelInfo]]]
Recommend = Callable[[model_catalogue.MachineFit], CatalogueEntry | None]


class FirstRunError(Exception):
    """An offer could not be taken; the message says why."""


# -- whether to offer ----------------------------------------------------------------------
def state_path(settings: AppSettings) -> Path:
    return Path(settings.home) / STATE_FILE


def dismissed(settings: AppSettings) -> bool:
    try:
        data = json.loads(state_path(settings).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:   # unreadable: offer again rather than fail
        log.warning("first run state %s unreadable: %s", state_path(settings), exc)
        return False
    return isinstance(data, dict) and data.get("offer_dismissed") is True


def dismiss(settings: AppSettings) -> None:
    """Remember "not now": the window does not offer again (``agentdesk setup`` still does)."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_file.write_atomically(path, lambda partial: partial.write_text(
        json.dumps({"offer_dismissed": True}), encoding="utf-8"))


def has_chat_agent(store: Store) -> bool:
    """Whether some agent runs on something else than the bundled base model."""
    return any(agent.provider != first_run.PROVIDER_NAME for agent in store.agents.list())


def wants_offer(store: Store, settings: AppSettings) -> bool:
    return not has_chat_agent(store) and not dismissed(settings)


# -- finding the offer ---------------------------------------------------------------------
def small_recommendation(fit: model_catalogue.MachineFit) -> CatalogueEntry | None:
    """The catalogue's chat pick for this computer among the downloads of at
    most FIRST_RUN_MAX_DOWNLOAD bytes (a catalogue entry without a size is not
    offered here: its size could not be shown)."""
    small = [entry for entry in catalogue.load_catalogue()
             if entry.size_bytes is not None and entry.size_bytes <= FIRST_RUN_MAX_DOWNLOAD]
    return catalogue.recommend(fit.memory_bytes, fit.free_disk_bytes, "chat", small)


async def list_server_models(config: ProviderConfig) -> list[ModelInfo]:
    options = ProviderOptions(timeouts=Timeouts(connect=LIST_TIMEOUT_S,
                                                first_byte=LIST_TIMEOUT_S,
                                                idle=LIST_TIMEOUT_S),
                              retry=RetryPolicy(attempts=1))
    provider = build_provider(config, options)
    try:
        return await provider.list_models()
    finally:
        await provider.aclose()


async def find_offer(settings: AppSettings, providers: Sequence[ProviderConfig], *,
                     probe: Probe = probe_local_servers,
                     list_models: ListModels = list_server_models,
                     recommend: Recommend = small_recommendation) -> FirstRunOffer:
    """What to offer (see the module docstring); never raises for a server
    that does not answer its model list (it is offered without a model)."""
    models_dir = model_downloads.models_dir(settings)
    fit = model_catalogue.machine(models_dir)
    found = [server for server in await probe() if server.kind in OFFERED_KINDS]
    servers = [await _server_offer(server, providers, list_models, fit.memory_bytes)
               for server in found]
    offer = FirstRunOffer(servers=servers)
    if offer.usable_servers:
        return offer
    entry = recommend(fit)
    if entry is None:
        return offer
    installed = model_catalogue.is_installed(entry,
                                             model_catalogue.installed_filenames(models_dir))
    return FirstRunOffer(servers=servers, download=DownloadOffer(entry, installed))


async def _server_offer(server: DetectedServer, providers: Sequence[ProviderConfig],
                        list_models: ListModels, memory_bytes: int | None) -> ServerOffer:
    configured = next((p for p in providers
                       if p.base_url.rstrip("/") == server.base_url.rstrip("/")), None)
    config = configured or server.as_config(f"detected-{server.kind}")
    try:
        models = await list_models(config)
    except (ProviderError, SecretError, OSError, TimeoutError) as exc:
        log.info("first run: %s at %s did not list its models: %s", server.kind,
                 server.base_url, exc)
        models = []
    return ServerOffer(server=server, model=best_chat_model(models, memory_bytes),
                       model_count=len(models) or (server.model_count or 0),
                       configured=configured)


# -- taking it -----------------------------------------------------------------------------
def accept_server(store: Store, offer: ServerOffer) -> tuple[ProviderConfig, AgentSpec]:
    """A provider for the server (reused when stored) and an agent on its model."""
    if offer.model is None:
        raise FirstRunError(f"{offer.server_name} has no chat model yet — pull one there "
                            "first, or download one in the Model Library")
    with store.db.atomic():
        provider = offer.configured or provider_ops.save_provider(
            store, offer.server.as_config(_free_provider_name(store, offer.server_name)))
        agent = agent_ops.create(store, AgentSpec(
            name=_free_agent_name(store, agent_name_for(offer.model.display_name
                                                        or offer.model.id)),
            system_prompt=SYSTEM_PROMPT, provider=provider.name, model=offer.model.id))
    return provider, agent


async def download(manager: DownloadManager, entry: CatalogueEntry,
                   on_progress: Callable[[DownloadProgress], None] | None = None,
                   ) -> list[DownloadProgress]:
    """Download the offered entry and wait for it (each file's final progress)."""
    return await model_downloads.pull(manager, entry, on_progress)


def accept_download(store: Store, settings: AppSettings,
                    entry: CatalogueEntry) -> tuple[ProviderConfig, AgentSpec]:
    """An embedded provider and an agent on the downloaded (verified) file."""
    path = model_downloads.models_dir(settings) / entry.files[0].filename
    if not path.is_file():
        raise FirstRunError(f"{entry.name} is not downloaded yet ({path.name} is not in "
                            "the models folder)")
    existing = next((p for p in store.providers.list()
                     if p.kind == "embedded" and p.model_path == str(path)), None)
    with store.db.atomic():
        provider = existing or provider_ops.save_provider(store, ProviderConfig(
            name=_free_provider_name(store, f"Embedded ({entry.name})"), kind="embedded",
            is_local=True, model_path=str(path)))
        agent = agent_ops.create(store, AgentSpec(
            name=_free_agent_name(store, agent_name_for(entry.name)),
            system_prompt=SYSTEM_PROMPT, provider=provider.name, model=path.stem))
    return provider, agent


def _free_provider_name(store: Store, base: str) -> str:
    name, number = base, 2
    while provider_ops.find(store, name) is not None:
        name, number = f"{base} {number}", number + 1
    return name


def _free_agent_name(store: Store, base: str) -> str:
    name, number = base, 2
    while agent_ops.name_taken(store, name):
        name, number = f"{base} {number}", number + 1
    return name
