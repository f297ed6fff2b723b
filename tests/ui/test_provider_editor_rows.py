"""Add Provider shows only the rows that apply to the chosen kind (the embedded
engine: name and model file, no URL, no key), with nothing clipped, in light
and dark, and while the kind is switched back and forth in one open dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialog_helpers import host
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.services.provider_service import KIND_LABELS
from app.ui.dialogs.provider_editor import MODEL_FILE_PROBLEM, ProviderEditor, rows_for
from app.ui.theme import ThemeManager
from tests.ui.pixel_support import pixel

__all__ = ["host"]

SERVER_ROWS = {"kind", "name", "url", "key", "enabled", "runs"}
EXPECTED = {"ollama": SERVER_ROWS, "lmstudio": SERVER_ROWS, "llamacpp": SERVER_ROWS,
            "openai": SERVER_ROWS,
            "embedded": {"kind", "name", "model_file", "enabled", "runs"}}


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def open_editor(host: QWidget, qtbot, *, keyring: bool = True) -> ProviderEditor:
    editor = ProviderEditor(None, taken_names=[], keyring_available=keyring, parent=host)
    editor.open()
    qtbot.waitExposed(editor)
    return editor


def choose_kind(editor: ProviderEditor, kind: str) -> None:
    editor.kind.setCurrentIndex(editor.kind.findData(kind))
    settle()


def shown_rows(editor: ProviderEditor) -> set[str]:
    """Rows whose field AND label a person can see."""
    rows = set()
    for row, field in editor.rows.items():
        label = editor.form.labelForField(field)
        if field.isVisible():
            rows.add(row)
            assert label is None or label.isVisible() or not label.text(), row
        else:
            assert label is None or not label.isVisible(), f"label of hidden row {row}"
    return rows


def clipped(editor: ProviderEditor) -> list[str]:
    """Visible widgets that do not fit: outside the dialog, or a wrapped text
    shorter than its text needs at its width."""
    found = []
    area = editor.rect()
    for widget in editor.findChildren(QWidget):
        if not widget.isVisible() or widget.width() == 0:
            continue
        box = QRect(widget.mapTo(editor, QPoint(0, 0)), widget.size())
        if not area.contains(box):
            found.append(f"{widget.objectName() or type(widget).__name__} outside {box}")
        # Wrapped text (and a box holding some) needs its height for its width.
        needed = (widget.heightForWidth(widget.width()) if widget.hasHeightForWidth()
                  else widget.minimumSizeHint().height())
        if widget.height() < needed:
            found.append(f"{widget.objectName() or type(widget).__name__} cut: "
                         f"{widget.height()} < {needed}")
    return found


def test_rows_for_each_kind() -> None:
    assert set(KIND_LABELS) == set(EXPECTED)
    for kind, rows in EXPECTED.items():
        assert rows_for(kind) == rows


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_kind_shows_its_rows_and_nothing_clipped(kind: str, host, qtbot) -> None:
    editor = open_editor(host, qtbot)
    choose_kind(editor, kind)
    assert shown_rows(editor) == EXPECTED[kind] == editor.visible_rows()
    assert clipped(editor) == []
    # No problem is shown before the person typed anything (the name is empty,
    # and for the embedded engine the model file too: OK is simply disabled).
    assert [m.objectName() for m in editor.findChildren(QLabel)
            if m.objectName().endswith("Message") and m.isVisible()] == []
    assert not editor.ok_button.isEnabled()
    editor.reject()


def test_switching_kinds_in_one_dialog_adds_and_removes_whole_rows(host, qtbot) -> None:
    editor = open_editor(host, qtbot)
    heights = {}
    for kind in ("ollama", "embedded", "openai", "embedded", "llamacpp"):
        choose_kind(editor, kind)
        assert shown_rows(editor) == EXPECTED[kind]
        assert clipped(editor) == []
        heights.setdefault(kind, editor.height())
        assert editor.height() == heights[kind]      # same kind, same size each time
    assert heights["embedded"] < heights["openai"]  # no empty rows left behind
    editor.reject()


def test_messages_under_fields_get_room(host, qtbot) -> None:
    editor = open_editor(host, qtbot, keyring=False)
    choose_kind(editor, "openai")
    qtbot.keyClicks(editor.name, "x")
    qtbot.keyClick(editor.name, "\b")                # typed, then emptied: required
    editor.url.setText("not a url")
    editor.key_env.setText("sk-not-a-name")
    settle()
    shown = [m for m in (editor.name_message, editor.url_message, editor.key_message)
             if m.isVisible()]
    assert len(shown) == 3 and clipped(editor) == []
    editor.reject()


def test_without_a_keyring_the_variable_and_its_note_fit(host, qtbot) -> None:
    editor = open_editor(host, qtbot, keyring=False)
    choose_kind(editor, "openai")
    assert editor.key_env.isVisible() and not editor.api_key.isVisible()
    assert "environment variable" in editor.key_note.text() and editor.key_note.isVisible()
    assert clipped(editor) == []
    choose_kind(editor, "embedded")
    assert not editor.key_note.isVisible() and clipped(editor) == []
    editor.reject()


def test_embedded_asks_for_the_model_file_at_its_own_row(host, qtbot, tmp_path) -> None:
    editor = open_editor(host, qtbot)
    choose_kind(editor, "embedded")
    qtbot.keyClicks(editor.name, "Local engine")
    assert not editor.ok_button.isEnabled()
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    qtbot.keyClicks(editor.model_path, "x")
    editor.model_path.clear()                         # typed, then emptied
    assert editor.model_path_message.isVisible()
    assert editor.model_path_message.text() == MODEL_FILE_PROBLEM
    assert not editor.url_message.isVisible()
    assert clipped(editor) == []                      # the message has room
    editor._model_file_chosen(str(model))             # what the file picker does
    assert not editor.model_path_message.isVisible() and editor.ok_button.isEnabled()
    config = editor.config()
    assert (config.kind, config.base_url, config.model_path) == ("embedded", "", str(model))
    editor.reject()


@pytest.fixture
def theme(qapp):
    return ThemeManager(qapp)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_each_kind(scheme: str, theme, host, qtbot,
                                  screenshot_dir: Path) -> None:
    theme.apply(scheme)
    editor = open_editor(host, qtbot)
    for kind in ("embedded", "openai"):
        choose_kind(editor, kind)
        assert clipped(editor) == []
        path = screenshot_dir / f"provider-editor-{kind}-{scheme}.png"
        assert editor.grab().save(str(path))
        background = QColor(pixel(editor.grab().toImage(), editor, editor,
                                  QPoint(editor.width() - 3, editor.height() - 3)))
        assert (background.lightness() < 128) == (scheme == "dark")
    editor.reject()
