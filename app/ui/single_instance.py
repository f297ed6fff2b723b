"""One AgentDesk per data folder: a second launch brings the first one forward.

The running instance listens on a QLocalServer whose name is derived from the
user and the data folder (two data folders may each have their own instance).
A new launch first tries to connect: if someone answers, it sends ``show``
(or, started with files, ``open`` and their absolute paths as one JSON line),
waits for the ``ok`` and exits without opening the database. The running
instance comes forward, and opens the files (app/ui/open_files.py checks them:
they are only as trustworthy as whoever started the second launch).

A crashed instance leaves its socket file behind (Unix): nobody answers on it,
so it is removed (``QLocalServer.removeServer``) before listening. Qt would
replace it silently anyway (with ``UserAccessOption`` it binds elsewhere and
renames over the old file), which is also why claims are serialised by a lock
file: otherwise two launches at the same moment could each replace the
other's socket and both run.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, QSysInfo, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

SHOW_REQUEST = b"show\n"
OPEN_PREFIX = b"open "   # + a JSON list of absolute paths + newline
SHOW_ACK = b"ok\n"
CONNECT_MS = 500
REPLY_MS = 2000
#: Paths sent per request; the receiver takes at most its own MAX_FILES of them.
MAX_SENT_PATHS = 100
MAX_PATH_CHARS = 4096
#: bytes: "show", or "open" with up to MAX_SENT_PATHS paths of up to 4096
#: characters (JSON-escaped); anything longer is dropped unread.
MAX_REQUEST = 4 * 1024 * 1024
LOCK_FILENAME = ".instance.lock"
LOCK_MS = 5000


def server_name(home: Path | str) -> str:
    """The local server name for a data folder (and the current user).

    Short and free of path separators: on Unix Qt puts it in the temp folder,
    where socket paths are limited to about 100 characters.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):   # no login name (e.g. a container without passwd entry)
        user = "user"
    folder = str(Path(home).expanduser().resolve())
    digest = hashlib.sha256(f"{user}\0{folder}".encode()).hexdigest()[:20]
    return f"agentdesk-{digest}"


def socket_path(name: str) -> Path | None:
    """Where Qt puts the socket of a named server on Unix (None on Windows,
    where local servers are named pipes and leave nothing behind)."""
    if QSysInfo.productType() == "windows":
        return None
    return Path(QDir.tempPath()) / name


class Claim(Enum):
    PRIMARY = "primary"        # we listen now; this process runs the app
    FORWARDED = "forwarded"    # another instance was asked to show itself


def open_request(paths: Sequence[str]) -> bytes:
    """The request that asks the running instance to open ``paths`` (made
    absolute here: the running instance has another working folder)."""
    # A name longer than any file system takes is cut (and refused there).
    absolute = [str(Path(path[:MAX_PATH_CHARS + 1]).absolute())
                for path in list(paths)[:MAX_SENT_PATHS]]
    return OPEN_PREFIX + json.dumps(absolute).encode() + b"\n"


def parse_open_request(line: bytes) -> list[str] | None:
    """The paths of an ``open`` request line; None when it is not one."""
    if not line.startswith(OPEN_PREFIX):
        return None
    try:
        paths = json.loads(line[len(OPEN_PREFIX):].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return None
    return paths[:MAX_SENT_PATHS]


def ask_running_instance(name: str, timeout_ms: int = CONNECT_MS,
                         paths: Sequence[str] = ()) -> bool:
    """Ask the instance listening on ``name`` to show its window (and open
    ``paths``).

    True once the request was delivered (the instance answered ``ok``, or at
    least took the bytes); False when nobody listens.
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(open_request(paths) if paths else SHOW_REQUEST)
    delivered = socket.waitForBytesWritten(REPLY_MS)
    answered = False
    while delivered and socket.bytesAvailable() < len(SHOW_ACK):
        if not socket.waitForReadyRead(REPLY_MS):
            break
    if socket.bytesAvailable():
        answered = bytes(socket.readAll().data()).startswith(SHOW_ACK)
    socket.disconnectFromServer()
    if not answered:
        log.warning("the running instance took the show request but did not answer")
    return delivered


class SingleInstance(QObject):
    """The running instance's side: listens, and says when to come forward."""

    #: Another launch asked this instance to show its window.
    sig_show_requested = Signal()
    #: Another launch was given files: their paths (unchecked), after sig_show_requested.
    sig_open_requested = Signal(list)

    def __init__(self, home: Path | str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._home = Path(home)
        self.name = server_name(home)
        self._server = QLocalServer(self)
        # Only this user may connect (the socket file is created 0700).
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self.removed_stale = False

    def claim(self, paths: Sequence[str] = ()) -> Claim:
        """Become the running instance, or hand over to the one already running
        (with ``paths``, the files this launch was given).

        Claims are serialised by a lock file in the data folder (held for the
        few milliseconds of ask + listen), so of two launches started at the same
        moment the second finds the first listening.
        """
        self._home.mkdir(parents=True, exist_ok=True)
        lock = QLockFile(str(self._home / LOCK_FILENAME))
        if not lock.tryLock(LOCK_MS):
            log.warning("single instance: could not take %s; starting anyway", LOCK_FILENAME)
        try:
            return self._claim(paths)
        finally:
            if lock.isLocked():
                lock.unlock()

    def _claim(self, paths: Sequence[str]) -> Claim:
        if ask_running_instance(self.name, paths=paths):
            log.info("another AgentDesk is running on this data folder; "
                     "asked it to show its window%s",
                     f" and open {len(paths)} file(s)" if paths else "")
            return Claim.FORWARDED
        # Nobody answered. A socket file still there was left by a crash: with
        # UserAccessOption Qt would silently replace it, so say what happens.
        path = socket_path(self.name)
        if path is not None and path.exists():
            log.info("removing a stale instance socket left by a previous run (%s)", path)
            QLocalServer.removeServer(self.name)
            self.removed_stale = True
        if not self._server.listen(self.name):
            # Not fatal: the app works, only without the single-instance guard.
            log.warning("single instance: cannot listen on %s: %s", self.name,
                        self._server.errorString())
        return Claim.PRIMARY

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening (removes the socket file)."""
        if self._server.isListening():
            self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is None:
                return
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_REQUEST:
                log.warning("single instance: dropped an oversized request")
                socket.abort()
            return
        line = bytes(socket.readLine(MAX_REQUEST + 1).data())
        paths = parse_open_request(line)
        if line == SHOW_REQUEST or paths is not None:
            log.info("another launch asked this instance to show its window%s",
                     f" and open {len(paths)} file(s)" if paths else "")
            socket.write(SHOW_ACK)
            socket.flush()
            self.sig_show_requested.emit()
            if paths:
                self.sig_open_requested.emit(paths)
        else:
            log.warning("single instance: unknown request %r", line[:MAX_REQUEST])
        socket.disconnectFromServer()
