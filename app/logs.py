"""Logging to a rotating file in the data folder, with secrets redacted.

Redaction is a last line of defence: code must not log secrets in the first
place, but a provider error that echoes a header or URL must not leak a key.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILENAME = "agentdesk.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Known key shapes, redacted wherever they appear.
_KEY_SHAPES: tuple[re.Pattern[str], ...] = (
    # OpenAI-style and similar vendor keys: sk-..., sk-proj-..., sk-ant-..., gsk_..., hf_...
    re.compile(r"\b(?:sk|gsk|hf|xai|pk|rk)[-_][A-Za-z0-9_\-]{12,}"),
    # GitHub tokens
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    # Google API keys, AWS access key ids, Slack tokens
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    # JSON web tokens (header.payload.signature, the header starts {" = eyJ)
    re.compile(r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"),
)
# "Authorization: Bearer <token>" (and Basic): what follows the scheme.
_AUTH_SCHEME = re.compile(r"(?i)(\b(?:bearer|basic)\s+)([A-Za-z0-9._\-~+/]{3,}=*)")
# English that follows "bearer" in prose ("a Bearer token is required").
_AUTH_PROSE = frozenset({"token", "tokens", "auth", "authentication", "header", "scheme",
                         "credential", "credentials", "key", "keys", "is", "was", "for"})
# key=value, key: value, "api_key": "value" assignments of a secret-sounding name.
_ASSIGNMENT = re.compile(
    r"(?i)((?:api[_-]?key|token|secret|password|passwd)[\"']?\s*)([:=])(\s*)([\"']?)"
    r"([^\s\"',;&]{4,})")
# A value that is prose, not a secret: a word or identifier without digits
# ("unreachable", "rate_limited", "ConnectError") or a plain number ("212").
_PROSE_VALUE = re.compile(r"(?:[A-Z]?[a-z]+(?:[_\-]?[A-Za-z][a-z]+)*|\d+(?:\.\d+)?)[.)]?")
_PROSE_MAX = 32
# The actual key values in use (registered when resolved or stored), replaced
# literally: a key of any shape must not reach the log.
_KNOWN_SECRETS: set[str] = set()
_KNOWN_MIN = 6   # shorter values would blank ordinary words all over the log
REDACTED = "[REDACTED]"


def register_secret(value: str | None) -> None:
    """Redact this exact value from now on (an API key the app resolved or stored)."""
    if value and len(value.strip()) >= _KNOWN_MIN:
        _KNOWN_SECRETS.add(value.strip())


def _assignment(match: re.Match[str]) -> str:
    name, separator, space, quote, value = match.groups()
    if separator == ":" and not quote and len(value) <= _PROSE_MAX \
            and _PROSE_VALUE.fullmatch(value):
        return match.group(0)        # "failed before any token: unreachable" is prose
    return f"{name}{separator}{space}{quote}{REDACTED}"


def _auth_scheme(match: re.Match[str]) -> str:
    if match.group(2).lower() in _AUTH_PROSE:
        return match.group(0)
    return match.group(1) + REDACTED


def redact(text: str) -> str:
    """Replace credentials with ``[REDACTED]``: the configured key values, known
    key shapes, bearer tokens and secret assignments (``api_key=…``). Prose
    after a word like "token:" stays readable."""
    for secret in sorted(tuple(_KNOWN_SECRETS), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _KEY_SHAPES:
        text = pattern.sub(REDACTED, text)
    text = _AUTH_SCHEME.sub(_auth_scheme, text)
    return _ASSIGNMENT.sub(_assignment, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(log_dir: Path, *, level: str = "INFO", max_bytes: int = 2_000_000,
                      backups: int = 3) -> Path:
    """Send the ``app`` loggers to ``log_dir/agentdesk.log``; returns the file path.

    Calling it again (e.g. in tests with another folder) replaces the handler.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILENAME
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                  encoding="utf-8")
    handler.setFormatter(RedactingFormatter(_FORMAT))
    handler.set_name("agentdesk-file")
    root = logging.getLogger("app")
    for old in [h for h in root.handlers if h.get_name() == "agentdesk-file"]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    return path
