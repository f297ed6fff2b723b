"""Colours of the chat view, taken from the Qt palette so light and dark both work."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from app.ui.chat.markdown_render import RenderStyle

LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "github-dark"


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


@dataclass(frozen=True)
class ChatTheme:
    dark: bool
    text: str
    muted: str
    base: str
    user_bubble: str
    assistant_bubble: str
    accent: str
    border: str
    error_bg: str
    error_text: str
    render: RenderStyle

    @classmethod
    def from_palette(cls, palette: QPalette) -> ChatTheme:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        link = palette.color(QPalette.ColorRole.Link)
        dark = base.lightness() < 128
        muted = _mix(text, base, 0.4)
        border = _mix(base, text, 0.22)
        code_bg = _mix(base, text, 0.06 if not dark else 0.08)
        code_header = _mix(base, text, 0.12)
        if dark and link.lightness() < 140:
            link = QColor("#58a6ff")
        error = QColor("#d1242f") if not dark else QColor("#f85149")
        render = RenderStyle(
            text=text.name(), muted=muted.name(), link=link.name(),
            code_bg=code_bg.name(), code_header_bg=code_header.name(), border=border.name(),
            pygments_style=DARK_CODE_STYLE if dark else LIGHT_CODE_STYLE,
        )
        return cls(
            dark=dark, text=text.name(), muted=muted.name(), base=base.name(),
            user_bubble=_mix(base, highlight, 0.14 if not dark else 0.28).name(),
            assistant_bubble=base.name(), accent=highlight.name(), border=border.name(),
            error_bg=_mix(base, error, 0.12 if not dark else 0.22).name(),
            error_text=error.name(), render=render,
        )


def make_palette(dark: bool) -> QPalette:
    """A plain light or dark palette (for screenshots, tests and the theme setting)."""
    palette = QPalette()
    if dark:
        colours = {
            QPalette.ColorRole.Window: "#1f2227", QPalette.ColorRole.WindowText: "#e6e6e6",
            QPalette.ColorRole.Base: "#16181c", QPalette.ColorRole.AlternateBase: "#22252b",
            QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#2b2f36",
            QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7bd9",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#58a6ff",
            QPalette.ColorRole.ToolTipBase: "#2b2f36", QPalette.ColorRole.ToolTipText: "#e6e6e6",
            QPalette.ColorRole.PlaceholderText: "#8b949e",
        }
    else:
        colours = {
            QPalette.ColorRole.Window: "#f3f4f6", QPalette.ColorRole.WindowText: "#1f2328",
            QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f6f8fa",
            QPalette.ColorRole.Text: "#1f2328", QPalette.ColorRole.Button: "#f3f4f6",
            QPalette.ColorRole.ButtonText: "#1f2328", QPalette.ColorRole.Highlight: "#2f6fde",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#0969da",
            QPalette.ColorRole.ToolTipBase: "#ffffff", QPalette.ColorRole.ToolTipText: "#1f2328",
            QPalette.ColorRole.PlaceholderText: "#6e7781",
        }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette
