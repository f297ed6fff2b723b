"""agentdesk.log for tests: configured in a temporary folder, detached afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logs import configure_logging


def detach_file_log() -> None:
    """Remove the file handler ``configure_logging`` added, so tests stay independent."""
    root = logging.getLogger("app")
    for handler in [h for h in root.handlers if h.get_name() == "agentdesk-file"]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.NOTSET)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """agentdesk.log in a temporary folder, as run_gui sets it up."""
    path = configure_logging(tmp_path / "logs")
    yield path
    detach_file_log()
