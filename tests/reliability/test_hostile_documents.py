"""The document converters behind attachments and knowledge folders, against
hostile files (issue 21, "hostile input").

Real files of each kind are written once (tests/support/document_files.py:
PDF, DOCX, PPTX, XLSX by the libraries that read them; HTML, Markdown, text;
PNG/JPEG/GIF by Pillow) and mutated:

- as bytes: flipped, cut, spliced with junk, a region repeated;
- inside the zip of an Office file: one member replaced by hostile XML (an
  external entity naming a secret file — XXE —, a billion-laughs entity bomb,
  50,000 nested elements, cut or random bytes), a member dropped, thousands
  of members added;
- inside a PDF: a page tree that is its own parent, a huge ``/Count``,
  nested arrays, a stream whose ``/Length`` lies, a ``FlateDecode`` bomb;
- image headers that claim 100,000 x 100,000 pixels.

Each goes through ``attach_file`` (what the window, CLI and API attach) and
``convert_file`` (what the knowledge indexer reads): the result is a document,
an image, or the app's own error (``AttachmentError`` / ``DocumentError``) —
nothing else; the secret file's text never appears in what was read.

Time: each input is timed on its own. The bound (20 s) is well above what
these small files take (< 1 s; python-docx/openpyxl parse in ~0.1 s) and
below the converter's own 60 s budget, so a file that ran into that budget
(a blow-up) fails here.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.core.attachments import AttachmentError, attach_file
from app.core.documents import DocumentError, convert_file
from tests.reliability.hostile_support import LONG_TIMEOUT, Tally, profile
from tests.support.document_files import write_docx, write_pdf, write_pptx, write_xlsx
from tests.support.image_files import write_image

pytestmark = LONG_TIMEOUT
BOUND_SECONDS = 20.0
SECRET = "XXE-SECRET-7f3a9c"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("samples")
    (folder / "secret.txt").write_text(SECRET)
    made = {
        "report.pdf": write_pdf(folder / "a.pdf", ["First page", "Second (page)"]),
        "notes.docx": write_docx(folder / "a.docx", {"Intro": ["Hello", "World"]},
                                 table=[["a", "b"], ["1", "2"]]),
        "deck.pptx": write_pptx(folder / "a.pptx", [("Title", "Body"), ("Two", "More")],
                                notes="speaker notes"),
        "sheet.xlsx": write_xlsx(folder / "a.xlsx", {"Data": [["x", "y"], [1, 2.5]],
                                                     "Other": [["=A1+1", None]]}),
        "photo.png": write_image(folder / "a.png"),
        "photo.jpg": write_image(folder / "a.jpg"),
        "anim.gif": write_image(folder / "a.gif", frames=3),
    }
    data = {name: path.read_bytes() for name, path in made.items()}
    data["page.html"] = (b"<html><head><title>T</title><script>alert(1)</script><style>p{}"
                         b"</style></head><body><h1>Head</h1><p>Text &amp; more"
                         b"<a href='javascript:x'>l</a></p></body></html>")
    data["readme.md"] = b"# Title\n\nSome *text*.\n\n```python\nprint(1)\n```\n"
    data["log.txt"] = "plain text, ünïcode ✓\nline two\n".encode()
    data["secret_path"] = str(folder / "secret.txt").encode()
    return data


# -- mutations -------------------------------------------------------------------------
@st.composite
def byte_damage(draw, data: bytes) -> bytes:
    out = bytearray(data)
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 6))):
        at = rng.randrange(len(out) + 1)
        how = draw(st.sampled_from(["flip", "cut", "splice", "repeat"]))
        if how == "flip" and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif how == "cut":
            del out[at:]
        elif how == "splice":
            out[at:at] = draw(st.binary(max_size=64))
        else:
            end = min(len(out), at + rng.randrange(1, 2048))
            out[at:at] = out[at:end] * rng.randrange(1, 30)
    return bytes(out)


def hostile_xml(secret_path: str) -> list[bytes]:
    laughs = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                     for i in range(1, 10))
    return [
        (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
         '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
         'main"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>'
         ).encode(),
        (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{laughs}]>'
         '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
         'main"><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>'
         ).encode(),
        b"<a>" * 50_000 + b"</a>" * 50_000,
        b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p>cut',
        b"\x00\xff\xfe garbage, not XML",
        b"",
    ]


@st.composite
def zip_damage(draw, data: bytes, secret_path: str) -> bytes:
    """An Office file with one member replaced, dropped, or thousands added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    how = draw(st.sampled_from(["replace", "replace", "drop", "many", "bytes"]))
    target = draw(st.sampled_from(names))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            member = source.read(name)
            if name == target and how == "drop":
                continue
            if name == target and how == "replace":
                member = draw(st.sampled_from(hostile_xml(secret_path)))
            elif name == target and how == "bytes":
                member = draw(byte_damage(member))
            archive.writestr(name, member)
        if how == "many":
            for number in range(draw(st.sampled_from([100, 3_000, 12_000]))):
                archive.writestr(f"customXml/item{number}.xml", b"<a/>")
    return out.getvalue()


