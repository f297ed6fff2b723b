"""fetch_url: schemes, private-address refusal (before any packet), redirects,
DNS pinning, limits, and readable text. Only 127.0.0.1 in-test servers are
contacted; names are resolved by a fake resolver, never by real DNS."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tools import ToolContext, ToolError, execute_tool
from app.core.tools import web_guard
from app.core.tools.fetch_url import FetchUrlTool
from tests.support.web_test_server import Reply, web_server

PAGE = Reply(200, {"Content-Type": "text/html; charset=utf-8"},
             b"<html><head><title>Secret page</title></head>"
             b"<body><p>the secret is 42</p></body></html>")


class Resolver:
    """Stands in for getaddrinfo: names map to address lists (one list per call,
    the last one repeating); unknown names fail like a real lookup would."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, type_=0, *args):
        self.calls.append(host)
        answers = self.answers.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    fake = Resolver()
    monkeypatch.setattr(web_guard, "getaddrinfo", fake)
    return fake


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple]]:
    """Every address a socket in this process tries to connect to."""
    seen: list[tuple] = []
    real = socket.socket.connect

    def connect(sock, address):
        seen.append(address)
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield seen


def context(tmp_path: Path, **options) -> ToolContext:
    return ToolContext(workspace=tmp_path, **options)


def fetch(tool: FetchUrlTool, url: str, tmp_path: Path, **options) -> str:
    return asyncio.run(tool.call({"url": url}, context(tmp_path, **options)))


def test_loopback_server_refused_by_default(tmp_path, resolver, connects):
    with web_server({"/": PAGE}) as server:
        with pytest.raises(ToolError, match="loopback"):
            fetch(FetchUrlTool(), server.base_url + "/", tmp_path)
        assert server.requests == []
    assert not any(address[1] == server.port for address in connects)


def test_loopback_allowed_by_setting(tmp_path, resolver):
    with web_server({"/": PAGE}) as server:
        text = fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/",
                     tmp_path)
        via_context = fetch(FetchUrlTool(), server.base_url + "/", tmp_path,
                             allow_private_addresses=True)
    assert "the secret is 42" in text and "Title: Secret page" in text
    assert "the secret is 42" in via_context


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.com/file.txt", "data:text/plain,hello",
    "javascript:alert(1)", "gopher://example.com/", "example.com/no-scheme",
])
def test_other_schemes_refused(tmp_path, resolver, connects, url):
    with pytest.raises(ToolError, match="only http:// and https://"):
        fetch(FetchUrlTool(allow_private_addresses=True), url, tmp_path)
    assert connects == [] and resolver.calls == []


@pytest.mark.parametrize("url", [
    "http://localhost/", "http://LOCALHOST.:8080/", "http://app.localhost/",
    "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
    "http://0.0.0.0/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://224.0.0.1/", "http://[fc00::1]/", "http://[fe80::1]/", "http://[::]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[2002:a00:1::]/",
    "https://127.0.0.2:8443/",
])
def test_private_targets_refused_before_any_packet(tmp_path, resolver, connects, url):
    with pytest.raises(ToolError, match="private or local addresses is off"):
        fetch(FetchUrlTool(), url, tmp_path)
    assert connects == []
    assert resolver.calls == []  # refused by name or literal, nothing was looked up


def test_public_name_resolving_to_private_address_refused(tmp_path, resolver, connects):
    resolver.answers["intranet.example.com"] = [["10.1.2.3"]]
    resolver.answers["mixed.example.com"] = [["93.184.216.34", "192.168.0.10"]]
    tool = FetchUrlTool()
    with pytest.raises(ToolError, match=r"intranet\.example\.com \(10\.1\.2\.3\).*private"):
        fetch(tool, "http://intranet.example.com/", tmp_path)
    with pytest.raises(ToolError, match=r"192\.168\.0\.10"):
        fetch(tool, "https://mixed.example.com/", tmp_path)
    assert connects == []
    assert resolver.calls == ["intranet.example.com", "mixed.example.com"]


def test_unknown_host_is_a_tool_error(tmp_path, resolver, connects):
    with pytest.raises(ToolError, match="cannot resolve the host nowhere.invalid"):
        fetch(FetchUrlTool(), "http://nowhere.invalid/", tmp_path)
    assert connects == []


