"""scripts/make_icons.py draws every icon from resources/agentdesk.svg.

Run as the build runs it (a subprocess); the files are read back here by
their formats' own headers: PNG (IHDR), .ico (directory of PNG entries),
.icns (Apple's element list).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def alpha_corner_and_centre(path: Path) -> tuple[int, int]:
    """Alpha of the top-left corner pixel and of the centre (via Qt, in a
    subprocess: this test process may hold another QApplication)."""
    code = ("import sys; from PySide6.QtGui import QGuiApplication, QImage; "
            "app = QGuiApplication([]); img = QImage(sys.argv[1]); "
            "w, h = img.width(), img.height(); "
            "print(img.pixelColor(0, 0).alpha(), img.pixelColor(w // 2, h // 2).alpha())")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                         check=True).stdout.split()
    return int(out[0]), int(out[1])


@pytest.fixture(scope="module")
def icons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("icons")
    result = subprocess.run([sys.executable, "scripts/make_icons.py", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert f"files in {out}" in result.stdout
    return out


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256, 512])
def test_png_of_each_size_flat_and_in_the_hicolor_layout(icons: Path, size: int) -> None:
    flat = (icons / f"agentdesk-{size}.png").read_bytes()
    assert png_size(flat) == (size, size)
    assert (icons / "hicolor" / f"{size}x{size}" / "apps" / "agentdesk.png").read_bytes() == flat


def test_the_svg_is_drawn_not_a_blank_square(icons: Path) -> None:
    corner, centre = alpha_corner_and_centre(icons / "agentdesk-256.png")
    assert centre == 255      # the drawing covers the middle
    assert corner < 255       # the rounded square leaves the corner see-through
    scalable = icons / "hicolor" / "scalable" / "apps" / "agentdesk.svg"
    assert scalable.read_bytes() == (ROOT / "resources" / "agentdesk.svg").read_bytes()


def test_ico_holds_png_entries_16_to_256(icons: Path) -> None:
    data = (icons / "agentdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index: 22 + 16 * index])
        entry = data[offset: offset + length]
        assert len(entry) == length and (planes, bits) == (1, 32)
        side = width or 256
        assert (width, height) == (side % 256, side % 256)
        assert png_size(entry) == (side, side)
        sizes.append(side)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_elements_16_to_1024(icons: Path) -> None:
    data = (icons / "agentdesk.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    found = {}
    offset = 8
    while offset < len(data):
        kind, length = data[offset: offset + 4], struct.unpack(">I", data[offset + 4: offset + 8])[0]
        found[kind] = png_size(data[offset + 8: offset + length])
        offset += length
    assert offset == len(data)
    assert found == {b"icp4": (16, 16), b"icp5": (32, 32), b"icp6": (64, 64),
                     b"ic07": (128, 128), b"ic08": (256, 256), b"ic09": (512, 512),
                     b"ic10": (1024, 1024)}
