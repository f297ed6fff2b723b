"""Settings > Local API: serve the agents over HTTP (app/api/), off by default.

The values (on/off, address, port, allowed origins, rate limit) are saved by
the dialog's OK like the other settings.json values; the server then starts,
stops or restarts (app/ui/api_server.py). An address other than the loopback
one is asked about once, when OK saves it. The token lives in the keyring:
shown hidden until Show, copied, or regenerated (asked first) — a regenerated
token is in force at once and the old one gets 401. The status line follows
the running server live, with its request count.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.secrets import API_TOKEN_ENV, SecretError, api_token, regenerate_api_token
from app.settings import ApiSettings
from app.ui.api_server import ApiServerController, is_loopback
from app.ui.dialogs.widgets import FieldMessage

MAX_ORIGINS = 50
MAX_ORIGIN_CHARS = 200
NO_SERVER_NOTE = "Applies when AgentDesk's window starts."


def origin_problem(line: str) -> str | None:
    """Why one allowed origin is refused (None: fine). Origins are scheme://host[:port]."""
    if len(line) > MAX_ORIGIN_CHARS:
        return f"an origin is at most {MAX_ORIGIN_CHARS} characters"
    scheme, sep, rest = line.partition("://")
    if not sep or scheme not in ("http", "https") or not rest or "/" in rest or " " in rest:
        return f"“{line[:60]}” is not an origin like http://localhost:3000"
    return None


