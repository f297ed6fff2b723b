"""The ``fetch_url`` tool: one web page as readable text, safely.

- Only ``http`` and ``https`` URLs (``file:``, ``ftp:``, ``data:`` … refused).
- Every host on the way (redirects are followed by hand, at most 5) is resolved
  once and checked by ``web_guard``; loopback, private, link-local, CGNAT,
  multicast and unspecified addresses are refused unless the user allowed them.
- The connection goes to the checked IP address itself: the URL's host is
  replaced by that address while the ``Host`` header and the TLS server name
  (SNI, also used for certificate checks) stay the original name. So the name
  is never resolved a second time (no DNS rebinding) and no proxy from the
  environment is used (``trust_env=False``).
- At most ``max_bytes`` are read (2 MB), within ``timeout`` seconds overall.
- Only text types are read: HTML becomes text (``web_text``), JSON is pretty
  printed, other text is returned as is, decoded with the declared charset.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx

from app import __version__
from app.core.tools.base import Tool, ToolContext, ToolError
from app.core.tools.web_guard import NetworkPolicy, checked_addresses
from app.core.tools.web_text import html_charset, html_to_text
from app.providers.transport import verifying_ssl_context

MAX_BYTES = 2_000_000
MAX_CHARS = 20_000
MAX_REDIRECTS = 5
TIMEOUT = 20.0
USER_AGENT = f"Mozilla/5.0 (compatible; AgentDesk/{__version__})"
_REDIRECTS = {301, 302, 303, 307, 308}
_TEXT_TYPES = {"application/json", "application/xml", "application/xhtml+xml",
               "application/javascript", "application/x-javascript",
               "application/ecmascript", "application/x-yaml", "application/yaml",
               "application/toml", "application/x-ndjson"}


@dataclass(frozen=True)
class Page:
    url: str
    content_type: str  # lower-case media type without parameters ("" if none sent)
    charset: str | None
    body: bytes
    truncated: bool  # more than max_bytes were available


class FetchUrlTool(Tool):
    name = "fetch_url"
    description = ("Fetch a web page (http or https) and return its readable text: "
                   "HTML as plain text with links, JSON pretty-printed.")
    parameters = {
        "type": "object",
        "properties": {"url": {"type": "string",
                               "description": "The http:// or https:// address to read."}},
        "required": ["url"],
        "additionalProperties": False,
    }
    policy = "auto"
    risk = "medium"

    def __init__(self, *, allow_private_addresses: bool = False,
                 allowed_hosts: Collection[str] = (), max_bytes: int = MAX_BYTES,
                 max_chars: int = MAX_CHARS, timeout: float = TIMEOUT,
                 max_redirects: int = MAX_REDIRECTS) -> None:
        self.allow_private_addresses = allow_private_addresses
        self.allowed_hosts = tuple(allowed_hosts)
        self.max_bytes = max_bytes
        self.max_chars = max_chars
        self.fetch_timeout = timeout
        self.max_redirects = max_redirects
        self.timeout = timeout + 5  # execute_tool's limit; ours fires first, with a reason

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        url = arguments.get("url")
        extra = set(arguments) - {"url"}
        if not isinstance(url, str) or not url.strip() or extra:
            raise ToolError("fetch_url takes one argument: url (a string)")
        return {"url": url.strip()}

    def policy_for(self, context: ToolContext) -> NetworkPolicy:
        """The constructor's setting, or the context's ``allow_private_addresses``."""
        allow = self.allow_private_addresses or context.allow_private_addresses
        return NetworkPolicy.build(allow, self.allowed_hosts)

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        try:
            async with asyncio.timeout(self.fetch_timeout):
                page = await self.fetch(arguments["url"], self.policy_for(context))
        except TimeoutError:
            raise ToolError(f"the page did not load within {self.fetch_timeout:g} s") from None
        return render_page(page, self.max_bytes, self.max_chars)

    async def fetch(self, url: str, policy: NetworkPolicy) -> Page:
        """GET ``url``, following redirects by hand with every hop checked."""
        current = url
        for _hop in range(self.max_redirects + 1):
            target = _checked_url(current)
            host = target.raw_host.decode("ascii")  # IDNA form, as DNS knows it
            addresses = await checked_addresses(host, _port(target), policy)
            result = await self._get(target, addresses)
            if isinstance(result, Page):
                return result
            current = result
        raise ToolError(f"too many redirects (more than {self.max_redirects})")

    async def _get(self, target: httpx.URL, addresses: list[str]) -> Page | str:
        """One request to the first reachable checked address: a Page, or the
        next URL to go to (a redirect)."""
        timeout = httpx.Timeout(self.fetch_timeout, connect=min(10.0, self.fetch_timeout))
        headers = {"Host": target.netloc.decode("ascii"), "User-Agent": USER_AGENT,
                   "Accept": "text/html,application/xhtml+xml,application/json,"
                             "text/plain;q=0.9,*/*;q=0.5",
                   "Accept-Encoding": "identity"}
        extensions = {"sni_hostname": target.raw_host.decode("ascii")}
        async with httpx.AsyncClient(timeout=timeout, trust_env=False,
                                     follow_redirects=False,
                                     verify=verifying_ssl_context()) as client:
            for index, address in enumerate(addresses[:3]):
                pinned = target.copy_with(host=address, fragment=None)
                try:
                    async with client.stream("GET", pinned, headers=headers,
                                             extensions=extensions) as response:
                        return await self._read(target, response)
                except httpx.ConnectError as exc:
                    if index == min(len(addresses), 3) - 1:
                        raise ToolError(f"cannot connect to {target.host}: {exc}") from None
                except httpx.TimeoutException:
                    raise ToolError(f"{target.host} did not answer in time") from None
                except httpx.HTTPError as exc:
                    raise ToolError(f"fetching {target} failed: {exc}") from None
        raise ToolError(f"cannot connect to {target.host}")  # pragma: no cover

    async def _read(self, target: httpx.URL, response: httpx.Response) -> Page | str:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise ToolError(f"{target} redirected (HTTP {status}) without a Location")
            return str(target.join(location.strip()))
        if status >= 400:
            raise ToolError(f"{target} answered HTTP {status} {response.reason_phrase}")
        media_type, charset = _content_type(response.headers.get("content-type", ""))
        if media_type and not _is_text(media_type):
            raise ToolError(f"{target} is {media_type}; fetch_url reads text pages only")
        body = bytearray()
        truncated = False
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > self.max_bytes:
                del body[self.max_bytes:]
                truncated = True
                break
        if not media_type and b"\x00" in body[:4096]:
            raise ToolError(f"{target} looks binary; fetch_url reads text pages only")
        return Page(str(target), media_type, charset, bytes(body), truncated)


def render_page(page: Page, max_bytes: int = MAX_BYTES, max_chars: int = MAX_CHARS) -> str:
    """The page as text for the model, at most ``max_chars`` characters of it."""
    text = decode_body(page)
    header = [f"URL: {page.url}"]
    if page.content_type in ("text/html", "application/xhtml+xml") or (
            not page.content_type and "<html" in text[:2000].lower()):
        title, text = html_to_text(text, page.url)
        if title:
            header.append(f"Title: {title}")
    elif page.content_type == "application/json" or page.content_type.endswith("+json"):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass  # not valid JSON after all: shown as the server sent it
    notes = []
    if page.truncated:
        notes.append(f"[only the first {max_bytes:,} bytes of the page were read]")
    if len(text) > max_chars:
        notes.append(f"[truncated: showing {max_chars:,} of {len(text):,} characters]")
        text = text[:max_chars]
    return "\n".join(header) + "\n\n" + text + ("\n\n" + "\n".join(notes) if notes else "")


def decode_body(page: Page) -> str:
    """The body as text: BOM, then the header's charset, then a ``<meta>``
    charset for HTML, else UTF-8 (undecodable bytes replaced, never an error)."""
    body = page.body
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    candidates = [page.charset]
    if "html" in page.content_type or not page.content_type:
        candidates.append(html_charset(body))
    for name in candidates:
        if not name:
            continue
        try:
            return body.decode(codecs.lookup(name).name, errors="replace")
        except LookupError:
            continue  # an unknown charset name: try the next source
    return body.decode("utf-8", errors="replace")


def _checked_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ToolError(f"not a valid URL: {url[:200]} ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "no scheme"
        raise ToolError(f"only http:// and https:// URLs can be fetched, not {shown}: "
                        f"{url[:200]}")
    if not parsed.host:
        raise ToolError(f"the URL has no host: {url[:200]}")
    return parsed


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _is_text(media_type: str) -> bool:
    return (media_type.startswith("text/") or media_type in _TEXT_TYPES
            or media_type.endswith(("+json", "+xml")))


def fetch_url_tool(*, allow_private_addresses: bool = False,
                   allowed_hosts: Collection[str] = ()) -> Tool:
    """The ``fetch_url`` tool (private addresses refused unless allowed)."""
    return FetchUrlTool(allow_private_addresses=allow_private_addresses,
                        allowed_hosts=allowed_hosts)
