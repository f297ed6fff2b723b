"""Files to attachments: real images of each type, real documents, hostile files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.core.attachments import AttachmentError, attach_file, attach_files
from tests.support.document_files import write_docx, write_pdf, write_zip_bomb_docx
from tests.support.image_files import write_image


@pytest.mark.parametrize("name", ["a.png", "b.jpg", "c.webp", "d.gif"])
def test_each_image_type_is_attached_as_png_or_jpeg(tmp_path: Path, name: str) -> None:
    attachment = attach_file(write_image(tmp_path / name, (80, 60)))
    assert attachment.kind == "image" and (attachment.width, attachment.height) == (80, 60)
    assert attachment.mime in ("image/png", "image/jpeg")
    with Image.open(io.BytesIO(attachment.data)) as decoded:
        assert decoded.size == (80, 60)
        assert decoded.format == {"image/png": "PNG", "image/jpeg": "JPEG"}[attachment.mime]


def test_a_large_image_is_scaled_down_with_a_note(tmp_path: Path) -> None:
    attachment = attach_file(write_image(tmp_path / "big.png", (4000, 1000)),
                             max_image_side=1000)
    assert (attachment.width, attachment.height) == (1000, 250)
    assert "scaled down from 4000×1000 to 1000×250" in attachment.note


def test_an_animated_gif_sends_its_first_frame(tmp_path: Path) -> None:
    attachment = attach_file(write_image(tmp_path / "anim.gif", (20, 20), frames=3))
    assert "first frame" in attachment.note
    with Image.open(io.BytesIO(attachment.data)) as decoded:
        assert decoded.convert("RGB").getpixel((5, 5)) == pytest.approx((200, 40, 40), abs=8)


def test_transparency_is_kept_as_png(tmp_path: Path) -> None:
    attachment = attach_file(write_image(tmp_path / "t.png", color=(1, 2, 3, 0)))
    assert attachment.mime == "image/png"


def test_an_image_named_by_its_bytes_not_its_suffix(tmp_path: Path) -> None:
    path = write_image(tmp_path / "photo.dat", fmt="PNG")
    assert attach_file(path).kind == "image"


def test_a_fake_image_and_an_unsupported_image_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image at all" * 10)
    with pytest.raises(AttachmentError, match="fake.png: not a readable image"):
        attach_file(fake)
    bmp = write_image(tmp_path / "x.png", fmt="BMP")     # a BMP under a .png name
    with pytest.raises(AttachmentError, match="BMP images are not supported"):
        attach_file(bmp)


def test_documents_become_text_trimmed_to_the_budget(tmp_path: Path) -> None:
    pdf = attach_file(write_pdf(tmp_path / "r.pdf", ["First page text", "Second page"]))
    assert pdf.kind == "document" and pdf.mime == "pdf"
    assert "[page 2]" in pdf.text and not pdf.note
    docx = attach_file(write_docx(tmp_path / "n.docx", {"Title": ["x" * 5000]}),
                       max_document_chars=1000)
    assert len(docx.text) == 1000 and "trimmed to the first 1,000" in docx.note


def test_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "ok.pdf", ["fine"])
    bomb = write_zip_bomb_docx(tmp_path / "bomb.docx")
    attached, problems = attach_files([bomb, good, tmp_path / "missing.txt"])
    assert [a.name for a in attached] == ["ok.pdf"]
    assert problems[0].startswith("bomb.docx: refused") and "missing.txt" in problems[1]