def test_connects_to_the_checked_address_keeping_the_host_header(tmp_path, resolver):
    # A rebinding resolver: 127.0.0.1 first, then 127.0.0.2 (where nothing listens).
    # Connecting to the checked address means the second answer is never used.
    with web_server({"/": PAGE}) as server:
        resolver.answers["pinned.test"] = [["127.0.0.1"], ["127.0.0.2"]]
        text = fetch(FetchUrlTool(allow_private_addresses=True),
                     f"http://pinned.test:{server.port}/", tmp_path)
    assert "the secret is 42" in text
    assert resolver.calls == ["pinned.test"]
    assert server.requests[0][1]["Host"] == f"pinned.test:{server.port}"


def redirect(location: str) -> Reply:
    return Reply(302, {"Location": location})


def test_redirects_are_checked_on_every_hop(tmp_path, resolver, connects):
    routes = {"/page": PAGE, "/hop": redirect("/page"),
              "/to-private": redirect("http://10.0.0.1/admin"),
              "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
              "/to-file": redirect("file:///etc/passwd"),
              "/loop": redirect("/loop")}
    with web_server(routes) as server:
        routes["/to-other-loopback"] = redirect(f"http://127.0.0.2:{server.port}/page")
        routes["/to-localhost"] = redirect(f"http://localhost:{server.port}/page")
        # Only this exact server is allowed; everything private elsewhere is not.
        tool = FetchUrlTool(allowed_hosts=[server.authority])
        assert "the secret is 42" in fetch(tool, server.base_url + "/hop", tmp_path)
        for path, reason in [("/to-private", "10.0.0.1"), ("/to-metadata", "link-local"),
                             ("/to-other-loopback", "127.0.0.2"),
                             ("/to-localhost", "localhost")]:
            with pytest.raises(ToolError, match="private or local addresses is off") as err:
                fetch(tool, server.base_url + path, tmp_path)
            assert reason in str(err.value)
        with pytest.raises(ToolError, match="only http:// and https://"):
            fetch(tool, server.base_url + "/to-file", tmp_path)
        before = len(server.requests)
        with pytest.raises(ToolError, match="too many redirects"):
            fetch(tool, server.base_url + "/loop", tmp_path)
        assert len(server.requests) - before == tool.max_redirects + 1
    assert {address[0] for address in connects} == {"127.0.0.1"}
    assert resolver.calls == []


def test_size_limit_stops_reading(tmp_path, resolver):
    chunk = b"<p>" + b"x" * 65_530 + b"</p>\n"
    huge = Reply(200, {"Content-Type": "text/html"}, chunk, chunks=200)  # about 13 MB
    with web_server({"/huge": huge}) as server:
        tool = FetchUrlTool(allow_private_addresses=True, max_bytes=100_000,
                            max_chars=1_000_000)
        text = fetch(tool, server.base_url + "/huge", tmp_path)
    assert "[only the first 100,000 bytes of the page were read]" in text
    assert text.count("x") <= 100_000


def test_output_is_capped_with_a_note(tmp_path, resolver):
    body = ("word " * 10_000).encode()
    with web_server({"/": Reply(200, {"Content-Type": "text/plain"}, body)}) as server:
        text = fetch(FetchUrlTool(allow_private_addresses=True, max_chars=1_000),
                     server.base_url + "/", tmp_path)
    assert f"[truncated: showing 1,000 of {len(body):,} characters]" in text
    assert text.count("word") < 250


def test_stalling_server_times_out(tmp_path, resolver):
    stall = Reply(200, {"Content-Type": "text/plain", "Content-Length": "100"}, stall=30)
    with web_server({"/": stall}) as server:
        tool = FetchUrlTool(allow_private_addresses=True, timeout=0.5)
        with pytest.raises(ToolError, match="did not (load|answer)"):
            fetch(tool, server.base_url + "/", tmp_path)


