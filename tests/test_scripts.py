"""The set-up scripts (issue 13): start.sh prints its steps, venv.sh says
before the long llama.cpp build that it is coming, and system-deps.sh lists
the compiler and build tools that build needs, stays quiet when all is
present and installs nothing in its dry run. Run with stand-ins for dpkg,
apt-get, Python and the app, so nothing is installed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
BASH = shutil.which("bash") or "/bin/bash"
BUILD_TOOLS = {"gcc", "g++", "cmake", "make", "python3-dev"}


def _stub(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!" + BASH + "\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _run(script: Path, *args: str, env: dict[str, str] | None = None,
         cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, str(script), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=env or dict(os.environ))


def test_the_package_list_has_the_llama_cpp_build_tools() -> None:
    listed = _run(SCRIPTS / "system-deps.sh", "--list")
    assert listed.returncode == 0
    packages = set(listed.stdout.split())
    assert BUILD_TOOLS <= packages
    assert {"libegl1", "libxcb-cursor0", "xvfb", "trayer"} <= packages


@pytest.fixture
def fake_apt(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """dpkg/dpkg-query/apt-get stand-ins: INSTALLED lists what is installed;
    apt-get only records that it was called."""
    bin_dir = tmp_path / "bin"
    calls = tmp_path / "apt-calls"
    _stub(bin_dir / "dpkg", "exit 0\n")
    _stub(bin_dir / "dpkg-query", 'pkg="${@: -1}"\n'
          'for p in $INSTALLED; do [ "$p" = "$pkg" ] && '
          '{ printf "install ok installed"; exit 0; }; done\nexit 1\n')
    _stub(bin_dir / "apt-get", f'echo "$*" >> {calls}\n')
    _stub(bin_dir / "sudo", '"$@"\n')
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return env, calls


def _all_packages() -> list[str]:
    return _run(SCRIPTS / "system-deps.sh", "--list").stdout.split()


def test_quiet_and_idempotent_when_everything_is_installed(fake_apt) -> None:
    env, calls = fake_apt
    env["INSTALLED"] = " ".join(_all_packages())
    for _ in range(2):
        done = _run(SCRIPTS / "system-deps.sh", env=env)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not calls.exists()


def test_dry_run_names_the_missing_build_tools_and_installs_nothing(fake_apt) -> None:
    env, calls = fake_apt
    env["INSTALLED"] = " ".join(p for p in _all_packages() if p not in BUILD_TOOLS)
    for how in (["--dry-run"], []):
        run_env = dict(env, AGENTDESK_DEPS_DRY_RUN="1") if not how else env
        done = _run(SCRIPTS / "system-deps.sh", *how, env=run_env)
        assert done.returncode == 0, done.stderr
        missing_line = done.stdout.splitlines()[0]
        assert missing_line.startswith("missing system packages:")
        assert set(missing_line.split(":")[1].split()) == BUILD_TOOLS
        assert "would run: apt-get install" in done.stdout
    assert not calls.exists()


def test_missing_packages_are_installed_once_asked(fake_apt) -> None:
    env, calls = fake_apt
    env["INSTALLED"] = " ".join(p for p in _all_packages() if p != "cmake")
    done = _run(SCRIPTS / "system-deps.sh", env=env)
    assert done.returncode == 0, done.stderr
    assert "Installing system packages: cmake" in done.stdout
    assert calls.read_text().splitlines()[-1].endswith("--no-install-recommends cmake")


def test_without_apt_nothing_happens(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run(SCRIPTS / "system-deps.sh", env={"PATH": str(empty)})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def _checkout_copy(tmp_path: Path, has_llama: bool) -> tuple[Path, Path]:
    """scripts/start.sh and venv.sh in a copy of the tree where Python, pip,
    system-deps and the app are stand-ins that log what they were asked."""
    tree = tmp_path / "tree"
    log = tmp_path / "log"
    for name in ("start.sh", "venv.sh"):
        target = tree / "scripts" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCRIPTS / name, target)
    _stub(tree / "scripts" / "system-deps.sh", f'echo "system-deps" >> {log}\n')
    _stub(tree / ".venv" / "bin" / "python",
          f'echo "python $*" >> {log}\n'
          'if [ "$1" = "-c" ]; then case "$2" in *llama_cpp*) '
          f'exit {0 if has_llama else 1};; esac; fi\n'
          f'[ "$1 $2" = "-m pip" ] && echo "CMAKE_ARGS=$CMAKE_ARGS" >> {log}\n'
          'exit 0\n')
    _stub(tree / ".venv" / "bin" / "agentdesk", f'echo "agentdesk $*" >> {log}\n')
    return tree, log


@pytest.mark.parametrize("has_llama", [False, True])
def test_start_prints_its_steps_and_the_first_build_note(tmp_path: Path,
                                                         has_llama: bool) -> None:
    tree, log = _checkout_copy(tmp_path, has_llama)
    python = _stub(tmp_path / "py" / "python3", "exit 0\n")     # "Python 3.11+"
    env = {**os.environ, "PYTHON": str(python)}
    done = _run(tree / "scripts" / "start.sh", "--home", "/tmp/x", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    steps = [line for line in lines if line[:4] in ("1/3 ", "2/3 ", "3/3 ")]
    assert steps == ["1/3 system libraries…", "2/3 Python environment…",
                     "3/3 starting AgentDesk"]
    note = [line for line in lines if line.startswith("first run compiles")]
    if has_llama:
        assert note == []                                       # later runs: no note
    else:
        assert note == ["first run compiles the llama.cpp engine: this takes several "
                        "minutes (about 6 on 2 cores); later runs reuse it"]
        assert lines.index(note[0]) > lines.index("2/3 Python environment…")
    calls = log.read_text().splitlines()
    assert calls[0] == "system-deps"
    assert any(c.startswith("python -m pip install --quiet -e .[local]") for c in calls)
    assert any("-DGGML_NATIVE=OFF" in c for c in calls if c.startswith("CMAKE_ARGS="))
    assert calls[-1] == "agentdesk --home /tmp/x"


def test_venv_without_the_local_extra_says_nothing_about_the_build(tmp_path: Path) -> None:
    tree, _log = _checkout_copy(tmp_path, has_llama=False)
    python = _stub(tmp_path / "py" / "python3", "exit 0\n")
    done = _run(tree / "scripts" / "venv.sh", "dev", env={**os.environ, "PYTHON": str(python)},
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "llama.cpp" not in done.stdout
