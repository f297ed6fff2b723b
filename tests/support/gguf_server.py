"""A loopback HTTP server that serves one real file (the GGUF from the package
index) the way a model host does, with the faults a download meets.

Options (``ServerOptions``, changeable while it runs):

- ``range_support``: answer ``Range: bytes=N-`` with 206 + ``Content-Range``
  (off: always 200 with the whole file, as some servers do);
- ``throttle_bps``: send at most that many bytes per second (a slow link);
- ``cut_after``: close the connection after that many body bytes of the next
  response (once; it resets to None), a transfer cut mid-way;
- ``linked_etag``: publish an ``X-Linked-ETag`` header (``"right"``: the file's
  real SHA-256, ``"wrong"``: another digest, None: none), as Hugging Face does;
- ``status``: answer every request with that status (404, 500, ...);
- ``redirect``: ``/resolve/<name>`` answers 302 to ``/files/<name>`` and the
  X-Linked-ETag is sent on the redirect only (Hugging Face's CDN layout).

The file is served at ``/files/<name>`` (and ``/resolve/<name>``). Without a
throttle or a cut it goes out with ``socket.sendfile`` (no copy in Python), so
the server is not what limits a benchmark. ``requests`` records each request's
path and Range header; ``sent`` counts body bytes.

Run as a separate process (bench/download.py does, so the server does not share
the downloader's interpreter lock)::

    python -m tests.support.gguf_server FILE [--no-range] [--port N]

prints ``PORT <n>`` once it listens.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
_CHUNK = 256 * 1024


@lru_cache(maxsize=4)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """The file's SHA-256 (cached per path, size and modification time)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 << 20):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    stat = path.stat()
    return file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


@dataclass
class ServerOptions:
    range_support: bool = True
    throttle_bps: int | None = None
    cut_after: int | None = None
    linked_etag: str | None = None  # "right" | "wrong" | None
    status: int | None = None
    redirect: bool = False


@dataclass
class GgufServer:
    path: Path
    port: int
    options: ServerOptions
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    sent: int = 0

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def url(self) -> str:
        """Where the file is: the redirecting path when ``redirect`` is on."""
        route = "resolve" if self.options.redirect else "files"
        return f"http://127.0.0.1:{self.port}/{route}/{self.name}"

    def range_starts(self) -> list[int]:
        """The start offsets of the Range requests seen (0 for a plain GET)."""
        starts = []
        for _path, header in self.requests:
            match = _RANGE.match(header or "")
            starts.append(int(match.group(1)) if match else 0)
        return starts


def _handler(state: GgufServer, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            options = state.options
            with lock:
                state.requests.append((self.path, self.headers.get("Range")))
            if options.status is not None:
                return self._plain(options.status, b"fault injected")
            route, _, name = self.path.lstrip("/").partition("/")
            if name != state.name or route not in {"files", "resolve"}:
                return self._plain(404, b"not found")
            etag = self._linked_etag()
            if route == "resolve" and options.redirect:
                self.send_response(302)
                self.send_header("Location", f"/files/{state.name}")
                if etag:
                    self.send_header("X-Linked-ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send_file(etag if not options.redirect else None)

        def _linked_etag(self) -> str | None:
            kind = state.options.linked_etag
            if kind is None:
                return None
            real = sha256_of(state.path)
            digest = real if kind == "right" else hashlib.sha256(real.encode()).hexdigest()
            return f'"{digest}"'

        def _plain(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_file(self, etag: str | None) -> None:
            options = state.options
            size = state.size
            start = 0
            match = _RANGE.match(self.headers.get("Range") or "")
            if match and options.range_support:
                start = int(match.group(1))
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            if options.range_support:
                self.send_header("Accept-Ranges", "bytes")
            if etag:
                self.send_header("X-Linked-ETag", etag)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            cut = options.cut_after
            options.cut_after = None  # a cut happens once
            try:
                with open(state.path, "rb") as handle:
                    if cut is None and options.throttle_bps is None:
                        self.wfile.flush()
                        sent = self.connection.sendfile(handle, offset=start)
                        with lock:
                            state.sent += sent
                        return
                    self._send_slowly(handle, start, cut)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client went away (paused or cancelled)

        def _send_slowly(self, handle, start: int, cut: int | None) -> None:
            handle.seek(start)
            sent = 0
            rate = state.options.throttle_bps
            window_start, window_sent = time.monotonic(), 0
            while True:
                want = _CHUNK if cut is None else min(_CHUNK, cut - sent)
                if rate:
                    want = min(want, max(1, rate // 10))
                block = handle.read(want) if want > 0 else b""
                if not block:
                    break
                self.wfile.write(block)
                sent += len(block)
                with lock:
                    state.sent += len(block)
                if state.options.throttle_bps != rate:  # changed live: a new window
                    rate = state.options.throttle_bps
                    window_start, window_sent = time.monotonic(), 0
                    continue
                window_sent += len(block)
                if rate:
                    ahead = window_sent / rate - (time.monotonic() - window_start)
                    if ahead > 0:
                        time.sleep(ahead)
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            return  # keep test output quiet

    return Handler


@contextmanager
def gguf_server(path: Path, options: ServerOptions | None = None,
                port: int = 0) -> Iterator[GgufServer]:
    """Serve ``path`` on 127.0.0.1 for the duration of the block."""
    lock = threading.Lock()
    state = GgufServer(Path(path), 0, options or ServerOptions())
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(state, lock))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, name="gguf-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-range", action="store_true")
    parser.add_argument("--linked-etag", choices=["right", "wrong"], default=None)
    args = parser.parse_args(argv)
    options = ServerOptions(range_support=not args.no_range, linked_etag=args.linked_etag)
    with gguf_server(args.file, options, args.port) as server:
        print(f"PORT {server.port}", flush=True)
        try:
            sys.stdin.read()  # until the parent closes our stdin
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
