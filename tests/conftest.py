"""Project-wide test setup.

Qt tests run without a display: the offscreen platform must be chosen before
the first QApplication exists, so it is set when pytest imports this file.
So are the fonts: fontconfig reads only tests/support/fonts/fonts.conf (the
DejaVu faces scripts/system-deps.sh installs, generic families pinned to them),
so layouts and pixels do not change with the fonts a machine happens to have.
PySide6 is imported the way the app imports it (app/ui/qt_import.py), before
any test module imports Qt.
"""

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["FONTCONFIG_FILE"] = os.path.join(os.path.dirname(__file__), "support", "fonts",
                                             "fonts.conf")

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from app.ui.qt_import import import_pyside  # noqa: E402

import_pyside()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> "Iterator[object]":
    """The real llama.cpp (llama-cpp-python) server with Gemma 3 270M, started
    once per session on a free loopback port. See tests/support/llama_server.py."""
    from tests.support.llama_server import start_llama_server

    server = start_llama_server(tmp_path_factory.mktemp("llama"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def second_llama_server(tmp_path_factory: pytest.TempPathFactory) -> "Iterator[object]":
    """A second real llama.cpp server (same model, one thread), for tests where two
    agents must stream at the same time: one llama-cpp-python server answers one
    request at a time (the test server queues the others)."""
    from tests.support.llama_server import start_llama_server

    server = start_llama_server(tmp_path_factory.mktemp("llama2"), n_threads=1)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def llama_embedding_server(tmp_path_factory: pytest.TempPathFactory) -> "Iterator[object]":
    """The same server started with ``--embedding True``: it serves
    ``/v1/embeddings`` beside chat completions (a process of its own, so the
    chat tests run against the server exactly as before)."""
    from tests.support.llama_server import start_llama_server

    server = start_llama_server(tmp_path_factory.mktemp("llama-embed"), embedding=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _thaw_collector() -> Iterator[None]:
    """A test that starts an API server freezes the objects alive at that
    moment (app/api/server_tuning.py); give them back to the collector after
    it, so the test process's garbage is not kept for the rest of the run."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability suite's summary line per category (issue 21), shown
    without ``-s``: see tests/support/reliability_summary.py."""
    from tests.support.reliability_summary import summary_lines, write_report

    lines = summary_lines()
    if lines:
        terminalreporter.write_sep("=", "reliability summary")
        for line in lines:
            terminalreporter.write_line(line)
    write_report()
