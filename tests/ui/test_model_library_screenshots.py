"""Screenshots of the Model Library window in light and dark (catalogue,
downloads, installed), saved to the ``screenshot_dir`` folder (a temporary
one, or docs/screenshots/ when scripts/screenshots.sh runs the tests). The
download rows are driven by the progress notices the download manager sends
(one running, one paused, one failed); the installed models are imported
through the window's own import."""

from __future__ import annotations

from pathlib import Path

import pytest
from layout_support import clipping, picture
from model_library_support import click, open_library, visible_box
from test_model_library_installed import tiny_base_model, tiny_chat_model
from window_support import WAIT_MS, open_window

from app.domain.model_library import DownloadProgress
from app.ui.theme import theme_manager

ROWS = [
    DownloadProgress(id="a1", filename="qwen2.5-1.5b-instruct-q4_k_m.gguf", received=412_000_000,
                     total=986_000_000, bytes_per_s=24_600_000, eta_s=23.3, state="running"),
    DownloadProgress(id="b2", filename="gemma-3-1b-it-Q4_K_M.gguf", received=120_000_000,
                     total=806_000_000, state="paused"),
    DownloadProgress(id="c3", filename="Phi-3.5-mini-instruct-Q4_K_M.gguf",
                     received=5_000_000, total=2_390_000_000, state="failed",
                     error="the server closed the connection (Resume continues from 5.0 MB)"),
]


def mean_lightness(image) -> float:
    values = [image.pixelColor(x, y).lightness()
              for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)]
    return sum(values) / len(values)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_model_library_screenshots(scheme, aio, bridge, settings, qtbot, tmp_path,
                                   screenshot_dir: Path) -> None:
    theme_manager().apply(scheme, 10)
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    library.resize(1000, 640)
    tab = library.catalogue
    catalogue_image = picture(library)
    assert catalogue_image.save(str(screenshot_dir / f"model-library-catalogue-{scheme}.png"))
    assert clipping(tab.recommended) == [] and clipping(tab.details) == []

    for progress in ROWS:
        library.service.sig_progress.emit(progress)
    library.tabs.setCurrentWidget(library.downloads)
    rows = library.downloads.rows
    assert [rows[p.id].status.text() for p in ROWS] == [
        "412 MB of 986 MB · 24.6 MB/s · 23 s left", "Paused · 120 MB of 806 MB",
        "Failed: the server closed the connection (Resume continues from 5.0 MB)"]
    downloads_image = picture(library)
    assert downloads_image.save(str(screenshot_dir / f"model-library-downloads-{scheme}.png"))

    for path, mode in ((tiny_chat_model(tmp_path / "x"), "Copy"),
                       (tiny_base_model(tmp_path / "x"), "Link")):
        library.ask_import_mode(path)
        click(visible_box(library, "importModeQuestion", qtbot), mode)
        qtbot.waitUntil(lambda p=path: p.stem in library.installed.names(), timeout=WAIT_MS)
    library.installed.select("tiny-chat")
    installed_image = picture(library)
    assert installed_image.save(str(screenshot_dir / f"model-library-installed-{scheme}.png"))

    for image in (catalogue_image, downloads_image, installed_image):
        lightness = mean_lightness(image)
        assert lightness < 90 if scheme == "dark" else lightness > 180
    library.close()
