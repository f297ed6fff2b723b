"""The chat view: streaming, safe Markdown rendering of a conversation."""

from app.ui.chat.chat_view import ChatView
from app.ui.chat.link_policy import LinkPolicy
from app.ui.chat.theme import ChatTheme, make_palette

__all__ = ["ChatTheme", "ChatView", "LinkPolicy", "make_palette"]
