"""The ``web_search`` tool: the top results of a web search as readable text.

Two backends, chosen in the settings (``tools.web_search_backend``):

- ``duckduckgo`` (default, no account): DuckDuckGo's HTML endpoint
  ``https://html.duckduckgo.com/html/?q=…``. Each result is a ``div.result``
  holding ``a.result__a`` (title; its href is a ``//duckduckgo.com/l/?uddg=<url>``
  redirect, unwrapped here) and ``.result__snippet``; ads carry ``result--ad``.
  DuckDuckGo answers automated bursts with a bot check page, reported as such.
- ``searxng``: the user's SearXNG instance (``tools.searxng_url``) through its
  JSON API ``/search?q=…&format=json`` → ``{"results": [{"title", "url",
  "content", …}], "answers": […], …}``. The instance must have ``json`` in
  ``search.formats`` of its settings.yml (else it answers 403).

The backend's host is the one the user configured (or DuckDuckGo), not one the
model chose, so the private-address rule of ``fetch_url`` does not apply to it:
a SearXNG instance on the user's own network works as configured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from app.core.tools.base import Tool, ToolContext, ToolError
from app.core.tools.fetch_url import USER_AGENT
from app.providers.transport import verifying_ssl_context

DUCKDUCKGO_URL = "https://html.duckduckgo.com/html/"
MAX_RESPONSE_BYTES = 2_000_000
SearchBackend = Literal["duckduckgo", "searxng"]


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: str


class WebSearchTool(Tool):
    name = "web_search"
    description = ("Search the web. Returns the top results, each with its title, "
                   "URL and a short snippet; use fetch_url to read a result.")
    parameters = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to search for."},
            "max_results": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5,
                            "description": "How many results to return (1-10)."},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    policy = "auto"
    risk = "medium"

    def __init__(self, backend: SearchBackend = "duckduckgo", searxng_url: str = "", *,
                 duckduckgo_url: str = DUCKDUCKGO_URL, timeout: float = 15.0) -> None:
        if backend not in ("duckduckgo", "searxng"):
            raise ValueError(f"unknown web search backend {backend!r}")
        self.backend = backend
        self.searxng_url = searxng_url.strip()
        self.duckduckgo_url = duckduckgo_url
        self.request_timeout = timeout
        self.timeout = timeout + 5

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        query = arguments.get("query")
        count = arguments.get("max_results", 5)
        if set(arguments) - {"query", "max_results"}:
            raise ToolError("web_search takes query and, optionally, max_results")
        if not isinstance(query, str) or not query.strip():
            raise ToolError("web_search needs a non-empty query")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10:
            raise ToolError("max_results must be a whole number from 1 to 10")
        return {"query": query.strip(), "max_results": count}

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        query, count = arguments["query"], arguments["max_results"]
        if self.backend == "searxng":
            results = await self._searxng(query)
            source = "SearXNG"
        else:
            results = await self._duckduckgo(query)
            source = "DuckDuckGo"
        return format_results(query, source, results[:count])

    async def _duckduckgo(self, query: str) -> list[SearchResult]:
        status, text = await self._get(self.duckduckgo_url, {"q": query})
        results = parse_duckduckgo(text)
        if not results and ("anomaly" in text or "challenge-form" in text or status == 202):
            raise ToolError("DuckDuckGo asked for a bot check (too many searches); "
                            "try again later, or set up a SearXNG instance in the settings")
        if status != 200:
            raise ToolError(f"DuckDuckGo answered HTTP {status}")
        return results

    async def _searxng(self, query: str) -> list[SearchResult]:
        if not self.searxng_url:
            raise ToolError("no SearXNG URL is set (setting tools.searxng_url)")
        url = self.searxng_url.rstrip("/") + "/search"
        status, text = await self._get(url, {"q": query, "format": "json"})
        if status == 403:
            raise ToolError("the SearXNG instance refused the JSON format; add 'json' to "
                            "search.formats in its settings.yml")
        if status != 200:
            raise ToolError(f"the SearXNG instance answered HTTP {status}")
        return parse_searxng(text)

    async def _get(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/json"}
        try:
            async with httpx.AsyncClient(timeout=self.request_timeout,
                                         follow_redirects=True,
                                         verify=verifying_ssl_context()) as client:
                async with client.stream("GET", url, params=params,
                                         headers=headers) as response:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_RESPONSE_BYTES:
                            break
                    encoding = response.encoding or "utf-8"
                    return response.status_code, bytes(body).decode(encoding, "replace")
        except httpx.TimeoutException:
            raise ToolError("the search engine did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"the search failed: {exc}") from None


def format_results(query: str, source: str, results: list[SearchResult]) -> str:
    if not results:
        return f'No results for "{query}" ({source}).'
    lines = [f'Results for "{query}" ({source}):']
    for number, result in enumerate(results, 1):
        lines.append("")
        lines.append(f"{number}. {result.title or result.url}")
        lines.append(f"   {result.url}")
        if result.snippet:
            lines.append(f"   {result.snippet}")
    return "\n".join(lines)


def parse_searxng(text: str) -> list[SearchResult]:
    """Results of a SearXNG ``format=json`` answer."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ToolError("the SearXNG instance did not answer with JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ToolError("the SearXNG answer has no results list")
    found = []
    for item in data["results"]:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            found.append(SearchResult(_clean(str(item.get("title") or "")), item["url"],
                                      _clean(str(item.get("content") or ""))))
    return found