class ApiPage(QWidget):
    def __init__(self, server: ApiServerController | None,
                 confirm: Callable[..., object], inform: Callable[..., object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._server = server
        self._confirm = confirm
        self._inform = inform
        self._token_loaded = False
        self.enabled = QCheckBox("Serve the agents over HTTP (the local API)")
        self.enabled.setObjectName("apiEnabledCheck")
        self.host = QLineEdit()
        self.host.setObjectName("apiHostEdit")
        self.host.setPlaceholderText("127.0.0.1")
        self.port = QSpinBox()
        self.port.setObjectName("apiPortSpin")
        self.port.setRange(1, 65535)
        self.port.setAccelerated(True)
        self.host_message = FieldMessage("apiHostMessage")
        self.token = QLineEdit()
        self.token.setObjectName("apiTokenEdit")
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QPushButton("Show")
        self.show_token.setObjectName("apiTokenShowButton")
        self.show_token.setCheckable(True)
        self.copy_token = QPushButton("Copy")
        self.copy_token.setObjectName("apiTokenCopyButton")
        self.regenerate = QPushButton("Regenerate…")
        self.regenerate.setObjectName("apiTokenRegenerateButton")
        self.token_message = FieldMessage("apiTokenMessage")
        self.origins = QPlainTextEdit()
        self.origins.setObjectName("apiOriginsEdit")
        self.origins.setPlaceholderText("none: browsers' pages cannot call the API\n"
                                        "one per line, e.g. http://localhost:3000")
        self.origins.setTabChangesFocus(True)
        self.origins.setFixedHeight(self.origins.fontMetrics().lineSpacing() * 4 + 12)
        self.origins_message = FieldMessage("apiOriginsMessage")
        self.rate = QSpinBox()
        self.rate.setObjectName("apiRateLimitSpin")
        self.rate.setRange(1, 100_000)
        self.rate.setSuffix(" requests a minute per token")
        self.status = QLabel()
        self.status.setObjectName("apiStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)   # an OS error's words
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        address = QHBoxLayout()
        address.addWidget(self.host, 1)
        address.addWidget(QLabel("Port"))
        address.addWidget(self.port)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.show_token)
        token_row.addWidget(self.copy_token)
        token_row.addWidget(self.regenerate)
        intro = QLabel("Other programs on this computer — scripts, editors, any OpenAI "
                       "client at /v1 — can chat with your agents. Every request needs "
                       "the token; documentation at /docs on the address below.")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("", self.enabled)
        form.addRow("Address", address)
        form.addRow("", self.host_message)
        form.addRow("Token", token_row)
        form.addRow("", self.token_message)
        form.addRow("Allowed origins", self.origins)
        form.addRow("", self.origins_message)
        form.addRow("Rate limit", self.rate)
        form.addRow("Status", self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addStretch(1)     # rows keep their height; the space goes below

        self.show_token.toggled.connect(self._show_token)
        self.copy_token.clicked.connect(self.copy)
        self.regenerate.clicked.connect(self._ask_regenerate)
        self.host.textChanged.connect(self._check_host)
        self.origins.textChanged.connect(self._check_origins)
        if server is not None:
            server.sig_changed.connect(self._show_status)
        self._show_status()

    # -- values --------------------------------------------------------------------------
    def set_values(self, api: ApiSettings) -> None:
        self.enabled.setChecked(api.enabled)
        self.host.setText(api.host)
        self.port.setValue(api.port)
        self.origins.setPlainText("\n".join(api.allowed_origins))
        self.rate.setValue(api.rate_limit_per_minute)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        """The token is read (made on first use) when the page is first shown,
        not when Settings opens: the keyring may ask to be unlocked."""
        super().showEvent(event)
        if not self._token_loaded:
            self._token_loaded = True
            self.load_token()

    def values(self, previous: ApiSettings) -> ApiSettings:
        return previous.model_copy(update={
            "enabled": self.enabled.isChecked(),
            "host": self.host.text().strip() or "127.0.0.1",
            "port": self.port.value(),
            "allowed_origins": self.origin_lines(),
            "rate_limit_per_minute": self.rate.value(),
        })

    def origin_lines(self) -> list[str]:
        lines = (line.strip().rstrip("/") for line in self.origins.toPlainText().splitlines())
        return list(dict.fromkeys(line for line in lines if line))

    def problem(self) -> str | None:
        """What stops OK (None: the values can be saved)."""
        return self.origins_message.problem or self.host_message.problem

    def needs_exposure_confirmation(self, previous: ApiSettings) -> bool:
        """True when OK would newly serve on an address other computers can reach."""
        host = self.host.text().strip() or "127.0.0.1"
        return (self.enabled.isChecked() and not is_loopback(host)
                and not (previous.enabled and previous.host == host))

    def _check_host(self, text: str) -> None:
        text = text.strip()
        bad = any(c.isspace() or c in "/@?#" for c in text) or len(text) > 253
        self.host_message.show_problem("an address is an IP or a host name, e.g. 127.0.0.1"
                                       if bad else None)

    def _check_origins(self) -> None:
        lines = self.origin_lines()
        problem = (f"at most {MAX_ORIGINS} origins" if len(lines) > MAX_ORIGINS
                   else next(filter(None, map(origin_problem, lines)), None))
        self.origins_message.show_problem(problem)

    # -- token ---------------------------------------------------------------------------
    def load_token(self) -> None:
        try:
            self.token.setText(api_token())
            self.token.setCursorPosition(0)     # its start shown, not its end
        except SecretError as exc:
            self.token.clear()
            self.token_message.show_problem(str(exc))
            for button in (self.show_token, self.copy_token, self.regenerate):
                button.setEnabled(False)
            return
        from_environment = bool(os.environ.get(API_TOKEN_ENV, "").strip())
        self.regenerate.setEnabled(not from_environment)
        self.token_message.show_problem(
            f"Set by {API_TOKEN_ENV}: change it there." if from_environment else None)

    def _show_token(self, shown: bool) -> None:
        self.token.setEchoMode(QLineEdit.EchoMode.Normal if shown
                               else QLineEdit.EchoMode.Password)
        self.show_token.setText("Hide" if shown else "Show")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.token.text())
        self.status.setText("Token copied to the clipboard. " + self._status_text())

    def _ask_regenerate(self) -> None:
        self._confirm("Regenerate the token?",
                      "Make a new API token? Programs using the current one stop "
                      "working until they are given the new one.",
                      self.regenerate_now, yes_text="Regenerate")

    def regenerate_now(self) -> None:
        try:
            if self._server is not None:
                token = self._server.regenerate_token()
            else:
                token = regenerate_api_token()
        except SecretError as exc:
            self._inform("Token", str(exc), warning=True)
            return
        self.token.setText(token)
        self.token.setCursorPosition(0)

    # -- status --------------------------------------------------------------------------
    def _status_text(self) -> str:
        return self._server.status_text() if self._server is not None else NO_SERVER_NOTE

    def _show_status(self) -> None:
        self.status.setText(self._status_text())
