"""Provider configuration: where models are served from."""

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

ProviderKind = Literal["ollama", "openai", "lmstudio", "llamacpp", "embedded"]

LOCAL_KINDS: frozenset[str] = frozenset({"ollama", "lmstudio", "llamacpp", "embedded"})

# Where each kind of server listens unless the user says otherwise.
DEFAULT_BASE_URLS: dict[str, str] = {
    "ollama": "http://127.0.0.1:11434",
    "lmstudio": "http://127.0.0.1:1234/v1",
    "llamacpp": "http://127.0.0.1:8080/v1",
    "openai": "https://api.openai.com/v1",
    "embedded": "",
}


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


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (IPv4 or IPv6)."""
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def derive_is_local(kind: str, base_url: str) -> bool:
    """Local engines are local wherever they say they are; an OpenAI-compatible
    server is local when it listens on this machine."""
    return kind in LOCAL_KINDS or is_loopback_url(base_url)
