"""The floor of the startup benchmark: a bare QMainWindow after the app's imports.

Run by bench/startup.py as its own process::

    python bench/startup_floor.py MODULES_FILE

It imports every module named in MODULES_FILE (one per line: what the app had
imported when its window was shown, without the app's own modules), shows an
empty QMainWindow of the app window's size and, when the first paint has
finished (the same marker as app/ui/first_paint.py: a zero-time timer set at the
window's first Paint event), prints ``painted <epoch seconds>`` and keeps
running idle until it is terminated.

Nothing from ``app`` is imported but two start-up helpers, so that the floor
does not pay costs the app avoids (it would not be the floor then): it pauses
the garbage collector until its first paint as ``python -m app`` does
(``app/gc_pause.py``; ~60 ms), and imports PySide6 first through
``app/ui/qt_import.py``: without it, PySide6's import hook would keep the
sources of the modules imported after it in memory (~18 MB here).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

WINDOW_SIZE = (1180, 760)   # the main window's default size (app/ui/main_window.py)


def _import_all(path: str) -> tuple[int, list[str]]:
    names = [line.strip() for line in open(path, encoding="utf-8") if line.strip()]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 — a module that only imports in its context
            failed.append(name)
    return len(names) - len(failed), failed


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from app import gc_pause

    gc_pause.pause()
    from app.ui.qt_import import import_pyside

    import_pyside()
    imported, failed = _import_all(sys.argv[1])

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("floor")
    window.resize(*WINDOW_SIZE)

    def painted() -> None:
        print(f"painted {time.time():.6f} imported {imported} "
              f"failed {','.join(failed) or '-'}", flush=True)
        gc_pause.resume(freeze=True)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if watched is window and event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                QTimer.singleShot(0, painted)
            return False

    watcher = FirstPaint(window)
    window.installEventFilter(watcher)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
