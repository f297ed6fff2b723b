"""Provider configuration: where models are served from."""

from typing import Literal

from pydantic import BaseModel, Field

ProviderKind = Literal["ollama", "openai", "lmstudio", "llamacpp", "embedded"]

LOCAL_KINDS: frozenset[str] = frozenset({"ollama", "lmstudio", "llamacpp", "embedded"})


class ProviderConfig(BaseModel):
    """A configured model provider.

    ``api_key_ref`` never holds a key: it names where the key lives, either
    ``keyring:<entry>`` (the OS keyring) or ``env:<VARIABLE>``.
    """

    id: int | None = None
    name: str = Field(min_length=1, max_length=255)
    kind: ProviderKind
    base_url: str = ""
    api_key_ref: str | None = None
    model_path: str | None = None
    enabled: bool = True
    is_local: bool = True
