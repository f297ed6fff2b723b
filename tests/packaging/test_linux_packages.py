"""The Linux installers (packaging/linux/package.sh): a .deb and an .rpm.

The packages of the real frozen app (``packaging/build.sh linux``, built once
per session by the ``packaging_build`` fixture in tests/packaging/conftest.py)
are checked: the .deb is really installed on this machine (dpkg -i; the tests
run as root in CI), the installed ``agentdesk`` run from the PATH with
``--version`` and ``--self-test``, its window seen on a virtual X display with
the window class the menu entry names, then the package is removed and
purged and the user's data folder must still be there. The .rpm is
inspected (``rpm -qlp``) for the same layout. The menu entry and the
AppStream file pass their validators.

package.sh's own argument checks run on a small stand-in app folder.
"""

from __future__ import annotations

import configparser
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import __version__ as VERSION
from tests.support.xvfb import TrayDisplay, start_tray_display

# The tests on the real build get their timeout (the whole freeze) from
# tests/packaging/conftest.py.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
PACKAGE_SH = LINUX / "package.sh"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
METAINFO = "agentdesk.workbench.AgentDesk.metainfo.xml"
DEB_LICENCE = "/usr/share/doc/agentdesk/copyright"
TOOLS = ("dpkg-deb", "rpmbuild", "rpm", "desktop-file-validate", "appstreamcli")
# Serialises the install test between test runs on one machine: one dpkg
# database, one /opt/agentdesk.
INSTALL_LOCK = Path("/tmp/agentdesk-package-install-test.lock")
WINDOW_SECONDS = 60.0


def _require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"{', '.join(missing)} missing: install them with scripts/system-deps.sh"


