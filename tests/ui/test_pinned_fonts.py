"""The UI tests see only the fonts the project installs, whatever the machine has.

tests/conftest.py points fontconfig at tests/support/fonts/fonts.conf before the
QApplication exists. On a machine where ``fc-match monospace`` picks another font
(installing ImageMagick brings Noto Sans Mono) layouts and pixels would change;
these tests fail there if the pin is lost.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
FONTS_CONF = ROOT / "tests" / "support" / "fonts" / "fonts.conf"
PINNED = {"DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif"}
# Qt's fontconfig database lists the generic families under these names too.
QT_GENERIC_NAMES = {"Sans Serif", "Serif", "Monospace"}


def resolved(family: str, *, hint: QFont.StyleHint | None = None) -> str:
    font = QFont(family)
    if hint is not None:
        font.setStyleHint(hint)
    return QFontInfo(font).family()


def test_fontconfig_reads_the_tests_font_setup(qapp: QApplication) -> None:
    assert Path(os.environ["FONTCONFIG_FILE"]).resolve() == FONTS_CONF


def test_the_pinned_fonts_are_installed_by_the_project() -> None:
    listed = subprocess.run(["bash", str(ROOT / "scripts" / "system-deps.sh"), "--list"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert "fonts-dejavu-core" in listed


def test_only_the_pinned_families_exist(qapp: QApplication) -> None:
    assert set(QFontDatabase.families()) - QT_GENERIC_NAMES == PINNED


@pytest.mark.parametrize(("family", "expected"), [
    ("monospace", "DejaVu Sans Mono"),
    ("Monospace", "DejaVu Sans Mono"),
    ("sans-serif", "DejaVu Sans"),
    ("Sans Serif", "DejaVu Sans"),
    ("serif", "DejaVu Serif"),
    # Families the machine may have and the tests must not see fall back too.
    ("Noto Sans Mono", "DejaVu Sans"),
    ("Menlo", "DejaVu Sans"),
])
def test_generic_families_resolve_to_the_pinned_fonts(qapp: QApplication, family: str,
                                                      expected: str) -> None:
    assert resolved(family) == expected


def test_the_fonts_the_ui_asks_for_are_pinned(qapp: QApplication) -> None:
    """What widgets use: the fixed-width system font (tool blocks, code), a
    TypeWriter style hint, and the application's default font."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    assert QFontInfo(fixed).family() == "DejaVu Sans Mono"
    assert resolved("Courier", hint=QFont.StyleHint.TypeWriter) in PINNED
    assert QFontInfo(QApplication.font()).family() == "DejaVu Sans"
