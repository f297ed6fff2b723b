"""A virtual X display with a real system tray host, for the tray tests.

``start_tray_display`` starts ``Xvfb -displayfd FD -screen 0 1280x800x24 -nolisten
tcp`` and ``trayer`` (a freedesktop system-tray host) on it. ``-displayfd`` lets
Xvfb take the first display number it can bind and tell us which: guessing a
number from lock files is racy, and on Linux another X server (in another mount
namespace, or started meanwhile) can own the abstract socket of a number whose
lock file we cannot see; a probe would then reach *that* server and its tray.
Qt's xcb platform then reports ``QSystemTrayIcon.isSystemTrayAvailable()``
true and tray icons dock in trayer. The Qt code runs in a subprocess with
``DISPLAY`` and ``QT_QPA_PLATFORM=xcb`` from ``.env()``: the rest of the suite
runs offscreen, and a QApplication's platform cannot change in-process.

Missing programs are an error naming ``scripts/system-deps.sh`` (which installs
them), never a skip: a tray that is not tested is a tray that is not known to
work.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SCREEN = "1280x800x24"
START_SECONDS = 15.0
REQUIRED = ("Xvfb", "trayer", "xwininfo")


class XvfbError(RuntimeError):
    pass


def missing_programs() -> list[str]:
    return [name for name in REQUIRED if shutil.which(name) is None]


def require_programs() -> None:
    missing = missing_programs()
    if missing:
        raise XvfbError(
            f"the tray tests need {', '.join(missing)} (Debian packages xvfb, trayer, "
            "x11-utils): install them with scripts/system-deps.sh")


@dataclass
class TrayDisplay:
    display: str
    xvfb: subprocess.Popen[bytes]
    trayer: subprocess.Popen[bytes]
    log_dir: Path
    _stopped: bool = field(default=False, repr=False)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for a Qt process on this display (xcb platform)."""
        env = dict(os.environ if base is None else base)
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for process in (self.trayer, self.xvfb):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


def _read_display_number(read_fd: int, xvfb: subprocess.Popen[bytes]) -> str:
    """The display Xvfb bound, as it writes it to ``-displayfd`` once it listens."""
    deadline = time.monotonic() + START_SECONDS
    received = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], 0.1)
        if ready:
            chunk = os.read(read_fd, 64)
            received += chunk
            if b"\n" in received or not chunk:
                break
        elif xvfb.poll() is not None:
            raise XvfbError(f"Xvfb exited with {xvfb.returncode} before it listened")
    number = received.strip()
    if not number.isdigit():
        raise XvfbError(f"Xvfb did not report its display in {START_SECONDS}s")
    return f":{number.decode()}"


def _log_tail(path: Path, limit: int = 800) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-limit:].strip() or "(no output)"


def _wait_for_tray(display: str, trayer: subprocess.Popen[bytes]) -> None:
    """Until trayer's window exists (it owns the tray selection by then)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if trayer.poll() is not None:
            raise XvfbError(f"trayer exited with {trayer.returncode} on {display}")
        tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display],
                              capture_output=True, text=True, timeout=10)
        if "panel" in tree.stdout.lower() or "trayer" in tree.stdout.lower():
            return
        time.sleep(0.1)
    raise XvfbError(f"trayer did not map its window on {display} in {START_SECONDS}s")


def _start_xvfb(log_dir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    read_fd, write_fd = os.pipe()
    try:
        with (log_dir / "xvfb.log").open("wb") as log:
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN,
                 "-nolisten", "tcp"],
                stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_fd,))
        os.close(write_fd)
        write_fd = -1
        try:
            return _read_display_number(read_fd, xvfb), xvfb
        except XvfbError as exc:
            if xvfb.poll() is None:
                xvfb.kill()
            xvfb.wait(timeout=5)
            raise XvfbError(f"{exc}: {_log_tail(log_dir / 'xvfb.log')}") from None
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def _start_trayer(display: str, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(["trayer", "--edge", "top", "--align", "right",
                                 "--widthtype", "request", "--height", "24",
                                 "--SetDockType", "true", "--expand", "true"],
                                env={**os.environ, "DISPLAY": display},
                                stdout=log, stderr=subprocess.STDOUT)


def start_tray_display(log_dir: Path, attempts: int = 3) -> TrayDisplay:
    """Xvfb on a display number of its own choosing plus trayer on it; ``stop()`` after.

    A start that fails is retried on a fresh server, and the last failure is
    raised with the failing program's own output.
    """
    require_programs()
    failure = XvfbError("no attempt made")
    for attempt in range(1, attempts + 1):
        attempt_dir = log_dir / f"attempt{attempt}"
        attempt_dir.mkdir(parents=True, exist_ok=True)
        try:
            display, xvfb = _start_xvfb(attempt_dir)
        except XvfbError as exc:
            failure = exc
            continue
        trayer_log = attempt_dir / "trayer.log"
        started = TrayDisplay(display, xvfb, _start_trayer(display, trayer_log), log_dir)
        try:
            _wait_for_tray(display, started.trayer)
        except XvfbError as exc:
            started.stop()
            failure = XvfbError(f"{exc}: {_log_tail(trayer_log)}")
            continue
        return started
    raise failure
