"""The composer's attachments: an "Attach files" button, a row of chips (one
per attached file, × removes it, the tooltip says what was done to it), and
the attachments shown under a sent message. Files are read through
app.ops.attachments (the same job the CLI's ``chat --attach`` does)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QStyle,
    QToolButton,
    QWidget,
)

from app.domain import AgentSpec
from app.domain.attachments import Attachment
from app.ops import attachments as attachment_ops
from app.settings import AppSettings
from app.ui.file_dialogs import file_dialog

FILE_FILTER = ("Images and documents (*.png *.jpg *.jpeg *.webp *.gif *.pdf *.docx *.pptx "
               "*.xlsx *.html *.htm *.md *.txt *.csv *.py *.js *.ts *.json);;All files (*)")
THUMB = 40


def _chip_text(attachment: Attachment) -> str:
    # Words only: the fonts the app ships have no emoji (they drew as boxes).
    return attachment.label


def _file_icon(widget: QWidget) -> QIcon:
    return widget.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)


def thumbnail(attachment: Attachment, side: int = THUMB) -> QPixmap | None:
    """A small picture of an image attachment (None for documents)."""
    if attachment.kind != "image" or not attachment.data:
        return None
    pixmap = QPixmap()
    if not pixmap.loadFromData(attachment.data):
        return None
    return pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)


def chip_tooltip(attachment: Attachment) -> str:
    return "\n".join(filter(None, [attachment.label, attachment.note]))


class AttachmentBar(QWidget):
    """The attachments waiting to be sent with the next message."""

    #: Why files could not be attached (one line per file).
    sig_refused = Signal(str)
    sig_changed = Signal()

    def __init__(self, settings: AppSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentBar")
        self._settings = settings or AppSettings()
        self.attachments: list[Attachment] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        self.setVisible(False)

    def set_settings(self, settings: AppSettings) -> None:
        self._settings = settings

    def add_paths(self, paths: list[Path]) -> list[Attachment]:
        added, problems = attachment_ops.attach_paths(self._settings, paths,
                                                      already=len(self.attachments))
        for attachment in added:
            self._add(attachment)
        if problems:
            self.sig_refused.emit("\n".join(problems))
        return added

    def add_image(self, image: QImage, name: str = "pasted image.png") -> Attachment | None:
        """A pasted picture, encoded as PNG and attached like a file."""
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        try:
            attachment = attachment_ops.attach_image(self._settings, bytes(data.data()), name)
        except attachment_ops.AttachmentError as exc:
            self.sig_refused.emit(str(exc))
            return None
        self._add(attachment)
        return attachment

    def take(self) -> list[Attachment]:
        """The attachments, and an empty bar (they go with the message)."""
        taken, self.attachments = self.attachments, []
        self._redraw()
        return taken

    def put_back(self, attachments: list[Attachment]) -> None:
        for attachment in attachments:
            self._add(attachment)

    def remove(self, index: int) -> None:
        del self.attachments[index]
        self._redraw()

    def _add(self, attachment: Attachment) -> None:
        self.attachments.append(attachment)
        self._redraw()

    def _redraw(self) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()          # gone from view now, deleted when Qt is idle
                widget.deleteLater()
        for index, attachment in enumerate(self.attachments):
            chip = QToolButton()
            chip.setObjectName("attachmentChip")
            chip.setText(_chip_text(attachment) + "  ×")
            chip.setToolTip(chip_tooltip(attachment) + "\nClick to remove")
            chip.setAccessibleName(f"Attached {attachment.name}; click to remove")
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            pixmap = thumbnail(attachment, 20)
            chip.setIcon(QIcon(pixmap) if pixmap is not None else _file_icon(chip))
            chip.clicked.connect(lambda _=False, i=index: self.remove(i))
            self._layout.insertWidget(index, chip)
        self.setVisible(bool(self.attachments))
        self.sig_changed.emit()


def attach_button(bar: AttachmentBar, parent: QWidget | None = None) -> QToolButton:
    """The composer's "Attach files…" button (``attachButton``)."""
    button = QToolButton(parent)
    button.setObjectName("attachButton")
    button.setText("Attach")
    button.setIcon(_file_icon(button))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setToolTip("Attach files: images for vision models, or documents "
                      "(PDF, DOCX, PPTX, XLSX, HTML, Markdown, text, code)")
    button.setAccessibleName("Attach files")
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def choose() -> None:
        # The project's safe picker (app/ui/file_dialogs.py: never opens the
        # files it lists), window-modal; the files chosen are attached.
        picker = file_dialog(button.window(), "Attach files", str(Path.home()), FILE_FILTER)
        picker.setObjectName("attachDialog")
        picker.setFileMode(QFileDialog.FileMode.ExistingFiles)
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.filesSelected.connect(lambda paths: bar.add_paths([Path(p) for p in paths]))
        picker.open()

    button.clicked.connect(choose)
    return button


def add_vision_switch(composer, settings: AppSettings,
                      current_agent: Callable[[], AgentSpec | None]) -> QAction:
    """The attach button's menu: "Model can see images", the person's
    per-model switch for providers that do not say (saved in the settings;
    app.ops.attachments.set_model_vision). Also gives the bar the window's
    settings."""
    composer.attachments.set_settings(settings)
    button: QToolButton = composer.attach_button
    menu = QMenu(button)
    action = menu.addAction("Model can see images")
    action.setObjectName("visionSwitch")
    action.setCheckable(True)
    action.setToolTip("Send images to this agent's model (for servers that do not say "
                      "whether a model has vision; Ollama says so itself)")

    def refresh() -> None:
        agent = current_agent()
        # An 'auto' model is a different model from turn to turn: the switch
        # belongs to the model it resolves to (set it on that model's agent).
        action.setEnabled(agent is not None and bool(agent.model)
                          and agent.model.lower() != "auto")
        action.setChecked(agent is not None and attachment_ops.model_sees_images(
            settings, agent.provider, agent.model))

    def toggled(checked: bool) -> None:
        agent = current_agent()
        if agent is not None and agent.model and agent.model.lower() != "auto":
            attachment_ops.set_model_vision(settings, agent.provider, agent.model, checked)

    menu.aboutToShow.connect(refresh)
    action.triggered.connect(toggled)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return action


class MessageAttachments(QWidget):
    """The attachments under a sent message: thumbnails and chips (plain
    text: a file's name is untrusted)."""

    def __init__(self, attachments: list[Attachment], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageAttachments")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(6)
        for attachment in attachments:
            label = QLabel()
            label.setObjectName("messageAttachment")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setToolTip(chip_tooltip(attachment))
            pixmap = thumbnail(attachment, 96)
            if pixmap is not None:
                label.setPixmap(pixmap)
            else:
                label.setText(_chip_text(attachment))
                label.setStyleSheet("QLabel { border: 1px solid palette(mid); "
                                    "border-radius: 4px; padding: 3px 8px; }")
            layout.addWidget(label)
        layout.addStretch(1)