def test_html_becomes_readable_text(tmp_path, resolver):
    html = (b"<html><head><title>Docs</title><style>p{color:red}</style>"
            b"<script>var secret='do not show';</script></head><body>"
            b"<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            b"<h1>Getting started</h1><p>Install the <b>tool</b>, then read "
            b"<a href='/guide'>the guide</a>.</p><ul><li>fast</li><li>safe</li></ul>"
            b"<script>alert('x')</script></body></html>")
    with web_server({"/docs/": Reply(200, {"Content-Type": "text/html"}, html)}) as server:
        text = fetch(FetchUrlTool(allow_private_addresses=True),
                     server.base_url + "/docs/", tmp_path)
    assert "do not show" not in text and "alert" not in text and "color:red" not in text
    assert "About" not in text  # navigation dropped
    assert "# Getting started" in text
    assert f"the guide ({server.base_url}/guide)" in text
    assert "- fast\n- safe" in text
    assert text.startswith(f"URL: {server.base_url}/docs/\nTitle: Docs\n")


def test_charset_from_header_and_meta(tmp_path, resolver):
    latin = "Crème brûlée à la café".encode("iso-8859-1")
    routes = {
        "/header": Reply(200, {"Content-Type": "text/plain; charset=ISO-8859-1"}, latin),
        "/meta": Reply(200, {"Content-Type": "text/html"},
                       b'<html><head><meta charset="windows-1252"></head><body><p>'
                       + "“quoted” – café".encode("cp1252") + b"</p></body></html>"),
        "/unknown": Reply(200, {"Content-Type": "text/plain; charset=x-no-such"},
                          "naïve".encode()),
        "/bom": Reply(200, {"Content-Type": "text/plain; charset=latin-1"},
                      b"\xef\xbb\xbf" + "smørrebrød".encode()),
    }
    tool = FetchUrlTool(allow_private_addresses=True)
    with web_server(routes) as server:
        results = {path: fetch(tool, server.base_url + path, tmp_path) for path in routes}
    assert "Crème brûlée à la café" in results["/header"]
    assert "“quoted” – café" in results["/meta"]
    assert "naïve" in results["/unknown"]
    assert "smørrebrød" in results["/bom"]


def test_json_is_pretty_printed(tmp_path, resolver):
    body = b'{"name":"agentdesk","tags":["a","b"],"n":1}'
    with web_server({"/api": Reply(200, {"Content-Type": "application/json"}, body)}) as server:
        text = fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/api",
                     tmp_path)
    assert '{\n  "name": "agentdesk",\n  "tags": [\n    "a",' in text


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream",
                                          "application/pdf", "video/mp4"])
def test_binary_types_refused(tmp_path, resolver, content_type):
    reply = Reply(200, {"Content-Type": content_type}, b"\x89PNG\r\n\x1a\n\x00\x00")
    with web_server({"/file": reply}) as server:
        with pytest.raises(ToolError, match="reads text pages only"):
            fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/file",
                  tmp_path)


def test_binary_body_without_content_type_refused(tmp_path, resolver):
    with web_server({"/blob": Reply(200, {}, b"\x00\x01\x02binary\x00")}) as server:
        with pytest.raises(ToolError, match="looks binary"):
            fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/blob",
                  tmp_path)


def test_http_error_status_is_reported(tmp_path, resolver):
    with web_server({}) as server:
        with pytest.raises(ToolError, match="HTTP 404"):
            fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/missing",
                  tmp_path)


def test_refusal_reaches_the_model_as_an_error_result(tmp_path, resolver):
    tool = FetchUrlTool()
    outcome = asyncio.run(execute_tool(tool, {"url": "http://169.254.169.254/"},
                                       context(tmp_path)))
    assert outcome.is_error and outcome.status == "error"
    assert "link-local" in outcome.content
    bad = asyncio.run(execute_tool(tool, {"address": "http://x"}, context(tmp_path)))
    assert bad.is_error and "takes one argument: url" in bad.content
    assert tool.spec().parameters["required"] == ["url"]


def test_fetches_share_the_process_tls_context(tmp_path, resolver, ca_bundle_loads):
    """No CA bundle is loaded per call (httpx loads certifi's, ~0.7 MB, for each
    client made with its default): the tool uses the providers' shared context."""
    with web_server({"/": PAGE}) as server:
        for _ in range(2):
            text = fetch(FetchUrlTool(allow_private_addresses=True), server.base_url + "/",
                         tmp_path)
            assert "the secret is 42" in text
    assert ca_bundle_loads == []
