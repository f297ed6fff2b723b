"""A virtual X display with a real system tray host, for the tray tests.

``start_tray_display`` starts ``Xvfb :N -screen 0 1280x800x24 -nolisten tcp`` on
a free display number and ``trayer`` (a freedesktop system-tray host) on it.
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
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SCREEN = "1280x800x24"
FIRST_DISPLAY = 90
LAST_DISPLAY = 190
START_SECONDS = 15.0
REQUIRED = ("Xvfb", "trayer", "xdpyinfo", "xwininfo")


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


def _display_free(number: int) -> bool:
    return not (Path(f"/tmp/.X{number}-lock").exists()
                or Path(f"/tmp/.X11-unix/X{number}").exists())


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


def _wait_for_display(display: str, xvfb: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if xvfb.poll() is not None:
            raise XvfbError(f"Xvfb {display} exited with {xvfb.returncode}")
        probe = subprocess.run(["xdpyinfo", "-display", display],
                               capture_output=True, timeout=10)
        if probe.returncode == 0:
            return
        time.sleep(0.1)
    raise XvfbError(f"Xvfb {display} did not accept connections in {START_SECONDS}s")


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


def start_tray_display(log_dir: Path) -> TrayDisplay:
    """Xvfb on a free display number plus trayer on it; call ``stop()`` after."""
    require_programs()
    log_dir.mkdir(parents=True, exist_ok=True)
    for number in range(FIRST_DISPLAY, LAST_DISPLAY):
        if not _display_free(number):
            continue
        display = f":{number}"
        xvfb_log = (log_dir / f"xvfb{number}.log").open("wb")
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", SCREEN, "-nolisten", "tcp"],
                                stdout=xvfb_log, stderr=subprocess.STDOUT)
        try:
            _wait_for_display(display, xvfb)
        except XvfbError:
            if xvfb.poll() is None:
                xvfb.kill()
            xvfb.wait(timeout=5)
            continue   # taken meanwhile by someone else: try the next number
        trayer_log = (log_dir / f"trayer{number}.log").open("wb")
        env = {**os.environ, "DISPLAY": display}
        trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right",
                                   "--widthtype", "request", "--height", "24",
                                   "--SetDockType", "true", "--expand", "true"],
                                  env=env, stdout=trayer_log, stderr=subprocess.STDOUT)
        started = TrayDisplay(display, xvfb, trayer, log_dir)
        try:
            _wait_for_tray(display, trayer)
        except XvfbError:
            started.stop()
            raise
        return started
    raise XvfbError(f"no free X display number in :{FIRST_DISPLAY}..:{LAST_DISPLAY}")
