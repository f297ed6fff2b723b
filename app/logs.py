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

_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    # OpenAI-style and similar vendor keys: sk-..., sk-proj-..., gsk_..., hf_...
    re.compile(r"\b(?:sk|gsk|hf|xai|pk|rk)[-_][A-Za-z0-9_\-]{12,}"),
    # Authorization headers and bearer tokens
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]{8,}=*"),
    # key=value / "api_key": "value" style assignments
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s\"',;&]{4,}"),
)
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """Replace anything that looks like a credential with ``[REDACTED]``."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


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
