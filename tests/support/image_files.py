"""Real image files for attachment tests, written with Pillow."""

from __future__ import annotations

from pathlib import Path


def write_image(path: Path, size: tuple[int, int] = (64, 48), *, fmt: str | None = None,
                color: tuple[int, ...] = (200, 40, 40), frames: int = 1) -> Path:
    """An image of ``size`` in the format its suffix names (PNG, JPEG, WebP,
    GIF — ``frames`` > 1 makes an animated GIF)."""
    from PIL import Image

    fmt = fmt or {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP",
                  ".gif": "GIF"}[path.suffix.lower()]
    mode = "RGBA" if len(color) == 4 else "RGB"
    first = Image.new(mode, size, color)
    if frames > 1:
        rest = [Image.new(mode, size, (10 * i, 200, 10)) for i in range(1, frames)]
        first.save(path, fmt, save_all=True, append_images=rest)
    else:
        first.save(path, fmt)
    return path
