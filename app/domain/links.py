"""Which links in an untrusted reply may be followed (chat view and exports alike)."""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


def is_allowed_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host and for mailto: addresses;
    False for every other scheme (javascript:, data:, file: …), relative
    addresses and anything carrying control characters."""
    url = url.strip()
    if not url or any(ch in url for ch in "\r\n\t\x00"):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return False
    return bool(parts.path) if scheme == "mailto" else bool(parts.netloc)


def is_http_address(url: str) -> bool:
    """True for an absolute http(s) address with a host (a server to talk to:
    a provider's base URL, an MCP endpoint); False for anything else, including
    text ``urlsplit`` cannot read (an unclosed ``[`` in the host)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)