def _fake_dist(folder: Path) -> Path:
    """A folder shaped like PyInstaller's one-folder output (no ELF files)."""
    dist = folder / "agentdesk"
    (dist / "_internal").mkdir(parents=True)
    (dist / "models").mkdir()
    (dist / "models" / "model.gguf").write_bytes(b"GGUF" + bytes(4096))
    launcher = dist / "agentdesk"
    launcher.write_text(f'#!/bin/sh\necho "agentdesk {VERSION}"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return dist


def _package(dist: Path, out: Path, icons: Path, *extra_env: tuple[str, str],
             version: str = VERSION) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTDESK_ICON_DIR": str(icons), **dict(extra_env)}
    return subprocess.run(["bash", str(PACKAGE_SH), str(dist), str(out), version],
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A stand-in app folder, for package.sh's own checks; no icons yet."""
    work = tmp_path_factory.mktemp("fake-app")
    return {"dist": _fake_dist(work / "dist"), "icons": work / "icons"}


@pytest.fixture(scope="module")
def packages(packaging_build: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The .deb and .rpm packaging/build.sh linux made of the frozen app."""
    _require_tools()
    out = Path(packaging_build.out_dir)
    assert packaging_build.version == VERSION
    deb = out / f"agentdesk_{VERSION}_amd64.deb"
    rpm = out / f"agentdesk-{VERSION}-1.x86_64.rpm"
    assert deb.is_file() and rpm.is_file(), sorted(p.name for p in out.iterdir())
    assert [p.name for p in out.iterdir() if p.name.startswith(".package")] == [], \
        "package.sh left its staging folder behind"
    return {"deb": deb, "rpm": rpm, "dist": Path(packaging_build.app_dir),
            "work": tmp_path_factory.mktemp("linux-packages")}


def _deb_paths(deb: Path) -> dict[str, str]:
    """Path -> dpkg-deb's mode column, for every entry of the .deb's data."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    paths = {}
    for line in listing.splitlines():
        fields = line.split()
        name = fields[5].removeprefix(".")
        if name not in ("/", ""):
            paths[name.rstrip("/")] = fields[0]
    return paths


def _rpm_paths(rpm: Path) -> set[str]:
    listing = subprocess.run(["rpm", "-qlp", str(rpm)], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    return set(listing.split())


def _expected_layout(dist: Path) -> set[str]:
    app = {"/opt/agentdesk/" + str(p.relative_to(dist)) for p in dist.rglob("*")}
    icons = {f"/usr/share/icons/hicolor/{n}x{n}/apps/agentdesk.png" for n in ICON_SIZES}
    return app | icons | {
        "/opt/agentdesk", "/usr/bin/agentdesk",
        "/usr/share/applications/agentdesk.desktop",
        "/usr/share/icons/hicolor/scalable/apps/agentdesk.svg",
        f"/usr/share/metainfo/{METAINFO}",
    }


def test_the_deb_and_the_rpm_install_the_same_layout(packages: dict[str, Path]) -> None:
    expected = _expected_layout(packages["dist"])
    deb = _deb_paths(packages["deb"])
    # The .deb also lists the parent folders (/usr, /usr/share/icons/...),
    # which the .rpm leaves to the system's packages: its files are the same.
    assert expected <= set(deb)
    folders = {"/opt/agentdesk"} | {"/opt/agentdesk/" + str(p.relative_to(packages["dist"]))
                                    for p in packages["dist"].rglob("*")
                                    if p.is_dir() and not p.is_symlink()}
    # The licences go where each system keeps them.
    deb_licence, rpm_licence = DEB_LICENCE, "/usr/share/licenses/agentdesk/NOTICE.txt"
    assert {p for p, mode in deb.items() if not mode.startswith("d")} == \
        expected - folders | {deb_licence}
    assert _rpm_paths(packages["rpm"]) == expected | {rpm_licence}
    licences = subprocess.run(["rpm", "-qp", "--licensefiles", str(packages["rpm"])],
                              capture_output=True, text=True, check=True, timeout=60).stdout
    assert licences.split() == [rpm_licence]
    assert deb["/usr/bin/agentdesk"].startswith("l")
    assert deb["/opt/agentdesk/agentdesk"] == "-rwxr-xr-x"
    models = [p for p in deb if p.startswith("/opt/agentdesk/models/") and p.endswith(".gguf")]
    assert len(models) == 1, models       # the bundled model, once
    assert deb[models[0]][0] == "-" and deb[models[0]][4:] == "r--r--"  # users only read it
    assert not any(p.endswith(".gguf") for p in deb if p not in models)


def _rpm(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rpm", "--root", str(root), *args], capture_output=True,
                          text=True, timeout=300)


def test_the_rpm_installs_into_a_root_and_erases_cleanly(packages: dict[str, Path]) -> None:
    """rpm itself unpacks the package (zstd payload, modes, the relative
    launcher link) into a scratch root, without this Debian system's
    dependencies (--nodeps): the program starts from there, and erasing the
    package leaves a user's data folder in that root."""
    root = packages["work"] / "rpm-root"
    root.mkdir()
    assert _rpm(root, "--initdb").returncode == 0
    done = _rpm(root, "--nodeps", "-i", str(packages["rpm"]))
    assert done.returncode == 0, done.stderr
    launcher = root / "usr/bin/agentdesk"
    assert os.readlink(launcher) == "../../opt/agentdesk/agentdesk"
    model = next((root / "opt/agentdesk/models").glob("*.gguf"))
    assert model.stat().st_mode & 0o022 == 0
    version = subprocess.run([str(launcher), "--version"], capture_output=True, text=True,
                             timeout=120, env=_user_env(packages["work"]))
    assert version.stdout.split() == ["agentdesk", VERSION], version.stderr
    data = root / "home/someone/.local/share/AgentDesk"
    data.mkdir(parents=True)
    (data / "agentdesk.db").write_bytes(b"chats")
    erased = _rpm(root, "-e", "agentdesk")
    assert erased.returncode == 0, erased.stderr
    assert not (root / "opt/agentdesk").exists() and not os.path.lexists(launcher)
    assert (data / "agentdesk.db").read_bytes() == b"chats"


def test_package_metadata(packages: dict[str, Path]) -> None:
    control = subprocess.run(["dpkg-deb", "-f", str(packages["deb"])], capture_output=True,
                             text=True, check=True, timeout=60).stdout
    fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line)
    assert fields["Package"] == "agentdesk"
    assert fields["Version"] == VERSION
    assert fields["Architecture"] == "amd64"
    assert int(fields["Installed-Size"]) > 0
    info = subprocess.run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{ARCH} "
                           "%{PAYLOADCOMPRESSOR}\n", str(packages["rpm"])],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert info.split() == ["agentdesk", VERSION, "x86_64", "zstd"]
    assert _ar_members(packages["deb"]) == ["debian-binary", "control.tar.zst", "data.tar.zst"]
    requires = subprocess.run(["rpm", "-qRp", str(packages["rpm"])], capture_output=True,
                              text=True, check=True, timeout=60).stdout
    # Libraries the app carries are not requirements (rpm's automatic
    # dependencies are off); the system's GL is, by soname.
    assert "libEGL.so.1()(64bit)" in requires
    assert "libQt6" not in requires and "python" not in requires.lower()


def _ar_members(path: Path) -> list[str]:
    """The member names of an ar archive (a .deb is one)."""
    names = []
    with path.open("rb") as archive:
        assert archive.read(8) == b"!<arch>\n"
        while header := archive.read(60):
            names.append(header[:16].decode().strip().rstrip("/"))
            size = int(header[48:58])
            archive.seek(size + size % 2, os.SEEK_CUR)
    return names


GLIBC_SONAMES = ("libc.so.", "libm.so.", "libdl.so.", "libpthread.so.", "librt.so.",
                 "libresolv.so.", "libutil.so.", "ld-linux")


def _elf_files(dist: Path) -> list[Path]:
    return [p for p in dist.rglob("*") if p.is_file() and not p.is_symlink()
            and p.open("rb").read(4) == b"\x7fELF"]


def _system_libraries(dist: Path) -> tuple[set[str], str]:
    """The libraries the app's ELF files link but do not carry, and the newest
    glibc symbol version they use (readelf, independent of package.sh's shell)."""
    needed: set[str] = set()
    versions: set[tuple[int, int]] = set()
    for chunk in range(0, len(files := [str(p) for p in _elf_files(dist)]), 200):
        batch = files[chunk:chunk + 200]
        dynamic = subprocess.run(["readelf", "-d", *batch], capture_output=True, text=True,
                                 timeout=300).stdout
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
        symbols = subprocess.run(["readelf", "-V", "-W", *batch], capture_output=True,
                                 text=True, timeout=300).stdout
        versions |= {(2, int(minor)) for minor in re.findall(r"GLIBC_2\.(\d+)", symbols)}
    bundled = {p.name for p in dist.rglob("*.so*")}
    glibc = "2.%d" % max(versions)[1] if versions else ""
    return needed - bundled, glibc


def test_the_packages_require_the_system_libraries_the_app_links(
        packages: dict[str, Path]) -> None:
    """A system without one of them gets a dependency to install, not an app
    that will not start. Checked against what this machine resolves them to."""
    needed, glibc = _system_libraries(packages["dist"])
    assert glibc, "the frozen app links glibc"
    assert "libEGL.so.1" in needed     # never bundled: the system's GL drivers
    requires = subprocess.run(["rpm", "-qp", "--requires", "--recommends",
                               str(packages["rpm"])], capture_output=True, text=True,
                              check=True, timeout=60).stdout.split("\n")
    assert f"libc.so.6(GLIBC_{glibc})(64bit)" in requires
    for soname in needed:
        if not soname.startswith(GLIBC_SONAMES) and soname != "libbz2.so.1.0":
            assert f"{soname}()(64bit)" in requires, soname

    fields = subprocess.run(["dpkg-deb", "-f", str(packages["deb"]), "Depends", "Recommends"],
                            capture_output=True, text=True, check=True, timeout=60).stdout
    declared = set(re.findall(r"[a-z0-9][a-z0-9.+-]+(?= \(|,|$| \|)", fields.replace("\n ", " "),
                              re.MULTILINE))
    assert f"libc6 (>= {glibc})" in fields
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    paths = {}
    for soname in needed:
        found = re.search(rf"^\s+{re.escape(soname)} \(libc6,x86-64\) => (\S+)$", cache,
                          re.MULTILINE)
        assert found, f"{soname} is not installed here (scripts/system-deps.sh?)"
        paths[soname] = found[1]
    # One dpkg -S for all (each call reads every package's file list). A
    # path may be registered under /lib or /usr/lib (the merged-/usr move).
    candidates = {soname: {path, os.path.realpath(path), "/usr" + path, path.removeprefix("/usr")}
                  for soname, path in paths.items()}
    owners = subprocess.run(["dpkg", "-S", *sorted(set().union(*candidates.values()))],
                            capture_output=True, text=True, timeout=300).stdout
    owner_of = {line.split(": ", 1)[1]: line.split(":", 1)[0]
                for line in owners.splitlines() if ": " in line}
    for soname, names in candidates.items():
        owner = {owner_of[name] for name in names if name in owner_of}
        assert owner, f"no package owns {soname} here"
        assert owner & declared, f"{soname} comes from {owner}, not in Depends: {fields}"


def _extract_deb(deb: Path, into: Path) -> Path:
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True, timeout=120)
    return into


def test_the_menu_entry_and_appstream_file_validate(packages: dict[str, Path]) -> None:
    tree = _extract_deb(packages["deb"], packages["work"] / "extracted")
    desktop = tree / "usr/share/applications/agentdesk.desktop"
    checked = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0 and checked.stdout.strip() == "", checked.stdout
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(desktop, encoding="utf-8")
    values = entry["Desktop Entry"]
    assert values["Exec"].split()[0] == "agentdesk"
    assert values["Icon"] == "agentdesk"
    assert values["StartupWMClass"] == "AgentDesk"
    assert "Utility" in values["Categories"].split(";")

    metainfo = tree / "usr/share/metainfo" / METAINFO
    checked = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The installed tree as a whole: the metainfo's launchable is a menu entry
    # that is really there.
    checked = subprocess.run(["appstreamcli", "validate-tree", "--no-net", str(tree)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = metainfo.read_text(encoding="utf-8")
    assert f'<release version="{VERSION}"' in text and "@" not in text
    assert "<launchable type=\"desktop-id\">agentdesk.desktop</launchable>" in text
    notice = (ROOT / "packaging" / "NOTICE.txt").read_text(encoding="utf-8")
    assert (tree / DEB_LICENCE.lstrip("/")).read_text(encoding="utf-8") == notice
    png = tree / "usr/share/icons/hicolor/256x256/apps/agentdesk.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_icons_are_made_by_the_icon_script(fake_app: dict[str, Path],
                                                   tmp_path: Path) -> None:
    """Given an icon folder without the PNGs, package.sh makes them with
    scripts/make_icons.py (a build without build.sh's icon step)."""
    done = _package(fake_app["dist"], tmp_path / "out", fake_app["icons"],
                    ("PYTHON", sys.executable), ("QT_QPA_PLATFORM", "offscreen"))
    assert done.returncode == 0, done.stderr
    assert {p.name for p in fake_app["icons"].glob("agentdesk-*.png")} == \
        {f"agentdesk-{n}.png" for n in ICON_SIZES}
    tree = _extract_deb(tmp_path / "out" / f"agentdesk_{VERSION}_amd64.deb", tmp_path / "x")
    for size in ICON_SIZES:
        png = tree / f"usr/share/icons/hicolor/{size}x{size}/apps/agentdesk.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A stand-in without ELF files: an unversioned libc6, no glibc requirement.
    fields = subprocess.run(["dpkg-deb", "-f", str(tree.parent / "out" /
                                                   f"agentdesk_{VERSION}_amd64.deb"), "Depends"],
                            capture_output=True, text=True, check=True, timeout=60).stdout
    assert fields.startswith("libc6,")


def test_bad_arguments_give_one_line(fake_app: dict[str, Path], tmp_path: Path) -> None:
    not_an_app = tmp_path / "empty"
    not_an_app.mkdir()
    done = _package(not_an_app, tmp_path / "out", fake_app["icons"])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "agentdesk is not an executable" in done.stderr
    done = _package(fake_app["dist"], tmp_path / "out", fake_app["icons"], version="1.0-beta")
    assert done.returncode == 1 and "version '1.0-beta'" in done.stderr
    done = _package(fake_app["dist"], tmp_path / "out", fake_app["icons"],
                    ("AGENTDESK_PACKAGE_FORMATS", "snap"))
    assert done.returncode == 1 and "unknown package format 'snap'" in done.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --- installing the .deb on this machine ------------------------------------

def _dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    """dpkg, waiting while another dpkg/apt run holds its lock."""
    deadline = time.monotonic() + 300
    while True:
        done = subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if done.returncode == 0 or "lock" not in done.stderr or time.monotonic() > deadline:
            return done
        time.sleep(2)


def _installed() -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "agentdesk"],
                            capture_output=True, text=True, timeout=60).stdout
    return status == "install ok installed"


