"""The Linux installers (packaging/linux/package.sh): a .deb and an .rpm.

The .deb is really installed on this machine (dpkg -i; the tests run as root
in CI), its ``agentdesk`` run from the PATH, its window seen on a virtual X
display with the window class the menu entry names, then the package is
removed and purged and the user's data folder must still be there. The .rpm
is inspected (``rpm -qlp``) for the same layout. The menu entry and the
AppStream file pass their validators.

DIST_DIR stand-in: a folder shaped like the frozen app whose ``agentdesk``
answers ``--version`` and ``--self-test`` and otherwise starts the app from
this checkout, so the installed launcher opens a real window.
"""

from __future__ import annotations

import configparser
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.xvfb import TrayDisplay, start_tray_display

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
PACKAGE_SH = LINUX / "package.sh"
VERSION = "0.1.0"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
METAINFO = "agentdesk.workbench.AgentDesk.metainfo.xml"
TOOLS = ("dpkg-deb", "rpmbuild", "rpm", "desktop-file-validate", "appstreamcli")
# Serialises the install test between test runs on one machine: one dpkg
# database, one /opt/agentdesk.
INSTALL_LOCK = Path("/tmp/agentdesk-package-install-test.lock")
WINDOW_SECONDS = 60.0


def _require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"{', '.join(missing)} missing: install them with scripts/system-deps.sh"


def _fake_dist(folder: Path) -> Path:
    """A folder shaped like PyInstaller's one-folder output."""
    dist = folder / "agentdesk"
    (dist / "_internal").mkdir(parents=True)
    (dist / "models").mkdir()
    (dist / "models" / "model.gguf").write_bytes(b"GGUF" + bytes(4096))
    launcher = dist / "agentdesk"
    launcher.write_text(
        "#!/bin/sh\n"
        "# Stand-in for the frozen app.\n"
        f'case "$1" in\n'
        f'  --version) echo "agentdesk {VERSION}"; exit 0 ;;\n'
        '  --self-test) echo "self-test: ok"; exit 0 ;;\n'
        "esac\n"
        f'PYTHONPATH="{ROOT}" exec "{sys.executable}" -m app "$@"\n',
        encoding="utf-8")
    launcher.chmod(0o755)
    return dist


def _render_icons(folder: Path) -> Path:
    """agentdesk-N.png from resources/agentdesk.svg, in a subprocess so the
    suite's offscreen QApplication is not involved."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import Qt\n"
        "from PySide6.QtGui import QGuiApplication, QImage, QPainter\n"
        "from PySide6.QtSvg import QSvgRenderer\n"
        "app = QGuiApplication([])\n"
        "renderer = QSvgRenderer(sys.argv[1])\n"
        "for size in map(int, sys.argv[3:]):\n"
        "    image = QImage(size, size, QImage.Format.Format_ARGB32)\n"
        "    image.fill(Qt.GlobalColor.transparent)\n"
        "    painter = QPainter(image)\n"
        "    renderer.render(painter)\n"
        "    painter.end()\n"
        "    assert image.save(f'{sys.argv[2]}/agentdesk-{size}.png')\n")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code, str(ROOT / "resources" / "agentdesk.svg"),
                    str(folder), *map(str, ICON_SIZES)],
                   check=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return folder


def _package(dist: Path, out: Path, icons: Path, *extra_env: tuple[str, str],
             version: str = VERSION) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTDESK_ICON_DIR": str(icons), **dict(extra_env)}
    return subprocess.run(["bash", str(PACKAGE_SH), str(dist), str(out), version],
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The .deb and .rpm, built once for this module."""
    _require_tools()
    work = tmp_path_factory.mktemp("linux-packages")
    dist = _fake_dist(work / "dist")
    icons = _render_icons(work / "icons")
    done = _package(dist, work / "out", icons)
    assert done.returncode == 0, done.stderr
    assert "==> building agentdesk_" in done.stdout and "==> building agentdesk-" in done.stdout
    deb = work / "out" / f"agentdesk_{VERSION}_amd64.deb"
    rpm = work / "out" / f"agentdesk-{VERSION}-1.x86_64.rpm"
    assert deb.is_file() and rpm.is_file(), sorted(p.name for p in (work / "out").iterdir())
    assert [p.name for p in (work / "out").iterdir() if p.name.startswith(".")] == [], \
        "the staging folder was left behind"
    return {"deb": deb, "rpm": rpm, "dist": dist, "icons": icons, "work": work}


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
                                    for p in packages["dist"].rglob("*") if p.is_dir()}
    assert {p for p, mode in deb.items() if not mode.startswith("d")} == expected - folders
    assert _rpm_paths(packages["rpm"]) == expected
    assert deb["/usr/bin/agentdesk"].startswith("l")
    assert deb["/opt/agentdesk/agentdesk"] == "-rwxr-xr-x"
    assert deb["/opt/agentdesk/models/model.gguf"] == "-rw-r--r--"


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
    # Bundled libraries are not requirements (automatic dependencies are off);
    # the system's Qt platform libraries are, by soname.
    assert "libxcb-cursor.so.0()(64bit)" in requires
    assert "python" not in requires.lower()


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
    text = metainfo.read_text(encoding="utf-8")
    assert f'<release version="{VERSION}"' in text and "@" not in text
    assert "<launchable type=\"desktop-id\">agentdesk.desktop</launchable>" in text
    png = tree / "usr/share/icons/hicolor/256x256/apps/agentdesk.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_give_one_line(packages: dict[str, Path], tmp_path: Path) -> None:
    not_an_app = tmp_path / "empty"
    not_an_app.mkdir()
    done = _package(not_an_app, tmp_path / "out", packages["icons"])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "agentdesk is not an executable" in done.stderr
    done = _package(packages["dist"], tmp_path / "out", packages["icons"], version="1.0-beta")
    assert done.returncode == 1 and "version '1.0-beta'" in done.stderr
    done = _package(packages["dist"], tmp_path / "out", packages["icons"],
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
            if window[1].startswith("AgentDesk") and _viewable(display, window[0]):
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

    display: TrayDisplay = start_tray_display(tmp_path / "x")
    log = tmp_path / "app.log"
    try:
        with log.open("wb") as out:
            app = subprocess.Popen(["agentdesk"], env=display.env(env), cwd=home,
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
