"""The empty chat's greeting: who answers (the agent's name and model) and a
few starter prompts; clicking one puts it in the composer (``sig_starter``).

Shown by the chat view while a new chat has no messages, in place of an
empty column. Names and prompts are the user's data: plain text only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.ui.chat.frames import set_text_colour
from app.ui.chat.theme import ChatTheme
from app.ui.plain_text import tooltip

NAME_CHARS = 80  # a longer agent name is cut (it is one heading line)
MIN_BUTTON_WIDTH = 60  # px: below their text's width, so they never widen the view
STARTER_WIDTH = 600  # px: starter buttons are a column this wide (narrower views: less);
# 520 cut the longest built-in starter at the app's 11 pt


class ChatGreeting(QWidget):
    #: A starter prompt was chosen (its text).
    sig_starter = Signal(str)

    def __init__(self, theme: ChatTheme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatGreeting")
        self._theme = theme
        self.title = QLabel()
        self.title.setObjectName("greetingTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.title.setWordWrap(True)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.model = QLabel()
        self.model.setObjectName("greetingModel")
        self.model.setTextFormat(Qt.TextFormat.PlainText)
        self.model.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.hint = QLabel("Try one of these, or type your own message below:")
        self.hint.setObjectName("greetingHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.buttons: list[QPushButton] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(24, 48, 24, 24)
        self._layout.setSpacing(8)
        for label in (self.title, self.model):
            self._layout.addWidget(label)
        self._layout.addSpacing(16)
        self._layout.addWidget(self.hint)
        # One centred column, as wide as the longest prompt (at most STARTER_WIDTH).
        self._column = QWidget()
        self._column.setMaximumWidth(STARTER_WIDTH)
        self._starters = QVBoxLayout(self._column)
        self._starters.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self._column, 0, Qt.AlignmentFlag.AlignHCenter)
        self._apply_colours()

    def set_agent(self, name: str, model: str, provider: str, starters: list[str]) -> None:
        """Greet for this agent, with these starter prompts."""
        shown = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        self.title.setText(f"Chat with {shown}")
        where = model or "auto (picked for each message)"
        self.model.setText(f"Model: {where}" + (f" via {provider}" if provider and model
                                                 else ""))
        for button in self.buttons:
            button.setParent(None)
            button.deleteLater()
        self.buttons = []
        for text in starters:
            button = QPushButton(text)
            button.setObjectName("starterButton")
            button.setToolTip(tooltip(text))
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            # Narrow views (the quick chat) cut long prompts instead of widening.
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(MIN_BUTTON_WIDTH)
            button.clicked.connect(lambda _checked=False, t=text: self.sig_starter.emit(t))
            self._starters.addWidget(button)
            self.buttons.append(button)
        self.hint.setVisible(bool(starters))

    def starters(self) -> list[str]:
        return [button.text() for button in self.buttons]

    def restyle(self, theme: ChatTheme) -> None:
        self._theme = theme
        self._apply_colours()

    def _apply_colours(self) -> None:
        set_text_colour(self.title, self._theme.text)
        set_text_colour(self.model, self._theme.accent)
        set_text_colour(self.hint, self._theme.muted)
