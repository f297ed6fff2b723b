"""The application icon: present, loadable, packaged, and in step with its source."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtGui import QImageReader

from app.ui.resources import APP_ICON, app_icon, resource_path

REPO = Path(__file__).resolve().parents[2]


def test_packaged_icon_is_the_top_level_source(qapp) -> None:
    packaged = resource_path(APP_ICON)
    source = REPO / "resources" / APP_ICON
    assert packaged.read_bytes() == source.read_bytes(), (
        f"copy {source} to {packaged} after editing it")


def test_icon_renders_at_every_size(qapp) -> None:
    assert b"svg" in [bytes(fmt) for fmt in QImageReader.supportedImageFormats()]
    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 32, 64, 256):
        image = icon.pixmap(size, size).toImage()
        assert image.width() == size
        # The rounded square is opaque in the middle, transparent in the corner.
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
        assert image.pixelColor(0, 0).alpha() == 0


def test_pyproject_ships_the_ui_resources() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    packaged = resource_path(APP_ICON).relative_to(REPO / "app" / "ui").as_posix()
    assert any(Path(packaged).match(pattern) for pattern in package_data.get("app.ui", []))
