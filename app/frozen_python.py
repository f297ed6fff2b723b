"""The installed (frozen) app as its own Python, for AgentDesk's own subprocesses.

AgentDesk starts Python subprocesses with ``sys.executable``: the python
tool's sandbox (``-I sandbox_boot.py CONFIG``, which then runs ``-I main.py``;
app/core/tools/sandbox.py) and the file search's regex worker (``-I -c CODE``;
app/core/tools/file_search.py). In a frozen app ``sys.executable`` is the
``agentdesk`` program itself, so it answers exactly those two forms the way
``python -I`` would. A script given as ``.py`` that ships only as bytecode (the
app's own files do) runs from its ``.pyc``. Only the modules the app bundles
can be imported: the frozen app carries no full standard library.

Imports nothing from ``app``: it runs before the app is loaded; and what it
needs to run Python only when asked (every start of the app imports this).
"""

from __future__ import annotations

import sys
from pathlib import Path

ISOLATED = "-I"


def wants_python(argv: list[str], *, frozen: bool | None = None) -> bool:
    """True when ``argv`` (the arguments after the program) is ``-I -c CODE
    ...`` or ``-I SCRIPT ...`` and this process is a frozen app."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    return frozen and len(argv) >= 2 and argv[0] == ISOLATED


def run_python(argv: list[str]) -> int:
    """Run ``-I -c CODE [ARG...]`` or ``-I SCRIPT [ARG...]``; the exit status."""
    import tempfile

    args = argv[1:]
    if args[0] == "-c":
        if len(args) < 2:
            sys.stderr.write("Argument expected for the -c option\n")
            return 2
        with tempfile.TemporaryDirectory(prefix="agentdesk-c-") as folder:
            path = Path(folder) / "command.py"   # runpy runs files: the code goes in one
            path.write_text(args[1], encoding="utf-8")
            sys.argv = ["-c", *args[2:]]
            return _run(path)
    script = Path(args[0])
    if not script.exists() and script.suffix == ".py" and script.with_suffix(".pyc").is_file():
        script = script.with_suffix(".pyc")
    sys.argv = [args[0], *args[1:]]
    return _run(script)


def _run(path: Path) -> int:
    """As ``python`` ends: SystemExit's code, or 1 and the traceback on stderr."""
    import runpy
    import traceback

    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    except BaseException:   # the script's own error: reported as python reports it
        traceback.print_exc()
        raise SystemExit(1) from None
    return 0
