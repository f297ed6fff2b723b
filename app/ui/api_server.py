"""The local HTTP API served from the desktop app (issue 18).

uvicorn runs ``create_app(context)`` (app/api/) on its own thread with its own
asyncio loop, so a slow or busy client never touches the window's qasync loop.
One process: the API opens its own AsyncStore on that loop (a second SQLite
connection in WAL mode, as the CLI beside the window does: writes are
serialised by SQLite's lock with a busy timeout, and the window sees them
through its external-change watch). See docs/ARCHITECTURE.md, "Local HTTP API".

The socket is bound here, on the UI thread, before the thread starts, so "the
port is in use" or "no such address" is a clear one-line status at once, not
a log line from another thread. Stopping never blocks the window: it asks the
server to exit and a timer notices when the thread has ended (only quitting
the app waits, a bounded time).

The request count comes from the context's ``on_request`` hook, called on
the server's thread; the window reads it on a timer (no signal per request,
so a load of clients cannot flood the UI loop).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, Literal

from PySide6.QtCore import QObject, QTimer, Signal

from app.api.server_tuning import freeze_long_lived, short_gil_switches
from app.core.secrets import SecretError, api_token, regenerate_api_token
from app.settings import ApiSettings, AppSettings

log = logging.getLogger(__name__)

State = Literal["off", "starting", "on", "stopping", "failed"]
POLL_MS = 400
STOP_WAIT_SECONDS = 5.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: Builds the ASGI app: (settings, token, on_request) -> app. Default: app.api's create_app.
AppFactory = Callable[[AppSettings, str, Callable[[int], None]], Any]


def is_loopback(host: str) -> bool:
    return host.strip().lower() in LOOPBACK_HOSTS


def _default_factory(settings: AppSettings, token: str,
                     on_request: Callable[[int], None]) -> Any:
    from app.api.app import create_app
    from app.api.context import ApiContext

    context = ApiContext.from_settings(settings, token, settings.database_path,
                                       on_request=on_request)
    app = create_app(context)
    app.state.agentdesk_context = context   # Regenerate sets .token on it
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; OSError with the system's reason otherwise."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class _ServerThread:
    """One uvicorn server on one thread; Qt-free."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn

        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(target=self._run, name="agentdesk-api", daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        # The app is built (FastAPI and its routes imported and made): out of
        # the collector's reach from now on, without a full pass beside the UI.
        freeze_long_lived(collect=False)
        try:
            with short_gil_switches():
                loop.run_until_complete(self.server.serve(sockets=[self.sock]))
        except (OSError, RuntimeError) as exc:
            log.error("the API server stopped: %s", exc)
        finally:
            loop.close()
            self.sock.close()

    def start(self) -> None:
        self.thread.start()

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    def stop(self) -> None:
        self.server.should_exit = True


class ApiServerController(QObject):
    """Starts, stops and reports the in-app API server."""

    #: The state or the request count changed (read ``status_text()``).
    sig_changed = Signal()

    def __init__(self, settings: AppSettings, *, app_factory: AppFactory | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._factory = app_factory or _default_factory
        self.state: State = "off"
        self.error = ""
        self.address = ""
        self.port = 0
        self._server: _ServerThread | None = None
        self._app: Any = None
        self._pending: ApiSettings | None = None    # start once the old server ended
        self._running: ApiSettings | None = None    # what the live server was started with
        self._lock = threading.Lock()
        self._requests = 0
        self._shown_requests = -1
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- reading -------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def _count(self, _status: int) -> None:   # the server thread
        with self._lock:
            self._requests += 1

    def status_text(self) -> str:
        if self.state == "on":
            count = self.requests
            return (f"On at {self.address} · {count} request{'s' if count != 1 else ''} "
                    "since it started")
        if self.state == "starting":
            return f"Starting at {self.address}…"
        if self.state == "stopping":
            return "Stopping…"
        if self.state == "failed":
            return f"Not running: {self.error}"
        return "Off"

    # -- acting --------------------------------------------------------------------------
    def apply(self, settings: AppSettings) -> None:
        """Run the server as ``settings.api`` says: start, stop or restart it."""
        self.settings = settings
        wanted = settings.api.model_copy(deep=True) if settings.api.enabled else None
        if wanted is not None and wanted == self._running and self.state in ("starting", "on"):
            return      # nothing the server reads changed
        if self._server is not None:
            self._pending = wanted
            self.stop()
        elif wanted is not None:
            self._start(wanted)
        else:
            self._set("off")

    def stop(self) -> None:
        if self._server is None:
            self._set("off")
            return
        self._server.stop()
        self._set("stopping")
        self._timer.start()

    def regenerate_token(self) -> str:
        """A new token in the keyring, in force on the running server at once."""
        token = regenerate_api_token()
        context = getattr(getattr(self._app, "state", None), "agentdesk_context", None)
        if context is not None:
            context.token = token
        return token

    def close(self, wait: float = STOP_WAIT_SECONDS) -> None:
        """At quit: stop and wait (bounded) for the thread."""
        self._pending = None
        server = self._server
        if server is None:
            return
        server.stop()
        server.thread.join(wait)
        self._server = None
        self._running = None
        self._timer.stop()
        self.state = "off"

    def _start(self, api: ApiSettings) -> None:
        self.address = f"http://{_url_host(api.host)}:{api.port}"
        try:
            token = api_token()
            sock = bind(api.host, api.port)
        except SecretError as exc:
            self._fail(str(exc))
            return
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._fail(f"cannot listen on {api.host}:{api.port}: {reason}")
            return
        self.port = sock.getsockname()[1]
        self.address = f"http://{_url_host(api.host)}:{self.port}"
        try:
            self._app = self._factory(self.settings, token, self._count)
        except (ImportError, ValueError, OSError) as exc:
            sock.close()
            self._fail(f"the API could not be built: {exc}")
            return
        with self._lock:
            self._requests = 0
        self._running = api
        self._server = _ServerThread(self._app, sock)
        self._server.start()
        log.info("local API starting at %s", self.address)
        self._set("starting")
        self._timer.start()

    def _fail(self, message: str) -> None:
        log.warning("local API not started: %s", message)
        self.error = message
        self._set("failed")

    def _set(self, state: State) -> None:
        self.state = state
        self._shown_requests = -1
        self.sig_changed.emit()

    def _poll(self) -> None:
        server = self._server
        if server is None:
            self._timer.stop()
            return
        if not server.thread.is_alive():
            self._server = None
            self._app = None
            self._running = None
            self._timer.stop()
            if self.state == "starting":
                self._fail("the server stopped while starting (see the log)")
            else:
                log.info("local API stopped")
                self._set("off")
            pending, self._pending = self._pending, None
            if pending is not None:
                self._start(pending)
            return
        if self.state == "starting" and server.started:
            log.info("local API serving at %s", self.address)
            self._set("on")
        elif self.state == "on" and self.requests != self._shown_requests:
            self._shown_requests = self.requests
            self.sig_changed.emit()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

