"""Image files to what a vision model is sent, with Pillow: the file must
really be PNG, JPEG, WebP or GIF (its bytes say so, not its name); a GIF
becomes its first frame; an image larger than ``max_side`` pixels on a side
is scaled down; the result is PNG (kept transparency) or JPEG (photos)."""

from __future__ import annotations

import io
import logging

from app.domain.attachments import Attachment

log = logging.getLogger(__name__)

#: Pillow format names we take, and the MIME type each is.
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
#: More pixels than this is refused before decoding (a decompression bomb).
MAX_PIXELS = 64_000_000


class ImageProblem(ValueError):
    """Not an image we take, or one too large to decode; the text says why."""


def sniff_image(head: bytes) -> bool:
    """True when the first bytes are a PNG, JPEG, WebP or GIF signature."""
    return (head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")
            or head.startswith((b"GIF87a", b"GIF89a"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def prepare_image(data: bytes, name: str, max_side: int) -> Attachment:
    """An image attachment from a file's bytes; raises ImageProblem."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            if kind not in _FORMATS:
                raise ImageProblem(f"{kind or 'this'} images are not supported "
                                   "(PNG, JPEG, WebP or GIF)")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageProblem(f"too many pixels ({width}×{height})")
            frames = getattr(image, "n_frames", 1)
            image.seek(0)                       # a GIF's (or WebP's) first frame
            frame = image.convert("RGBA" if _has_alpha(image) else "RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageProblem(f"not a readable image ({type(exc).__name__})") from None
    except ImageProblem:
        raise
    except (OSError, SyntaxError, ValueError) as exc:   # truncated or damaged data
        raise ImageProblem(f"a damaged image ({exc})") from None
    except Exception as exc:  # noqa: BLE001 — a damaged file can make Pillow raise anything
        # (issue 21's fuzzing: a cut GIF frame raised IndexError from GifImagePlugin)
        log.info("could not decode image %s: %r", name, exc)
        raise ImageProblem(f"a damaged image ({type(exc).__name__})") from None
    note = ""
    if max(frame.size) > max_side:
        frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        note = f"scaled down from {width}×{height} to {frame.width}×{frame.height}"
    if frames > 1:
        note = "; ".join(filter(None, ["first frame of an animation", note]))
    out = io.BytesIO()
    if frame.mode == "RGBA":
        frame.save(out, "PNG", optimize=True)
        mime = "image/png"
    else:
        frame.save(out, "JPEG", quality=88)
        mime = "image/jpeg"
    return Attachment(kind="image", name=name, mime=mime, size=len(data),
                      data=out.getvalue(), width=frame.width, height=frame.height, note=note)


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
