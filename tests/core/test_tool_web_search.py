"""web_search against in-test servers speaking DuckDuckGo's HTML results page
and SearXNG's JSON API (never the internet)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app.core.tools import ToolContext, ToolError, execute_tool
from app.core.tools.web import web_tools
from app.core.tools.web_search import (
    WebSearchTool,
    parse_duckduckgo,
    unwrap_duckduckgo_link,
)
from app.settings import ToolsSettings
from tests.support.web_test_server import Reply, web_server


def ddg_result(url: str, title: str, snippet: str, ad: bool = False) -> str:
    """One result as DuckDuckGo's HTML endpoint marks it up (links go through
    its //duckduckgo.com/l/?uddg= redirect)."""
    href = f"//duckduckgo.com/l/?uddg={quote(url, safe='')}&amp;rut=abc123"
    if ad:
        href = "https://duckduckgo.com/y.js?ad_domain=shop.example&amp;u3=xyz"
    kind = "result--ad" if ad else "web-result"
    return f"""
<div class="result results_links results_links_deep {kind} ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title">
      <a rel="nofollow" class="result__a" href="{href}">{title}</a>
    </h2>
    <div class="result__extras">
      <div class="result__extras__url">
        <span class="result__icon"><img class="result__icon__img" width="16" height="16"
          alt="" src="//external-content.duckduckgo.com/ip3/x.ico" name="i15"></span>
        <a class="result__url" href="{href}">{urlsplit(url).hostname}</a>
      </div>
    </div>
    <a class="result__snippet" href="{href}">{snippet}</a>
    <div class="clear"></div>
  </div>
</div>"""


def ddg_page(*results: str) -> bytes:
    return f"""<!DOCTYPE html><html><head><title>python at DuckDuckGo</title>
<link rel="stylesheet" href="/dist/h.css"></head><body>
<div id="links" class="results">{''.join(results)}
<div class="nav-link"><form action="/html/" method="post">
<input type="submit" class="btn btn--alt" value="Next"></form></div></div>
</body></html>""".encode()


DDG_PAGE = ddg_page(
    ddg_result("https://ads.example/buy", "Buy <b>Python</b> now", "An advert.", ad=True),
    ddg_result("https://www.python.org/", "Welcome to <b>Python</b>.org",
               "The official home of the <b>Python</b> Programming Language &amp; more."),
    ddg_result("https://docs.python.org/3/tutorial/?a=1&b=2", "The Python Tutorial",
               "Python is an easy to learn, powerful programming language."),
    ddg_result("https://en.wikipedia.org/wiki/Python_(programming_language)",
               "Python (programming language) - Wikipedia",
               "Python is a high-level, general-purpose programming language."),
)

SEARXNG_ANSWER = {
    "query": "python",
    "number_of_results": 0,
    "results": [
        {"url": "https://www.python.org/", "title": "Welcome to Python.org",
         "content": "The official home of the Python Programming Language",
         "engine": "duckduckgo", "parsed_url": ["https", "www.python.org", "/", "", "", ""],
         "template": "default.html", "engines": ["duckduckgo", "brave"],
         "positions": [1, 1], "score": 4.0, "category": "general"},
        {"url": "https://pypi.org/", "title": "PyPI · The Python Package Index",
         "content": "Find, install and publish Python packages.", "engine": "brave",
         "engines": ["brave"], "positions": [2], "score": 1.0, "category": "general"},
    ],
    "answers": [], "corrections": [], "infoboxes": [], "suggestions": ["python download"],
    "unresponsive_engines": [],
}


def run(tool: WebSearchTool, tmp_path: Path, **arguments) -> str:
    checked = tool.validate(arguments)
    return asyncio.run(tool.call(checked, ToolContext(workspace=tmp_path)))


def test_duckduckgo_results_are_parsed_unwrapped_and_ads_skipped(tmp_path):
    with web_server({"/html/": Reply(200, {"Content-Type": "text/html; charset=utf-8"},
                                     DDG_PAGE)}) as server:
        tool = WebSearchTool("duckduckgo", duckduckgo_url=server.base_url + "/html/")
        text = run(tool, tmp_path, query="python tutorial", max_results=2)
    assert parse_qs(urlsplit(server.requests[0][0]).query)["q"] == ["python tutorial"]
    assert text.splitlines()[0] == 'Results for "python tutorial" (DuckDuckGo):'
    assert "1. Welcome to Python.org\n   https://www.python.org/\n" in text
    assert "Programming Language & more." in text
    assert "2. The Python Tutorial\n   https://docs.python.org/3/tutorial/?a=1&b=2" in text
    assert "Buy" not in text and "ads.example" not in text and "duckduckgo.com" not in text
    assert "Wikipedia" not in text  # max_results=2


