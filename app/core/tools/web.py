"""The web tools built from the user's settings: ``web_search`` and ``fetch_url``."""

from __future__ import annotations

from app.core.tools.base import Tool
from app.core.tools.fetch_url import FetchUrlTool, fetch_url_tool
from app.core.tools.web_search import WebSearchTool, web_search_tool
from app.settings import ToolsSettings

__all__ = ["FetchUrlTool", "WebSearchTool", "fetch_url_tool", "web_search_tool",
           "web_tools"]


def web_tools(settings: ToolsSettings | None = None) -> list[Tool]:
    """``[web_search, fetch_url]`` configured from ``settings.tools``."""
    settings = settings or ToolsSettings()
    return [web_search_tool(settings.web_search_backend, settings.searxng_url),
            fetch_url_tool(allow_private_addresses=settings.allow_private_addresses)]
