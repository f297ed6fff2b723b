"""One real Linux build per test session, shared by the packaging tests.

``packaging_build`` runs ``packaging/build.sh linux --out build/packaging-test``
(the frozen app folder, the portable .tar.gz, the .deb and .rpm) once per
session, under a file lock (two test runs on one machine share the folder).
A build whose inputs (app/, packaging/, resources/, scripts/make_icons.py,
pyproject.toml) hash as they did for the build in the folder is reused. A
failed build fails the tests that use it, with the end of its log.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from app import __version__

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "build" / "packaging-test"
INPUTS = ("app", "packaging", "resources", "scripts/make_icons.py", "pyproject.toml")
BUILD_SECONDS = 1200   # a first build on 2 cores with an empty pip cache; ~1-2 min otherwise
STAMP = ".inputs-sha256"


@dataclass(frozen=True)
class PackagingBuild:
    out_dir: Path      # build/packaging-test: everything build.sh linux made
    app_dir: Path      # out_dir/agentdesk: the one-folder app (program, _internal, models)
    version: str
    archive: Path      # out_dir/agentdesk-VERSION-linux-ARCH.tar.gz
    log: Path          # the build's output

    @property
    def model(self) -> Path:
        """The one model file shipped beside the program."""
        [model] = sorted((self.app_dir / "models").glob("*.gguf"))
        return model


def inputs_digest() -> str:
    """A hash over the paths and contents of every file the build reads from
    the checkout (bytecode caches left out)."""
    digest = hashlib.sha256()
    for name in INPUTS:
        top = ROOT / name
        files = [top] if top.is_file() else sorted(
            p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _archive(out_dir: Path) -> Path | None:
    found = sorted(out_dir.glob(f"agentdesk-{__version__}-linux-*.tar.gz"))
    return found[0] if found else None


def _build_env() -> dict[str, str]:
    """The environment of a clean checkout's build: none of this test run's
    AGENTDESK_* or Qt settings, nor the test venv on PATH first."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENTDESK_", "QT_", "VIRTUAL_ENV", "PYTHONPATH"))}
    return env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that may run the build (in its setup) gets the build's time on
    top of the suite's per-test timeout (pytest-timeout counts the setup)."""
    for item in items:
        if "packaging_build" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(BUILD_SECONDS + 300))


@pytest.fixture(scope="session")
def packaging_build() -> PackagingBuild:
    OUT_DIR.parent.mkdir(parents=True, exist_ok=True)
    log = OUT_DIR.parent / "packaging-test.log"
    with FileLock(str(OUT_DIR.parent / "packaging-test.lock")):
        digest = inputs_digest()
        stamp = OUT_DIR / STAMP
        reusable = (stamp.is_file() and stamp.read_text() == digest
                    and (OUT_DIR / "agentdesk" / "agentdesk").is_file()
                    and _archive(OUT_DIR) is not None)
        if not reusable:
            stamp.unlink(missing_ok=True)
            with log.open("w") as output:
                result = subprocess.run(
                    ["bash", "packaging/build.sh", "linux", "--out", str(OUT_DIR)], cwd=ROOT,
                    env=_build_env(), stdout=output, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, timeout=BUILD_SECONDS)
            if result.returncode != 0:
                tail = log.read_text(errors="replace")[-3000:]
                pytest.fail(f"packaging/build.sh linux failed ({result.returncode}):\n{tail}")
            stamp.write_text(digest)
    archive = _archive(OUT_DIR)
    assert archive is not None, f"build.sh made no portable archive in {OUT_DIR}"
    return PackagingBuild(out_dir=OUT_DIR, app_dir=OUT_DIR / "agentdesk", version=__version__,
                          archive=archive, log=log)
