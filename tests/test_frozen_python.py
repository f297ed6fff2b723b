"""app/frozen_python.py: the installed app answers ``-I -c CODE`` and
``-I SCRIPT`` as Python would (its sandbox and file search start
``sys.executable`` so). In-process here, with the frozen flag given; the
frozen program itself is run in tests/packaging/test_portable_archive.py."""

from __future__ import annotations

import py_compile
import sys
from pathlib import Path

import pytest

from app.frozen_python import run_python, wants_python


def test_only_the_isolated_python_forms_of_a_frozen_app_are_taken() -> None:
    assert wants_python(["-I", "-c", "print(1)"], frozen=True)
    assert wants_python(["-I", "script.py"], frozen=True)
    assert not wants_python(["-I", "-c", "print(1)"], frozen=False)   # python -m app
    assert not wants_python(["--self-test"], frozen=True)
    assert not wants_python(["providers", "list"], frozen=True)
    assert not wants_python(["-I"], frozen=True)
    assert not wants_python([], frozen=True)


def test_dash_c_runs_the_code_with_its_arguments(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    code = "import sys; print('args', sys.argv[1:], __name__); raise SystemExit(4)"
    assert run_python(["-I", "-c", code, "a", "b c"]) == 4
    assert capsys.readouterr().out == "args ['a', 'b c'] __main__\n"
    assert run_python(["-I", "-c"]) == 2


def test_a_script_runs_and_its_error_is_reported_as_python_does(tmp_path: Path, capsys,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    script = tmp_path / "main.py"
    script.write_text("import sys\nprint('ran', sys.argv[1:])\n")
    assert run_python(["-I", str(script), "x"]) == 0
    assert capsys.readouterr().out == "ran ['x']\n"
    script.write_text("raise ValueError('bad input')\n")
    with pytest.raises(SystemExit) as exited:
        run_python(["-I", str(script)])
    assert exited.value.code == 1
    assert "ValueError: bad input" in capsys.readouterr().err


def test_a_script_shipped_as_bytecode_runs_from_its_pyc(tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """The app's own sandbox_boot.py ships as sandbox_boot.pyc only."""
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    source = tmp_path / "boot.py"
    source.write_text("print('from bytecode')\n")
    py_compile.compile(str(source), cfile=str(tmp_path / "boot.pyc"), doraise=True)
    source.unlink()
    assert run_python(["-I", str(source)]) == 0
    assert capsys.readouterr().out == "from bytecode\n"
