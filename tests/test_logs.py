"""Rotating log file in the data folder; secrets never reach it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logs import LOG_FILENAME, REDACTED, configure_logging, redact
from tests.support.log_files import detach_file_log

OPENAI_KEY = "sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUv"
BEARER = "eyJhbGciOiJIUzI1NiJ9.payload.signature"
API_KEY_VALUE = "s3cr3t-Value-9876"


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    """A log folder; afterwards the file handler is removed so tests stay independent."""
    folder = tmp_path / "logs"
    yield folder
    detach_file_log()


def flush() -> None:
    for handler in logging.getLogger("app").handlers:
        handler.flush()


def read_log(path: Path) -> str:
    flush()
    return path.read_text(encoding="utf-8")


def test_writes_to_agentdesk_log_in_the_folder(log_dir: Path) -> None:
    path = configure_logging(log_dir)
    logging.getLogger("app.store").info("opened database %s", "agentdesk.db")
    assert path == log_dir / LOG_FILENAME
    text = read_log(path)
    assert "INFO app.store: opened database agentdesk.db" in text


def test_level_filters_messages(log_dir: Path) -> None:
    path = configure_logging(log_dir, level="WARNING")
    logger = logging.getLogger("app.core")
    logger.info("chatty detail")
    logger.warning("something odd")
    text = read_log(path)
    assert "something odd" in text
    assert "chatty detail" not in text


def test_reconfiguring_replaces_the_handler(log_dir: Path, tmp_path: Path) -> None:
    first = configure_logging(log_dir)
    second = configure_logging(tmp_path / "other")
    logging.getLogger("app.ui").warning("only once")
    handlers = [h for h in logging.getLogger("app").handlers
                if h.get_name() == "agentdesk-file"]
    assert len(handlers) == 1
    assert "only once" in read_log(second)
    assert "only once" not in first.read_text(encoding="utf-8")


def test_rotates_at_max_bytes(log_dir: Path) -> None:
    max_bytes = 10_000
    path = configure_logging(log_dir, max_bytes=max_bytes, backups=2)
    logger = logging.getLogger("app.bench")
    line = "x" * 200
    for i in range(200):  # ~45 KB in total
        logger.info("%04d %s", i, line)
    flush()

    backups = sorted(p.name for p in log_dir.iterdir())
    assert backups == [LOG_FILENAME, f"{LOG_FILENAME}.1", f"{LOG_FILENAME}.2"]
    for file in log_dir.iterdir():
        assert file.stat().st_size <= max_bytes
    assert "0199 " in path.read_text(encoding="utf-8")  # newest in the live file
    assert "0000 " not in "".join(p.read_text() for p in log_dir.iterdir())  # dropped


@pytest.mark.parametrize("template, secret", [
    ("provider said: invalid key %s for this org", OPENAI_KEY),
    ("request headers: {'Authorization': 'Bearer %s'}", BEARER),
    ("GET https://example.test/v1/models?api_key=%s&page=2", API_KEY_VALUE),
    ('config dump: {"api_key": "%s", "model": "m"}', API_KEY_VALUE),
    ("retrying with token=%s", API_KEY_VALUE),
])
def test_secrets_never_reach_the_file(log_dir: Path, template: str, secret: str) -> None:
    path = configure_logging(log_dir)
    logging.getLogger("app.providers.openai").error(template, secret)
    text = read_log(path)
    assert secret not in text
    assert REDACTED in text
    visible = template.split("%s")[0]
    assert visible.replace("Bearer ", "").rstrip("'") in text  # the rest stays readable
    assert "app.providers.openai" in text


def test_secret_in_exception_traceback_is_redacted(log_dir: Path) -> None:
    path = configure_logging(log_dir)
    try:
        raise RuntimeError(f"401 Unauthorized for key {OPENAI_KEY}")
    except RuntimeError:
        logging.getLogger("app.core.runner").exception("request failed")
    text = read_log(path)
    assert OPENAI_KEY not in text
    assert "401 Unauthorized for key" in text
    assert "Traceback" in text


def test_several_secrets_in_one_message(log_dir: Path) -> None:
    path = configure_logging(log_dir)
    logging.getLogger("app").warning("key %s and Bearer %s and api_key=%s done",
                                     OPENAI_KEY, BEARER, API_KEY_VALUE)
    text = read_log(path)
    for secret in (OPENAI_KEY, BEARER, API_KEY_VALUE):
        assert secret not in text
    assert text.count(REDACTED) == 3
    assert text.rstrip().endswith("done")


def test_redact_leaves_ordinary_text_alone() -> None:
    ordinary = ("task-runner finished; skipping 3 items; tokens/s=41.2 "
                "ask-me-anything model=gpt-4o-mini")
    assert redact(ordinary) == ordinary