@pytest.fixture
def install_slot() -> Iterator[None]:
    """Root and dpkg, this machine's only agentdesk package slot to ourselves,
    and no agentdesk package left behind whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("installing a .deb needs root (CI runs as root)")
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if subprocess.run(["dpkg-query", "-W", "agentdesk"], capture_output=True,
                          timeout=60).returncode == 0:
            pytest.fail("a package named agentdesk is already installed here; "
                        "remove it (dpkg -P agentdesk) before this test")
        try:
            yield
        finally:
            _dpkg("-P", "agentdesk")


def _user_env(home: Path) -> dict[str, str]:
    """A person's environment with HOME in a temporary folder."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "AGENTDESK_", "PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(home)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env.pop("QT_QPA_PLATFORM", None)
    return env


# A line of ``xwininfo -tree``: 0x400007 "AgentDesk": ("agentdesk" "AgentDesk")  ...
WINDOW_LINE = re.compile(r'^\s*(0x[0-9a-f]+) (?:"(.*)"|\(has no name\)): \("(.*?)" "(.*?)"\)')


def _app_windows(display: str) -> list[tuple[str, str, str]]:
    """(window id, title, WM_CLASS class) of each window on the display."""
    tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display],
                          capture_output=True, text=True, timeout=30).stdout
    matches = (WINDOW_LINE.match(line) for line in tree.splitlines())
    return [(m[1], m[2] or "", m[4]) for m in matches if m]


