"""Make the app icons from resources/agentdesk.svg; never drawn by hand.

Usage: python scripts/make_icons.py [DIR | --out DIR] [--svg FILE]   (default DIR: build/icons)

Writes into DIR:
  agentdesk-<N>.png                     N = 16 22 24 32 48 64 128 256 512
  hicolor/<N>x<N>/apps/agentdesk.png    the freedesktop icon theme layout (Linux
  hicolor/scalable/apps/agentdesk.svg   packages copy it to /usr/share/icons/hicolor)
  agentdesk.ico                         Windows: 16..256, PNG-compressed entries
  agentdesk.icns                        macOS: 16..512 and 512@2x (1024), PNG entries

The SVG is rendered by Qt (QSvgRenderer, PySide6 is an app dependency); the
.ico and .icns containers are written here (both hold PNG data as is).
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns element types holding PNG data, by pixel size (Apple's icns format).
ICNS_TYPES = ((16, b"icp4"), (32, b"icp5"), (64, b"icp6"), (128, b"ic07"), (256, b"ic08"),
              (512, b"ic09"), (1024, b"ic10"))
NAME = "agentdesk"


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent ``size``×``size`` square, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        render_png.app = QGuiApplication([sys.argv[0]])  # type: ignore[attr-defined]
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg} as SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .ico file of PNG entries (Windows Vista and later read PNG entries)."""
    sizes = [size for size in ICO_SIZES if size in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    directory, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size     # 0 means 256 in the directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + directory + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .icns file: the 'icns' header, then one PNG element per size."""
    elements = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                        for size, kind in ICNS_TYPES if size in pngs)
    return b"icns" + struct.pack(">I", 8 + len(elements)) + elements


def make_icons(out: Path, svg: Path) -> list[Path]:
    """Write every icon into ``out``; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    pngs = {size: render_png(svg, size) for size in sorted({*PNG_SIZES, 1024})}
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    for size in PNG_SIZES:
        write(out / f"{NAME}-{size}.png", pngs[size])
        write(out / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png", pngs[size])
    scalable = out / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    write(out / f"{NAME}.ico", ico_bytes(pngs))
    write(out / f"{NAME}.icns", icns_bytes(pngs))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the app icons from the SVG.")
    parser.add_argument("folder", type=Path, nargs="?", help="the output folder (or --out)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--svg", type=Path, default=ROOT / "resources" / "agentdesk.svg")
    args = parser.parse_args(argv)
    out = args.out or args.folder or ROOT / "build" / "icons"
    written = make_icons(out, args.svg)
    print(f"make_icons: {len(written)} files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
