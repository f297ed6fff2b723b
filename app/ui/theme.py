"""Light, dark or follow-the-system appearance, and the font size.

The Fusion style is used everywhere: it draws the same on every platform and
honours a palette completely, so dark really is dark (native styles on some
platforms ignore parts of a custom palette); app/ui/contrast_style.py wraps it so
check boxes and radio buttons keep a visible outline in dark.

"Follow system" reads ``QStyleHints.colorScheme()`` (Qt 6.5+) and follows
``colorSchemeChanged``; where the platform reports no scheme it falls back to
the lightness of the platform's own palette. Explicit light / dark also call
``QStyleHints.setColorScheme`` (Qt 6.8+) so native dialogs and title bars
match where the platform supports it.
"""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from app.ui.contrast_style import ContrastStyle

log = logging.getLogger(__name__)

ThemeName = Literal["light", "dark", "system"]
THEMES: tuple[ThemeName, ...] = ("light", "dark", "system")
THEME_LABELS: dict[str, str] = {"light": "Light", "dark": "Dark", "system": "Follow system"}
MIN_FONT_SIZE, MAX_FONT_SIZE = 6, 48

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# The dark palette: calm greys with enough contrast for text (WCAG AA on Base).
_DARK = {
    _Role.Window: "#2b2d31",
    _Role.WindowText: "#e6e6e6",
    _Role.Base: "#1e1f22",
    _Role.AlternateBase: "#26282c",
    _Role.ToolTipBase: "#3a3d42",
    _Role.ToolTipText: "#f0f0f0",
    _Role.PlaceholderText: "#8b8f96",
    _Role.Text: "#e6e6e6",
    _Role.Button: "#35373c",
    _Role.ButtonText: "#e6e6e6",
    _Role.BrightText: "#ff6b6b",
    _Role.Light: "#4a4d52",
    _Role.Midlight: "#404348",
    _Role.Mid: "#2f3136",
    _Role.Dark: "#1a1b1e",
    _Role.Shadow: "#0d0d0f",
    _Role.Highlight: "#3d7bd9",
    _Role.HighlightedText: "#ffffff",
    _Role.Link: "#6cb0ff",
    _Role.LinkVisited: "#b59cff",
}
_DARK_DISABLED = {
    _Role.WindowText: "#7c7f85",
    _Role.Text: "#7c7f85",
    _Role.ButtonText: "#7c7f85",
    _Role.Base: "#25272a",
    _Role.Button: "#2f3135",
    _Role.Highlight: "#4a4d52",
    _Role.HighlightedText: "#a0a3a8",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role, color in _DARK_DISABLED.items():
        palette.setColor(_Group.Disabled, role, QColor(color))
    return palette


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    palette = QPalette(style.standardPalette())
    palette.setColor(_Role.Highlight, QColor("#2f6fd0"))
    palette.setColor(_Role.Link, QColor("#1a5fb4"))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(_Role.Window).lightness() < 128


def system_prefers_dark(platform_palette: QPalette | None = None) -> bool:
    """The platform's colour scheme, or the lightness of its palette."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    palette = platform_palette if platform_palette is not None else QPalette()
    return is_dark(palette)


class ThemeManager(QObject):
    """Applies the appearance to the whole application and announces changes."""

    #: The effective scheme after a change: "light" or "dark".
    sig_theme_changed = Signal(str)
    #: The application font's new point size.
    sig_font_size_changed = Signal(int)

    def __init__(self, app: QApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._theme: ThemeName = "system"
        self._font_size: int | None = None
        self._effective = ""
        self._platform_palette = QPalette(app.palette())
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_system_scheme_changed)

    @property
    def theme(self) -> ThemeName:
        return self._theme

    @property
    def effective(self) -> str:
        """"light" or "dark": what is shown now."""
        return self._effective

    @property
    def font_size(self) -> int | None:
        return self._font_size

    def apply(self, theme: ThemeName, font_size: int | None = None) -> None:
        """Switch the appearance now (also used on start)."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        self._theme = theme
        self._request_scheme(theme)
        if not isinstance(self._app.style(), ContrastStyle):
            self._app.setStyle(ContrastStyle())
        if font_size is not None:
            self.set_font_size(font_size)
        self._refresh()

    def set_font_size(self, points: int) -> None:
        points = max(MIN_FONT_SIZE, min(MAX_FONT_SIZE, int(points)))
        if points == self._font_size:
            return
        self._font_size = points
        font = QFont(self._app.font())
        font.setPointSize(points)
        self._app.setFont(font)
        self.sig_font_size_changed.emit(points)

    # -- internals ---------------------------------------------------------------
    def _request_scheme(self, theme: ThemeName) -> None:
        hints = QGuiApplication.styleHints()
        setter = getattr(hints, "setColorScheme", None)  # Qt 6.8+
        if setter is None:
            return
        setter({"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark,
                "system": Qt.ColorScheme.Unknown}[theme])

    def _wanted_dark(self) -> bool:
        if self._theme == "system":
            return system_prefers_dark(self._platform_palette)
        return self._theme == "dark"

    def _refresh(self) -> None:
        dark = self._wanted_dark()
        palette = dark_palette() if dark else light_palette()
        self._app.setPalette(palette)
        effective = "dark" if dark else "light"
        if effective != self._effective:
            self._effective = effective
            log.info("appearance: %s (%s)", effective, self._theme)
            self.sig_theme_changed.emit(effective)

    def _on_system_scheme_changed(self, *_args: object) -> None:
        if self._theme == "system":
            self._refresh()


_manager: ThemeManager | None = None


def theme_manager(app: QApplication | None = None) -> ThemeManager:
    """The application's ThemeManager (created on first use)."""
    global _manager
    if _manager is None:
        instance = app or QApplication.instance()
        if not isinstance(instance, QApplication):
            raise RuntimeError("theme_manager() needs a QApplication")
        _manager = ThemeManager(instance)
    return _manager
