"""docs/SECURITY.md stays true (issue 21): every defence section says which
tests hold it on a "Held by:" line, and every test named there exists.

A reference is ``tests/<path>.py::<test function>`` (a method of a test class
as ``::Class::test`` also counts); the function must be defined in that file.
A section with no "Held by:" line must be listed under "Defences without a
test yet" at the end, so a defence without a test is said, not hidden.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "SECURITY.md"
REFERENCE = re.compile(r"(tests/[\w./-]+\.py)((?:::\w+)+)")
HELD_BY = re.compile(r"Held by(?: \([^)\n]*\))?:", re.IGNORECASE)
UNTESTED_HEADING = "## Defences without a test yet"


def sections(text: str) -> dict[str, str]:
    """``## heading`` -> the section's text."""
    found: dict[str, str] = {}
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        found[heading.strip()] = body
    return found


def held_by_paragraphs(body: str) -> list[str]:
    """Every "Held by:" (at the start of a line or within one) with the text
    that follows it, up to a blank line or the next bold heading."""
    paragraphs, current = [], None
    for line in body.splitlines():
        start = HELD_BY.search(line)
        if start is not None:
            if current is not None:
                paragraphs.append(current)
            current = line[start.start():]
        elif current is not None and line.strip() and not line.lstrip().startswith(
                ("**", "#", "|")):
            current += " " + line
        elif current is not None:
            paragraphs.append(current)
            current = None
    if current is not None:
        paragraphs.append(current)
    return paragraphs


@cache
def functions_in(path: str) -> frozenset[str]:
    """``name`` and ``Class::name`` of every function defined in a test file."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
    return frozenset(names)


def references(text: str) -> list[tuple[str, str]]:
    """(file, test) of every reference on a "Held by:" line of the document."""
    found = []
    for body in sections(text).values():
        for paragraph in held_by_paragraphs(body):
            found += [(m.group(1), m.group(2)[2:]) for m in REFERENCE.finditer(paragraph)]
    return found


def broken(text: str) -> list[str]:
    """The references that name no file or no test function in it."""
    problems = []
    for path, name in references(text):
        if not (ROOT / path).is_file():
            problems.append(f"{path}: no such file")
        elif name not in functions_in(path):
            problems.append(f"{path}::{name}: no such test")
    return problems


def test_every_held_by_reference_names_a_test_that_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert len(references(text)) >= 30, "the Held by: lines were not found"
    assert broken(text) == []


def test_every_defence_section_is_held_by_a_test_or_listed_as_untested() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = sections(text)
    untested = found.get(UNTESTED_HEADING.removeprefix("## "), "")
    missing = [heading for heading, body in found.items()
               if heading != UNTESTED_HEADING.removeprefix("## ")
               and not any(REFERENCE.search(p) for p in held_by_paragraphs(body))
               and heading not in untested]
    assert missing == [], f"sections with no Held by: line and not listed as untested: {missing}"


def test_the_checker_finds_a_missing_test_and_a_missing_file() -> None:
    """The checker itself: a renamed test or a moved file is caught."""
    doc = ("## A defence\n\n**Held by:** `tests/test_security_doc.py::no_such_test`,\n"
           "`tests/nowhere/test_gone.py::test_x`,\n"
           "`tests/test_security_doc.py::test_the_checker_finds_a_missing_test_and_a_missing_file`\n")
    assert references(doc) == [
        ("tests/test_security_doc.py", "no_such_test"),
        ("tests/nowhere/test_gone.py", "test_x"),
        ("tests/test_security_doc.py",
         "test_the_checker_finds_a_missing_test_and_a_missing_file")]
    assert broken(doc) == ["tests/test_security_doc.py::no_such_test: no such test",
                           "tests/nowhere/test_gone.py: no such file"]