def _viewable(display: str, window: str) -> bool:
    info = subprocess.run(["xwininfo", "-id", window, "-display", display],
                          capture_output=True, text=True, timeout=30).stdout
    return "Map State: IsViewable" in info


def _wait_for_window(display: str, app: subprocess.Popen[bytes],
                     log: Path) -> tuple[str, str, str]:
    deadline = time.monotonic() + WINDOW_SECONDS
    while time.monotonic() < deadline:
        assert app.poll() is None, (f"the installed agentdesk exited with {app.returncode}: "
                                    f"{log.read_text(errors='replace')[-2000:]}")
        for window in _app_windows(display):
            # The main window's title (app/ui/main_window.py WINDOW_TITLE); a
            # start error would be "AgentDesk cannot start".
            if window[1] == "AgentDesk" and _viewable(display, window[0]):
                return window
        time.sleep(0.5)
    raise AssertionError(f"no AgentDesk window in {WINDOW_SECONDS}s: {_app_windows(display)}")


def _stop(app: subprocess.Popen[bytes]) -> None:
    if app.poll() is None:
        app.terminate()
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=15)


def test_installed_deb_runs_and_removing_it_keeps_the_data(
        packages: dict[str, Path], install_slot: None, tmp_path: Path) -> None:
    done = _dpkg("-i", str(packages["deb"]))
    assert done.returncode == 0, done.stderr
    assert _installed()
    home = tmp_path / "home"
    home.mkdir()
    env = _user_env(home)
    assert shutil.which("agentdesk", path=env["PATH"]) == "/usr/bin/agentdesk"
    assert os.path.realpath("/usr/bin/agentdesk") == "/opt/agentdesk/agentdesk"
    version = subprocess.run(["agentdesk", "--version"], capture_output=True, text=True,
                             env=env, timeout=120)
    assert version.returncode == 0 and version.stdout.split() == ["agentdesk", VERSION]
    self_test = subprocess.run(["agentdesk", "--self-test"], capture_output=True, text=True,
                               env={**env, "QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert self_test.returncode == 0, self_test.stdout + self_test.stderr
    # The installed program runs the model shipped beside it, in place.
    assert "bundled model: /opt/agentdesk/models/" in self_test.stdout, self_test.stdout

    # Started the way the menu starts it: the installed entry's Exec line
    # (field codes such as %F dropped), found on the PATH.
    entry = configparser.ConfigParser(interpolation=None)
    entry.read("/usr/share/applications/agentdesk.desktop", encoding="utf-8")
    command = [word for word in shlex.split(entry["Desktop Entry"]["Exec"])
               if not word.startswith("%")]
    assert command == ["agentdesk"]
    display: TrayDisplay = start_tray_display(tmp_path / "x")
    log = tmp_path / "app.log"
    try:
        with log.open("wb") as out:
            app = subprocess.Popen(command, env=display.env(env), cwd=home,
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            _, title, wm_class = _wait_for_window(display.display, app, log)
        finally:
            _stop(app)
    finally:
        display.stop()
    # The dock groups the window under the menu entry by this class.
    assert wm_class == "AgentDesk", title
    data = home / ".local" / "share" / "AgentDesk"
    assert (data / "agentdesk.db").is_file(), sorted(p.name for p in home.rglob("*"))
    # One copy of the model on disk: no copy in the data folder or ~/.cache.
    assert list(home.rglob("*.gguf")) == []

    removed = _dpkg("-r", "agentdesk")
    assert removed.returncode == 0, removed.stderr
    assert not Path("/opt/agentdesk/agentdesk").exists()
    assert not os.path.lexists("/usr/bin/agentdesk")
    assert not Path("/usr/share/applications/agentdesk.desktop").exists()
    assert (data / "agentdesk.db").is_file()
    purged = _dpkg("-P", "agentdesk")
    assert purged.returncode == 0, purged.stderr
    assert not Path("/opt/agentdesk").exists()
    assert (data / "agentdesk.db").is_file()
