"""Why a download stopped: one typed error per cause, each with a sentence a
person can act on and whether ``resume`` can pick it up where it stopped."""

from __future__ import annotations


class DownloadError(Exception):
    """A download stopped. ``str(error)`` is the reason, in plain words."""

    #: True when ``DownloadManager.resume`` continues from the bytes kept.
    resumable: bool = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownDownload(KeyError):
    """No download with that id."""


class DownloadRefused(DownloadError):
    """Refused before any byte was kept (already installed, bad URL, ...)."""


class InsufficientSpace(DownloadRefused):
    """Less free disk space than the bytes still to come: refused before downloading."""

    def __init__(self, reason: str, needed: int, free: int) -> None:
        super().__init__(reason)
        self.needed = needed
        self.free = free


class DownloadBusy(DownloadRefused):
    """Another AgentDesk process (the window, or ``agentdesk models pull``) is
    downloading that file: refused here, and its part file is left alone
    (see download_lock.py)."""


class NoChecksum(DownloadRefused):
    """Neither the catalogue nor the server gives a SHA-256: the file cannot be
    verified, so it is not downloaded."""


class ChecksumConflict(DownloadRefused):
    """The server publishes another SHA-256 (or size) than the catalogue: the
    file on the server is not the one the catalogue describes."""


class ServerUnreachable(DownloadError):
    """The connection was refused or timed out before an answer."""

    resumable = True


class TransferInterrupted(DownloadError):
    """The connection broke (or stalled) mid-transfer; the bytes so far are kept."""

    resumable = True


class HttpStatusError(DownloadError):
    """The server answered with an error status."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status
        # A server error may pass; a missing file (404, 403, 410) will not.
        self.resumable = status >= 500 or status == 429


class ChecksumMismatch(DownloadError):
    """The downloaded bytes do not have the expected SHA-256; the file was deleted."""


class DiskFull(DownloadError):
    """The disk filled up while writing; the bytes so far are kept: free some
    space and resume (or cancel to delete them)."""

    resumable = True
