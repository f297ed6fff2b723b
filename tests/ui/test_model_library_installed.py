"""The Installed tab of the Model Library window: Import .gguf… through the
file picker, the person choosing Copy or Link; the imported models listed with
what their files say (architecture, context, chat template → chat or base);
Info…; Remove… asked first, a link removed without touching its target; an
import refused (not a GGUF, a name already there) says why."""

from __future__ import annotations

from pathlib import Path

from model_library_support import click, open_library, visible_box
from PySide6.QtWidgets import QFileDialog
from window_support import WAIT_MS, open_window

from tests.support.gguf_writer import write_gguf

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"


def tiny_chat_model(folder: Path, name: str = "tiny-chat.gguf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_gguf(folder / name, {
        "general.architecture": "llama", "general.name": "Tiny Chat",
        "general.finetune": "Instruct", "llama.context_length": 4096,
        "tokenizer.chat_template": TEMPLATE})


def tiny_base_model(folder: Path, name: str = "tiny-base.gguf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_gguf(folder / name, {"general.architecture": "llama",
                                      "general.name": "Tiny", "general.finetune": "base",
                                      "llama.context_length": 2048})


def import_through_picker(library, qtbot, path: Path, mode: str) -> None:
    library.installed.import_button.click()
    shown: list[QFileDialog] = []

    def picker_open() -> bool:
        shown[:] = [p for p in library.findChildren(QFileDialog, "importModelPicker")
                    if p.isVisible()]
        return len(shown) == 1
    qtbot.waitUntil(picker_open, timeout=WAIT_MS)
    picker = shown[0]
    picker.fileSelected.emit(str(path))   # what choosing the file and Open sends
    picker.close()
    click(visible_box(library, "importModeQuestion", qtbot), mode)


def row_of(library, name: str):
    tab = library.installed
    assert tab.select(name), tab.names()
    return tab.current_model(), tab.list.currentItem()


def test_import_copy_and_link_info_and_remove(aio, bridge, settings, qtbot, tmp_path):
    outside = tmp_path / "elsewhere"
    chat, base = tiny_chat_model(outside), tiny_base_model(outside)
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    models = library.service.models_dir

    import_through_picker(library, qtbot, chat, "Copy")
    qtbot.waitUntil(lambda: "tiny-chat" in library.installed.names(), timeout=WAIT_MS)
    assert library.tabs.currentWidget() is library.installed
    copied, item = row_of(library, "tiny-chat")
    assert copied.source == "import-copy" and not (models / "tiny-chat.gguf").is_symlink()
    assert (models / "tiny-chat.gguf").read_bytes() == chat.read_bytes()
    assert [item.text(i) for i in (2, 4, 5, 6)] == ["llama", "4K", "chat", "imported (copy)"]

    import_through_picker(library, qtbot, base, "Link")
    qtbot.waitUntil(lambda: "tiny-base" in library.installed.names(), timeout=WAIT_MS)
    linked, item = row_of(library, "tiny-base")
    assert (models / "tiny-base.gguf").is_symlink() and linked.source == "import-link"
    assert [item.text(i) for i in (5, 6)] == ["base (completes text)", "linked"]

    # Info… shows what the file says, as plain text.
    library.installed.info_button.click()
    info = visible_box(library, "infoMessage", qtbot)
    assert "Architecture: llama" in info.text() and "Chat template: no" in info.text()
    assert "base model completes text" in info.text()
    info.close()

    # Remove… the link: asked first; the link goes, the file it pointed to stays.
    library.installed.remove_button.click()
    click(visible_box(library, "confirmMessage", qtbot), "Cancel")
    assert (models / "tiny-base.gguf").is_symlink()
    library.installed.remove_button.click()
    confirm = visible_box(library, "confirmMessage", qtbot)
    assert "file it points to is kept" in confirm.informativeText()
    click(confirm, "Remove")
    qtbot.waitUntil(lambda: "tiny-base" not in library.installed.names(), timeout=WAIT_MS)
    assert not (models / "tiny-base.gguf").exists() and base.exists()

    # The copy is removed from the disk.
    row_of(library, "tiny-chat")
    library.installed.remove_button.click()
    click(visible_box(library, "confirmMessage", qtbot), "Remove")
    qtbot.waitUntil(lambda: "tiny-chat" not in library.installed.names(), timeout=WAIT_MS)
    assert not (models / "tiny-chat.gguf").exists() and chat.exists()
    library.close()


def test_refused_imports_say_why(aio, bridge, settings, qtbot, tmp_path):
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("<b>not a model</b>")
    chat = tiny_chat_model(tmp_path / "a")
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)

    import_through_picker(library, qtbot, not_gguf, "Copy")
    box = visible_box(library, "warningMessage", qtbot)
    assert box.windowTitle() == "Cannot import" and "GGUF" in box.text()
    box.close()
    assert "notes" not in library.installed.names()
    assert library.installed.status.text().startswith("Not imported:")

    import_through_picker(library, qtbot, chat, "Copy")
    qtbot.waitUntil(lambda: "tiny-chat" in library.installed.names(), timeout=WAIT_MS)
    import_through_picker(library, qtbot, chat, "Link")     # the same name again
    qtbot.waitUntil(lambda: any(b.isVisible() and b.windowTitle() == "Cannot import"
                                for b in library.findChildren(type(box), "warningMessage")),
                    timeout=WAIT_MS)
    assert library.installed.names().count("tiny-chat") == 1
    library.close()