def test_duckduckgo_parser_reads_every_organic_result():
    results = parse_duckduckgo(DDG_PAGE.decode())
    assert [r.url for r in results] == [
        "https://www.python.org/", "https://docs.python.org/3/tutorial/?a=1&b=2",
        "https://en.wikipedia.org/wiki/Python_(programming_language)"]
    assert results[2].snippet == "Python is a high-level, general-purpose programming language."


@pytest.mark.parametrize(("href", "expected"), [
    ("//duckduckgo.com/l/?uddg=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&rut=1",
     "https://a.example/x?y=1"),
    ("/l/?kh=-1&uddg=https%3A%2F%2Fb.example%2F", "https://b.example/"),
    ("https://c.example/page", "https://c.example/page"),
])
def test_unwrap_duckduckgo_link(href, expected):
    assert unwrap_duckduckgo_link(href) == expected


def test_duckduckgo_bot_check_is_reported(tmp_path):
    page = (b"<html><body><form id='challenge-form' action='//duckduckgo.com/anomaly.js'>"
            b"<div class='anomaly-modal__title'>Unfortunately, bots use DuckDuckGo too."
            b"</div></form></body></html>")
    with web_server({"/html/": Reply(202, {"Content-Type": "text/html"}, page)}) as server:
        tool = WebSearchTool(duckduckgo_url=server.base_url + "/html/")
        with pytest.raises(ToolError, match="bot check"):
            run(tool, tmp_path, query="anything")


def test_duckduckgo_no_results(tmp_path):
    page = b"<html><body><div class='no-results'>No results.</div></body></html>"
    with web_server({"/html/": Reply(200, {"Content-Type": "text/html"}, page)}) as server:
        tool = WebSearchTool(duckduckgo_url=server.base_url + "/html/")
        assert run(tool, tmp_path, query="zzqx") == 'No results for "zzqx" (DuckDuckGo).'


def test_searxng_json_api(tmp_path):
    body = json.dumps(SEARXNG_ANSWER).encode()
    with web_server({"/search": Reply(200, {"Content-Type": "application/json"},
                                      body)}) as server:
        # A private (loopback) instance works: the user configured it.
        tool = WebSearchTool("searxng", server.base_url + "/")
        text = run(tool, tmp_path, query="python")
    query = parse_qs(urlsplit(server.requests[0][0]).query)
    assert query == {"q": ["python"], "format": ["json"]}
    assert text == ('Results for "python" (SearXNG):\n\n'
                    "1. Welcome to Python.org\n   https://www.python.org/\n"
                    "   The official home of the Python Programming Language\n\n"
                    "2. PyPI · The Python Package Index\n   https://pypi.org/\n"
                    "   Find, install and publish Python packages.")


def test_searxng_with_json_disabled_explains_the_fix(tmp_path):
    with web_server({"/search": Reply(403, {"Content-Type": "text/html"},
                                      b"Forbidden")}) as server:
        tool = WebSearchTool("searxng", server.base_url)
        with pytest.raises(ToolError, match="search.formats"):
            run(tool, tmp_path, query="python")


def test_searxng_without_url_is_a_tool_error(tmp_path):
    outcome = asyncio.run(execute_tool(WebSearchTool("searxng", ""), {"query": "x"},
                                       ToolContext(workspace=tmp_path)))
    assert outcome.is_error and "tools.searxng_url" in outcome.content


@pytest.mark.parametrize("arguments", [{}, {"query": "  "}, {"query": "x", "max_results": 0},
                                       {"query": "x", "max_results": 11},
                                       {"query": "x", "max_results": True},
                                       {"query": "x", "page": 2}])
def test_bad_arguments_are_refused(tmp_path, arguments):
    outcome = asyncio.run(execute_tool(WebSearchTool(), arguments,
                                       ToolContext(workspace=tmp_path)))
    assert outcome.is_error and outcome.status == "error"


def test_tools_built_from_settings():
    search, fetch = web_tools(ToolsSettings(web_search_backend="searxng",
                                            searxng_url="http://search.lan:8080",
                                            allow_private_addresses=True))
    assert (search.name, search.backend, search.searxng_url) == (
        "web_search", "searxng", "http://search.lan:8080")
    assert (fetch.name, fetch.allow_private_addresses) == ("fetch_url", True)
    assert {search.policy, fetch.policy} == {"auto"}
    assert {search.risk, fetch.risk} == {"medium"}
    default_search, default_fetch = web_tools()
    assert default_search.backend == "duckduckgo"
    assert default_fetch.allow_private_addresses is False


def test_searches_share_the_process_tls_context(tmp_path, ca_bundle_loads):
    """No CA bundle is loaded per search: the providers' shared context is used."""
    with web_server({"/search": Reply(200, {"Content-Type": "application/json"},
                                      json.dumps(SEARXNG_ANSWER).encode())}) as server:
        tool = WebSearchTool("searxng", server.base_url + "/")
        for _ in range(2):
            assert "pypi.org" in run(tool, tmp_path, query="python")
    assert ca_bundle_loads == []
