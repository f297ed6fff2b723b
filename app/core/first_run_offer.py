"""What the first run offers a new person, and how its pick is made (no I/O).

After the zero-setup defaults (first_run.py: the bundled Gemma 3 270M *base*
model, which completes text rather than chats), the window and ``agentdesk
setup`` offer a real chat model, and nothing is downloaded or created until
the person accepts:

- a model server already running here (Ollama, LM Studio, found by
  app/core/local_probe.py): an agent on its best chat model (CHAT_PICK_RULE);
- otherwise the catalogue's recommended *small* chat model for this computer
  (the catalogue's RECOMMEND_RULE among entries of at most
  FIRST_RUN_MAX_DOWNLOAD bytes: a first model should arrive within minutes on
  an ordinary connection — 1 GB at 10 MB/s is under two minutes; the larger
  picks are one click away in the Model Library), with its download size;
- always: the bundled model, described as what it is.

CHAT_PICK_RULE (``best_chat_model``): models that are neither base models nor
embedding models; among them, first those that fit this computer's memory
(download size × 1.2 ≤ 60 % of it, the catalogue's rule; unknown sizes fit),
then tool-capable ones, then one already loaded, then the largest; ties by the
server's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain import units
from app.core.local_probe import DetectedServer
from app.core.models.catalogue import SAFE_MEMORY_SHARE
from app.domain import ProviderConfig
from app.domain.chat import ModelInfo
from app.domain.model_library import CatalogueEntry

#: The server kinds the first run offers (llama.cpp serves one model the
#: person chose already; it is found by ``providers detect`` instead).
OFFERED_KINDS = ("ollama", "lmstudio")
SERVER_NAMES = {"ollama": "Ollama", "lmstudio": "LM Studio", "llamacpp": "llama.cpp"}
#: The largest download the first run offers (see the module docstring).
FIRST_RUN_MAX_DOWNLOAD = 1_000_000_000
#: Runtime memory on top of the weights (catalogue RAM_RULE's factor).
_WEIGHTS_OVERHEAD = 1.2
BUNDLED_NOTE = ("The built-in Gemma 3 270M stays available offline. It is a small base "
                "model: it continues text rather than chats, and cannot use tools.")


@dataclass(frozen=True)
class ServerOffer:
    """A model server found on this machine and the model an agent would use."""

    server: DetectedServer
    model: ModelInfo | None          # None: the server has no chat model yet
    model_count: int
    configured: ProviderConfig | None = None  # a stored provider at that address

    @property
    def server_name(self) -> str:
        return SERVER_NAMES.get(self.server.kind, self.server.kind)


@dataclass(frozen=True)
class DownloadOffer:
    """The recommended catalogue model for this computer."""

    entry: CatalogueEntry
    installed: bool = False

    @property
    def size_bytes(self) -> int | None:
        return self.entry.size_bytes


@dataclass(frozen=True)
class FirstRunOffer:
    """Everything the first run offers; ``servers`` with a chat model come
    first, ``download`` only when none has one."""

    servers: list[ServerOffer] = field(default_factory=list)
    download: DownloadOffer | None = None
    bundled_note: str | None = BUNDLED_NOTE

    @property
    def usable_servers(self) -> list[ServerOffer]:
        return [offer for offer in self.servers if offer.model is not None]

    @property
    def empty(self) -> bool:
        return not self.usable_servers and self.download is None


def is_chat_model(model: ModelInfo) -> bool:
    """Neither a base model nor an embedding model."""
    if model.base_model:
        return False
    lowered = {c.lower() for c in model.capabilities}
    if lowered & {"embedding", "embeddings"} and "completion" not in lowered:
        return False
    return "embed" not in model.id.lower()


def fits_memory(model: ModelInfo, memory_bytes: int | None) -> bool:
    if memory_bytes is None or not model.size_bytes:
        return True
    return model.size_bytes * _WEIGHTS_OVERHEAD <= SAFE_MEMORY_SHARE * memory_bytes


def best_chat_model(models: Sequence[ModelInfo],
                    memory_bytes: int | None = None) -> ModelInfo | None:
    """The model an offered agent uses (CHAT_PICK_RULE), None without a chat model."""
    candidates = [(index, m) for index, m in enumerate(models) if is_chat_model(m)]
    if not candidates:
        return None

    def preference(item: tuple[int, ModelInfo]) -> tuple[bool, bool, bool, int, int]:
        index, model = item
        return (fits_memory(model, memory_bytes), "tools" in model.capabilities,
                bool(model.loaded), model.size_bytes or 0, -index)

    return max(candidates, key=preference)[1]


def size_text(size_bytes: int | None) -> str:
    """'253 MB', '1.1 GB', or 'size unknown'."""
    return units.decimal_size(size_bytes) if size_bytes else "size unknown"


def agent_name_for(model_label: str) -> str:
    return f"Assistant ({model_label})"[:80]
