"""PySide6's import hook must not keep the window's module sources in memory
(app/ui/qt_import.py; docs/PERFORMANCE.md, Startup).

The end-to-end checks run in a fresh interpreter: this test process has
imported PySide6 and most of the app long ago, so nothing is left to import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.ui import qt_import
from app.ui.qt_import import IGNORE_MODULE, FeatureClassifier, import_pyside

REPO = Path(__file__).resolve().parents[2]

# Loads what the window loads: the window module, Markdown and code highlighting,
# an HTTP provider. Prints the source files PySide6's hook then read into linecache
# (reads with shibokensupport/feature.py on the stack) and their size. Other
# readers are not counted: anyio reads its own source on import, on purpose.
PROBE = r"""
import asyncio, json, linecache, sys
hook_reads = set()
read = linecache.updatecache
def traced(filename, module_globals=None):
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith("shibokensupport/feature.py"):
            hook_reads.add(filename)
            break
        frame = frame.f_back
    return read(filename, module_globals)
linecache.updatecache = traced
if sys.argv[1] == "classify":
    from app.ui.qt_import import import_pyside
    assert import_pyside()
else:
    import PySide6
hook_reads.clear()   # PySide6's own start reads a few; only what follows counts
import app.ui.application, app.ui.main_window
from app.ui.chat.markdown_render import warm_up
warm_up()
from app.core.provider_factory import build_provider
from app.domain import ProviderConfig
provider = build_provider(ProviderConfig(name="p", kind="llamacpp",
                                         base_url="http://127.0.0.1:9/v1"))
asyncio.run(provider.aclose())
files = sorted(hook_reads)
chars = sum(len("".join(linecache.cache[f][2])) for f in files if f in linecache.cache)
print(json.dumps({"files": files, "chars": chars}))
"""


def _probe(mode: str) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_window_imports_keep_no_module_sources_once_classified() -> None:
    result = _probe("classify")
    assert result["files"] == [], result


def test_without_the_classifier_pyside_keeps_the_sources() -> None:
    """The control: the probe above would see the hook's cost if it came back."""
    result = _probe("plain")
    files = result["files"]
    assert any(f.endswith(os.path.join("app", "ui", "main_window.py")) for f in files), files
    assert result["chars"] > 1_000_000, result["chars"]


def test_classifier_marks_a_module_before_it_loads_and_finds_nothing() -> None:
    table: dict[str, int] = {"already.known": 0}
    finder = FeatureClassifier(table)

    assert finder.find_spec("some.new.module") is None
    assert finder.find_spec("already.known") is None
    assert table == {"already.known": 0, "some.new.module": IGNORE_MODULE}


def test_a_second_call_adds_no_second_finder() -> None:
    assert import_pyside()
    assert import_pyside()
    assert sum(isinstance(f, FeatureClassifier) for f in sys.meta_path) == 1
    assert qt_import.feature_table()[__name__] == IGNORE_MODULE


def test_a_pyside_without_the_table_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path",
                        [f for f in sys.meta_path if not isinstance(f, FeatureClassifier)])
    monkeypatch.setattr(qt_import, "feature_table", lambda: None)

    assert import_pyside() is False
    assert not any(isinstance(f, FeatureClassifier) for f in sys.meta_path)
