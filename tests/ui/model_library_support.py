"""Helpers for the Model Library window tests (imported as a plain module):
catalogue entries that download from the loopback GGUF server, opening the
window from the main window's menu, and finding its rows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from window_support import WAIT_MS

from app.core.models import catalogue
from app.domain.model_library import CatalogueEntry
from app.ui.main_window import MainWindow
from app.ui.models.window import ModelLibraryWindow
from tests.support.download_helpers import model_file
from tests.support.gguf_server import GgufServer

LONG_MS = 120_000   # a 253 MB file and its SHA-256 on 2 shared cores


def loopback_entry(server: GgufServer, entry_id: str, filename: str) -> CatalogueEntry:
    """A catalogue entry whose file is the server's GGUF (its real checksum)."""
    return CatalogueEntry(
        id=entry_id, name=f"Loopback {entry_id}", family="test", kind="chat",
        use_cases=["chat"], files=[model_file(server, filename)], context_length=32_768,
        licence="test-licence", ram_bytes=900_000_000, good_for="A download from the test server",
        sources=["tests/support/gguf_server.py"])


@pytest.fixture
def add_entries(monkeypatch: pytest.MonkeyPatch):
    """Put extra entries after the shipped catalogue for this test."""
    def add(*entries: CatalogueEntry) -> None:
        shipped = tuple(catalogue.load_catalogue())
        monkeypatch.setattr(catalogue, "_shipped", lambda: shipped + tuple(entries))
    return add


def open_library(window: MainWindow, qtbot) -> ModelLibraryWindow:
    """View > Model Library…, loaded."""
    window.findChild(type(window.actions.model_library), "modelLibraryAction").trigger()
    qtbot.waitUntil(lambda: window.dialogs.get("model-library") is not None, timeout=WAIT_MS)
    library = window.dialogs.get("model-library")
    assert isinstance(library, ModelLibraryWindow)
    qtbot.waitUntil(lambda: library.loaded, timeout=WAIT_MS)
    return library


def catalogue_names(library: ModelLibraryWindow) -> list[str]:
    return [entry.name for entry in library.catalogue.entries()]


def visible_box(parent: QWidget, name: str, qtbot) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [b for b in parent.findChildren(QMessageBox, name) if b.isVisible()]
        return bool(found)
    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def click(box: QMessageBox, label: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == label)
    button.click()
