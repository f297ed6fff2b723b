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


# -- credentials in URLs --------------------------------------------------------------------
# A query parameter whose name (lower case, without - and _) is one of these,
# or ends in one of the suffixes, carries a credential (``?key=``, ``?api_key=``,
# ``?access_token=``, ``?x-goog-api-key=``, ``?sig=``). ``keyword`` or
# ``api-version`` do not.
_CREDENTIAL_PARAMS = frozenset({
    "key", "apikey", "token", "accesstoken", "authtoken", "auth", "authorization",
    "secret", "clientsecret", "password", "passwd", "pass", "pwd", "sig", "signature",
    "session", "sessionid", "jwt", "bearer", "credential", "credentials"})
_CREDENTIAL_SUFFIXES = ("apikey", "token", "secret", "password", "signature")
# A URL inside free text (an error message, a log line): scheme://… up to a space or quote.
_URL_IN_TEXT = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s\"'<>`]+")


def is_credential_param(name: str) -> bool:
    """True when a query parameter called ``name`` carries a credential."""
    plain = re.sub(r"[-_.\s]", "", name).lower()
    return plain in _CREDENTIAL_PARAMS or plain.endswith(_CREDENTIAL_SUFFIXES)


def _url_parts(url: str) -> tuple[str, str, str, str, str]:
    """(scheme+"://", userinfo, rest of host and path, query, fragment), split by
    hand: ``urlsplit`` refuses some text (an unclosed ``[``) that must still be
    redacted. A missing part is ""."""
    head, _, fragment = url.partition("#")
    head, _, query = head.partition("?")
    start = head.find("://")
    if start < 0:
        return "", "", head, query, fragment
    start += 3
    slash = head.find("/", start)
    end = len(head) if slash < 0 else slash
    userinfo, at, host = head[start:end].rpartition("@")
    return head[:start], userinfo + at, host + head[end:], query, fragment


def url_credentials(url: str) -> list[str]:
    """What in ``url`` carries a credential, worded for a person (empty: nothing):
    a user name or password before ``@``, a query parameter such as ``api_key``
    or ``key``, a ``#fragment`` (never sent to a server: in a base URL it is a
    pasted token or a mistake)."""
    found: list[str] = []
    _scheme, userinfo, _rest, query, fragment = _url_parts(url.strip())
    if userinfo:
        found.append("a user name or password before '@'")
    for pair in re.split(r"[&;]", query):
        name = pair.partition("=")[0]
        if name and is_credential_param(name):
            found.append(f"the parameter '{name[:40]}'")
    if fragment or url.strip().endswith("#"):
        found.append("a '#' part")
    return found


def redact_url(url: str) -> str:
    """``url`` with its credentials replaced by ``[REDACTED]``: the user
    name/password before ``@``, the value of each credential query parameter
    and any ``#fragment``. The one function every place that shows or logs a
    provider URL uses (lists, error messages, connection tests, the log)."""
    scheme, userinfo, rest, query, fragment = _url_parts(url)
    out = scheme + (f"{REDACTED}@" if userinfo else "") + rest
    if "?" in url.partition("#")[0]:
        pairs = re.split(r"([&;])", query)
        out += "?" + "".join(
            f"{p.partition('=')[0]}={REDACTED}" if "=" in p and is_credential_param(
                p.partition("=")[0]) else p for p in pairs)
    if "#" in url:
        out += "#" + (REDACTED if fragment else "")
    return out


def redact_urls(text: str) -> str:
    """Every URL inside ``text`` passed through ``redact_url``."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


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
    """Replace credentials with ``[REDACTED]``: the configured key values,
    credentials inside URLs (``redact_url``), known key shapes, bearer tokens and secret assignments (``api_key=…``). Prose
    after a word like "token:" stays readable."""
    for secret in sorted(tuple(_KNOWN_SECRETS), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = redact_urls(text)
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