def parse_duckduckgo(html: str) -> list[SearchResult]:
    """Results of a DuckDuckGo HTML results page, ads left out."""
    parser = _DuckDuckGoParser()
    parser.feed(html)
    parser.close()
    return parser.results


def unwrap_duckduckgo_link(href: str) -> str:
    """The target of a ``//duckduckgo.com/l/?uddg=<url>`` link (others unchanged)."""
    if href.startswith("//"):
        href = "https:" + href
    parts = urlsplit(href)
    if parts.path.startswith("/l/"):
        target = parse_qs(parts.query).get("uddg")
        if target:
            return target[0]
    return href


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}


class _DuckDuckGoParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.results: list[SearchResult] = []
        self._stack: list[tuple[str, str | None]] = []  # (tag, role)
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        role = None
        if tag == "div" and "result" in classes and self._current is None:
            role = "result"
            self._current = {"ad": "result--ad" in classes, "title": [], "snippet": [],
                             "href": None}
        elif self._current is not None and "result__a" in classes:
            role = "title"
            self._current["href"] = attributes.get("href")
        elif self._current is not None and "result__snippet" in classes:
            role = "snippet"
        self._stack.append((tag, role))

    def handle_endtag(self, tag: str) -> None:
        if all(open_tag != tag for open_tag, _role in self._stack):
            return  # a stray end tag: ignore it rather than close everything
        while self._stack:
            open_tag, role = self._stack.pop()
            if role == "result":
                self._finish()
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._current is None:
            return
        for _tag, role in reversed(self._stack):
            if role in ("title", "snippet"):
                self._current[role].append(data)
                return

    def close(self) -> None:
        super().close()
        if self._current is not None:
            self._finish()

    def _finish(self) -> None:
        current, self._current = self._current, None
        if current is None or current["ad"] or not current["href"]:
            return
        url = unwrap_duckduckgo_link(current["href"])
        host = urlsplit(url).hostname or ""
        if host.endswith("duckduckgo.com") and urlsplit(url).path.startswith("/y.js"):
            return  # an ad click-through link
        self.results.append(SearchResult(_clean("".join(current["title"])), url,
                                         _clean("".join(current["snippet"]))))


def _clean(text: str) -> str:
    return " ".join(text.split())


def web_search_tool(backend: SearchBackend = "duckduckgo", searxng_url: str = "") -> Tool:
    """The ``web_search`` tool with the configured backend."""
    return WebSearchTool(backend, searxng_url)
