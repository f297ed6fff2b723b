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
