"""Providers' connection status as the model bar shows it: the coloured dot,
its tooltip, and ``ProviderStatus``, which keeps the last report per provider
from connection tests (run as tasks, one at a time per provider) and from
what replies showed (``note_attempt``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from app.core.fallback import Attempt
from app.core.provider_advice import failure_report
from app.core.wording import plural
from app.domain import ConnectionReport, ProviderConfig
from app.services.provider_service import ProviderService

Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]
DOT_COLOURS = {"up": "#2da44e", "down": "#d1242f", "unknown": "#8c959f"}
#: A reply failing with these says the provider is not usable (the others —
#: unknown model, rate limit, context too long — came from a provider that answered).
REPLY_DOWN_KINDS = frozenset({"unreachable", "timeout", "auth", "server"})


def status_dot(state: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(DOT_COLOURS[state]))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def status_state(report: ConnectionReport | None) -> str:
    if report is None:
        return "unknown"
    return "up" if report.reachable else "down"


def status_tooltip(name: str, report: ConnectionReport | None) -> str:
    if report is None:
        return f"{name}: not checked yet"
    if report.reachable:
        parts = [f"{name}: reachable"]
        if report.latency_ms is not None:
            parts.append(f"latency {report.latency_ms:.0f} ms")
        if report.version:
            parts.append(f"version {report.version}")
        if report.model_count is not None:
            parts.append(plural(report.model_count, "model"))
        return " · ".join(parts)
    return f"{name}: down — {report.message} {report.fix}".strip()


class ProviderStatus(QObject):
    """The last connection report per provider name; ``sig_report`` on each new one."""

    #: A provider's status changed (name, report).
    sig_report = Signal(str, object)

    def __init__(self, service: ProviderService, spawn: Spawn,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._spawn = spawn
        self.reports: dict[str, ConnectionReport] = {}
        self._checking: set[str] = set()

    def check(self, config: ProviderConfig, *, force: bool = False) -> None:
        """Test ``config``'s connection in the background. The in-process
        engine is only tested on demand (``force``): its test loads the native
        library, which costs memory and a second of CPU at start-up."""
        if config.name in self._checking and not force:
            return
        if config.kind == "embedded" and not force:
            return
        self._checking.add(config.name)
        self._spawn(self._check(config), "connection-test")

    async def _check(self, config: ProviderConfig) -> None:
        try:
            report = await self._service.test(config)
        finally:
            self._checking.discard(config.name)
        self.set_report(config.name, report)

    def set_report(self, name: str, report: ConnectionReport) -> None:
        self.reports[name] = report
        self.sig_report.emit(name, report)

    def note_attempt(self, config: ProviderConfig, attempt: Attempt) -> None:
        """What a reply showed about ``config``: it answered (reachable; an
        earlier test's latency and version are kept), or it failed in a way
        that means it is not usable (unreachable, with the fix)."""
        if attempt.outcome == "answered":
            previous = self.reports.get(config.name)
            if previous is not None and previous.reachable:
                return
            report = ConnectionReport(provider=config.name, reachable=True, auth_ok=True)
        elif attempt.error_kind in REPLY_DOWN_KINDS:
            report = failure_report(config, attempt.error_kind or "", attempt.error or "")
        else:
            return
        self.set_report(config.name, report)

    def state(self, name: str) -> str:
        """"up", "down" or "unknown" (what the dot shows)."""
        return status_state(self.reports.get(name))
