"""Add or edit one provider: kind, name, URL (or model file), API key, enabled.

The key typed here is handed to the caller (``sig_accepted``), which stores it
in the OS keyring; the database only ever gets the reference. Without a
keyring the key field is replaced by an environment-variable name.

Only the rows that apply to the chosen kind are shown (``rows_for``): the embedded
engine has a model file and neither URL nor key; the servers have a URL and a
key. Whole rows (label and field) are hidden, and the dialog's height follows
its rows, so nothing is clipped and no empty row is left behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.secrets import ENV_NAME
from app.domain import ProviderConfig
from app.domain.provider import DEFAULT_BASE_URLS, derive_is_local
from app.ops.providers import url_problem
from app.services.provider_service import KIND_LABELS
from app.ui.dialogs.widgets import FieldMessage
from app.ui.file_dialogs import file_dialog

NO_KEYRING_NOTE = ("No system keyring is available here, so AgentDesk cannot store the "
                   "key itself. Put the key in an environment variable and enter the "
                   "variable's name.")
KEY_KINDS = {"openai", "lmstudio", "llamacpp", "ollama"}
URL_KINDS = KEY_KINDS
MODEL_FILE_KINDS = {"embedded"}
MODEL_FILE_PROBLEM = "Choose the .gguf model file."


def rows_for(kind: str) -> set[str]:
    """The form rows shown for a provider ``kind``."""
    rows = {"kind", "name", "enabled", "runs"}
    if kind in URL_KINDS:
        rows.add("url")
    if kind in KEY_KINDS:
        rows.add("key")
    if kind in MODEL_FILE_KINDS:
        rows.add("model_file")
    return rows


class ProviderEditor(QDialog):
    #: (config, api key typed or None, environment variable name or None)
    sig_accepted = Signal(object, object, object)

    def __init__(self, config: ProviderConfig | None, *, taken_names: Iterable[str],
                 keyring_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("providerEditor")
        self.setWindowTitle("Edit Provider" if config else "Add Provider")
        self.setMinimumWidth(480)
        self._config = config
        self._taken = {n.lower() for n in taken_names} - (
            {config.name.lower()} if config else set())
        self._keyring = keyring_available
        self._messages_shown: tuple[bool, ...] = ()   # which field messages show

        self.kind = QComboBox()
        self.kind.setObjectName("providerKindCombo")
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.name = QLineEdit()
        self.name.setObjectName("providerNameEdit")
        self.name_message = FieldMessage("providerNameMessage")
        self.url = QLineEdit()
        self.url.setObjectName("providerUrlEdit")
        self.url_message = FieldMessage("providerUrlMessage")
        self.model_path = QLineEdit()
        self.model_path.setObjectName("providerModelPathEdit")
        self.model_path.setPlaceholderText("a .gguf file on this computer")
        self.model_path_button = QPushButton("Choose…")
        self.model_path_button.setObjectName("providerModelPathButton")
        self.model_path_message = FieldMessage("providerModelPathMessage")
        self.api_key = QLineEdit()
        self.api_key.setObjectName("providerApiKeyEdit")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_env = QLineEdit()
        self.key_env.setObjectName("providerKeyEnvEdit")
        self.key_env.setPlaceholderText("e.g. OPENAI_API_KEY")
        self.key_message = FieldMessage("providerKeyMessage")
        self.key_note = QLabel()
        self.key_note.setObjectName("providerKeyNote")
        self.key_note.setWordWrap(True)
        self.enabled = QCheckBox("Enabled")
        self.enabled.setObjectName("providerEnabledCheck")
        self.locality = QLabel()
        self.locality.setObjectName("providerLocality")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("providerSaveButton")

        self._build()
        self._fill(config)
        self._wire()
        self._kind_changed()

    def _build(self) -> None:
        self.form = form = QFormLayout()
        # Wrapped notes take the width they are given and grow downwards.
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        path_row = QHBoxLayout()
        path_row.setContentsMargins(0, 0, 0, 0)
        path_row.addWidget(self.model_path, 1)
        path_row.addWidget(self.model_path_button)
        path_box = QWidget()
        path_box.setLayout(path_row)
        self._path_box = _column(path_box, self.model_path_message)
        #: row name -> the field widget (its label is the form's)
        self.rows: dict[str, QWidget] = {
            "kind": self.kind,
            "name": _column(self.name, self.name_message),
            "url": _column(self.url, self.url_message),
            "model_file": self._path_box,
            "key": _column(self.api_key, self.key_env, self.key_note, self.key_message),
            "enabled": self.enabled,
            "runs": self.locality,
        }
        labels = {"kind": "&Kind", "name": "&Name", "url": "&URL",
                  "model_file": "Model &file (.gguf)", "key": "API &key", "enabled": "",
                  "runs": "Runs"}
        for row, field in self.rows.items():
            form.addRow(labels[row], field)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def visible_rows(self) -> set[str]:
        """The rows shown now (tests and screenshots)."""
        return {row for row, field in self.rows.items() if self.form.isRowVisible(field)}

    def _fill(self, config: ProviderConfig | None) -> None:
        kind = config.kind if config else "ollama"
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.name.setText(config.name if config else "")
        self.url.setText(config.base_url if config else DEFAULT_BASE_URLS[kind])
        self.model_path.setText(config.model_path or "" if config else "")
        self.enabled.setChecked(config.enabled if config else True)
        ref = config.api_key_ref if config else None
        if ref and ref.startswith("env:"):
            self.key_env.setText(ref.removeprefix("env:"))
        if self._keyring:
            stored = bool(ref and ref.startswith("keyring:"))
            self.api_key.setPlaceholderText(
                "•••••• stored in the keyring — type to replace" if stored
                else "optional; stored in the system keyring")
            self.key_note.setText("Kept in the system keyring, never in AgentDesk's files.")
            self.key_env.setVisible(bool(ref and ref.startswith("env:")))
        else:
            self.api_key.hide()
            self.key_note.setText(NO_KEYRING_NOTE)

    def _wire(self) -> None:
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for edit in (self.name, self.url, self.key_env, self.api_key, self.model_path):
            edit.textChanged.connect(self._validate)
        self.model_path_button.clicked.connect(self._choose_model_file)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _kind_changed(self, *_args: object) -> None:
        kind = self.kind.currentData()
        embedded = kind == "embedded"
        if not self.url.isModified() and (self._config is None or
                                          self._config.kind != kind):
            self.url.setText(DEFAULT_BASE_URLS[kind])
        shown = rows_for(kind)
        for row, field in self.rows.items():
            self.form.setRowVisible(field, row in shown)
        self.url.setEnabled(not embedded)
        self.api_key.setEnabled(kind in KEY_KINDS)
        self._validate()
        self._fit_height()

    def _fit_height(self, *, shrink: bool = True) -> None:
        """Fit the height to the rows and messages now shown. With a minimum
        width set, Qt no longer takes the minimum height from the layout, and
        the wrapped key note was clipped: the minimum height is what the rows
        need at the narrowest width (they need no more when wider). ``shrink``:
        also give back the height of rows just hidden."""
        layout = self.layout()
        layout.invalidate()
        layout.activate()
        self.setMinimumHeight(self._height_for(self.minimumWidth()))  # grows the dialog
        if not shrink:
            return
        shown_width = self.width() if self.isVisible() else self.sizeHint().width()
        width = max(shown_width, self.minimumWidth())
        self.resize(width, self._height_for(width))

    def _height_for(self, width: int) -> int:
        layout = self.layout()
        if layout.hasHeightForWidth():
            return layout.totalHeightForWidth(width)
        return layout.totalSizeHint().height()

    def _choose_model_file(self) -> None:
        picker = file_dialog(self, "GGUF model file", self.model_path.text(),
                             "GGUF models (*.gguf)")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(self._model_file_chosen)
        picker.open()

    def _model_file_chosen(self, path: str) -> None:
        self.model_path.setText(path)
        self.model_path.setModified(True)

    # -- validation and result ------------------------------------------------------------
    def problems(self) -> dict[str, str]:
        kind = self.kind.currentData()
        name = self.name.text().strip()
        found: dict[str, str | None] = {
            "name": ("A name is required." if not name else
                     f"A provider called “{name}” exists already." if name.lower()
                     in self._taken else None),
            "url": url_problem(kind, self.url.text()),
            "key": None,
        }
        env = self.key_env.text().strip()
        if env and not ENV_NAME.fullmatch(env):
            found["key"] = ("Enter the NAME of an environment variable (letters, digits, "
                            "_), not the key itself.")
        if kind in MODEL_FILE_KINDS:
            found["url"] = None
            if not self.model_path.text().strip():
                found["model_file"] = MODEL_FILE_PROBLEM
        return {k: v for k, v in found.items() if v}

    def _validate(self, *_args: object) -> None:
        problems = self.problems()
        self.name_message.show_problem(problems.get("name") if self.name.isModified()
                                       or self._config else None)
        self.url_message.show_problem(problems.get("url"))
        self.key_message.show_problem(problems.get("key"))
        # An empty model file is said once the person touched the field; until
        # then the placeholder and the disabled OK button say it.
        self.model_path_message.show_problem(
            problems.get("model_file") if self.model_path.isModified()
            or self.model_path.text() else None)
        messages = (self.name_message, self.url_message, self.key_message,
                    self.model_path_message)
        shown = tuple(m.isVisibleTo(self) for m in messages)
        if shown != self._messages_shown:
            self._fit_height(shrink=False)   # a message appeared: room for it
        self._messages_shown = shown
        kind = self.kind.currentData()
        local = derive_is_local(kind, self.url.text())
        self.locality.setText("on this computer (local)" if local
                              else "in the cloud (messages leave this computer)")
        self.ok_button.setEnabled(not problems)

    def config(self) -> ProviderConfig:
        kind = self.kind.currentData()
        url = "" if kind == "embedded" else self.url.text().strip().rstrip("/")
        ref = self._config.api_key_ref if self._config else None
        return ProviderConfig(
            id=self._config.id if self._config else None,
            name=self.name.text().strip(), kind=kind, base_url=url, api_key_ref=ref,
            model_path=self.model_path.text().strip() or None if kind == "embedded"
            else None,
            enabled=self.enabled.isChecked(), is_local=derive_is_local(kind, url))

    def accept(self) -> None:
        if self.problems():
            return
        try:
            config = self.config()
        except ValidationError as exc:
            self.name_message.show_problem(exc.errors()[0]["msg"])
            return
        key = self.api_key.text() or None
        env = self.key_env.text().strip() or None
        self.sig_accepted.emit(config, key, env if not key else None)
        super().accept()


def _column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box