@lru_cache(maxsize=1)
def _pdf_bomb() -> bytes:
    """One page whose content stream inflates to ~66 MB."""
    payload = zlib.compress(b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n" * 2_000_000, 9)
    head = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" >> endobj\n4 0 obj << /Length " + str(len(payload)).encode()
            + b" /Filter /FlateDecode >>\nstream\n")
    return head + payload + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


PDF_EDITS = [
    (b"/Parent 2 0 R", b"/Parent 3 0 R"),              # a page that is its own parent
    (b"/Kids [", b"/Kids [2 0 R "),                     # the tree contains itself
    (b"/Count 2", b"/Count 999999999"),
    (b"/MediaBox [0 0 612 792]", b"/MediaBox " + b"[" * 5_000 + b"]" * 5_000),
    (b"/Length ", b"/Length 99999999"),
    (b"/Root 1 0 R", b"/Root 7 0 R"),
    (b"startxref", b"startxref\n-5\n"),
]


@st.composite
def pdf_damage(draw, data: bytes) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return _pdf_bomb()
    old, new = draw(st.sampled_from(PDF_EDITS))
    edited = data.replace(old, new, 1)
    return draw(byte_damage(edited)) if draw(st.booleans()) else edited


def image_damage(data: bytes, name: str) -> list[bytes]:
    """Headers that claim a gigantic image (decompression bombs)."""
    if name.endswith(".png"):
        ihdr = b"IHDR" + (100_000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
        return [data[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + data[33:]]
    if name.endswith(".gif"):
        return [data[:6] + b"\xff\xff\xff\xff" + data[10:]]
    marker = data.find(b"\xff\xc0")
    return [data[:marker + 5] + b"\xff\xff\xff\xff" + data[marker + 9:]] if marker > 0 else []


def cases(samples: dict[str, bytes]):
    secret = samples["secret_path"].decode()
    strategies = []
    for name, data in samples.items():
        if name == "secret_path":
            continue
        choices = [byte_damage(data)]
        if name.endswith((".docx", ".pptx", ".xlsx")):
            choices += [zip_damage(data, secret)] * 2
        elif name.endswith(".pdf"):
            choices += [pdf_damage(data)] * 2
        elif name.endswith((".png", ".jpg", ".gif")):
            choices += [st.sampled_from(image_damage(data, name))] if image_damage(
                data, name) else []
        strategies.append(st.tuples(st.just(name), st.one_of(choices)))
    return st.one_of(strategies)


def test_hostile_documents_are_read_or_refused_with_the_apps_error(
        tmp_path: Path, samples: dict[str, bytes]) -> None:
    tally = Tally("document converters", BOUND_SECONDS)
    secret = samples["secret_path"].decode()
    xxe = hostile_xml(secret)[0]
    read = leaks = 0

    @profile(250)
    @example(("notes.docx", _replace_member(samples["notes.docx"], "word/document.xml", xxe)))
    @example(("report.pdf", _pdf_bomb()))
    @given(cases(samples))
    def check(case: tuple[str, bytes]) -> None:
        nonlocal read, leaks
        name, data = case
        path = tmp_path / name
        path.write_bytes(data)
        texts: list[str] = []
        with tally.example(AttachmentError):
            attachment = attach_file(path)
            texts.append(attachment.text or "")
            read += 1
        if not name.endswith((".png", ".jpg", ".gif")):
            with tally.example(DocumentError):     # the knowledge indexer's path
                texts.append(convert_file(path).text())
        leaked = [t for t in texts if SECRET in t]
        leaks += len(leaked)
        assert not leaked, f"{name}: the external entity was resolved"

    try:
        check()
    finally:
        tally.report(secret_leaks=leaks)
    assert read > 0        # some mutations stayed readable: the checks saw documents


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, content if name == member else source.read(name))
    return out.getvalue()

