"""The Windows and macOS installer files agree with the package and each other.

They cannot be built here (no Inno Setup, no hdiutil, no macOS): what can be checked
without those tools is checked against the real package — the version read the way
the build scripts read it, the bundle id shared by the .plist, the .iss and the
AppStream file, the icon names the icon script writes, the shared PyInstaller spec the
macOS spec builds on, the Windows data folder as platformdirs computes it, the file
association's command line run through the real CLI on a real export, and the release
workflow's jobs, scripts and artefact names.
"""

from __future__ import annotations

import ast
import json
import os
import plistlib
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path, PureWindowsPath

import platformdirs.windows
import pytest
import yaml

from app import __version__
from app.cli import main
from app.ops.exchange import FORMAT_SUFFIXES, import_files
from app.settings import APP_NAME, data_home
from app.store import Store
from tests.support.export_data import trip_notes_export

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ISS = PACKAGING / "windows" / "agentdesk.iss"
PLIST = PACKAGING / "macos" / "Info.plist"
MAC_SPEC = PACKAGING / "macos" / "agentdesk-macos.spec"
SHARED_SPEC = PACKAGING / "agentdesk.spec"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
WINDOWS_BUILD = PACKAGING / "windows" / "build.sh"
MACOS_BUILD = PACKAGING / "macos" / "build.sh"
NOTICE = PACKAGING / "NOTICE.txt"
BUNDLE_ID = "agentdesk.workbench.AgentDesk"
# Top-level domains a reverse-DNS id would claim a web address under.
REAL_TLDS = {"com", "org", "net", "io", "app", "dev", "edu", "gov", "de", "uk", "fr", "eu",
             "info", "ai", "me", "co", "us", "ch", "nl", "github", "local"}


def iss_defines() -> dict[str, str]:
    return dict(re.findall(r'^#define (\w+) "([^"]*)"', ISS.read_text(), re.MULTILINE))


def iss_setup() -> dict[str, str]:
    text = ISS.read_text().split("[Setup]", 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))


def plist() -> dict:
    with PLIST.open("rb") as handle:
        return plistlib.load(handle)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def run_steps(job: str) -> str:
    return "\n".join(step.get("run", "") for step in workflow()["jobs"][job]["steps"])


def version_line(script: Path) -> str:
    line = next(line for line in script.read_text().splitlines()
                if line.startswith("VERSION=$("))
    return line.split("=", 1)[1]


# -- the version: from app/__init__.py, nowhere else ------------------------------------------
@pytest.mark.parametrize("script", [WINDOWS_BUILD, MACOS_BUILD], ids=["windows", "macos"])
def test_build_scripts_read_the_package_version(script: Path) -> None:
    result = subprocess.run(["bash", "-c", f"echo {version_line(script)}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == __version__


def test_the_workflow_reads_the_version_the_same_way_and_checks_the_tag() -> None:
    run = workflow()["jobs"]["version"]["steps"][1]["run"]
    assert version_line(WINDOWS_BUILD) in run
    assert '"v$version"' in run                      # the tag must be v<version>
    assert workflow()[True]["push"]["tags"] == ["v*"]   # YAML 1.1 reads "on" as True


def test_the_version_is_one_every_installer_accepts() -> None:
    """Inno Setup's VersionInfoVersion takes up to four numbers, and so do
    CFBundleShortVersionString and the .deb/.rpm: a tag like 1.0.0rc1 would stop
    the Windows build, so the package version must stay plain."""
    assert re.fullmatch(r"\d+(\.\d+){1,3}", __version__)
    assert iss_setup()["VersionInfoVersion"] == "{#AppVersion}"


def test_the_installer_files_carry_no_version_of_their_own() -> None:
    assert "#ifndef AppVersion" in ISS.read_text() and "#error" in ISS.read_text()
    assert iss_setup()["AppVersion"] == "{#AppVersion}"
    assert "/DAppVersion=$VERSION" in WINDOWS_BUILD.read_text()
    assert plist()["CFBundleShortVersionString"] == "@VERSION@"
    assert __version__ not in ISS.read_text() + PLIST.read_text()


def test_the_macos_spec_fills_the_version_into_the_plist() -> None:
    tree = ast.parse(MAC_SPEC.read_text())
    function = next(node for node in tree.body
                    if isinstance(node, ast.FunctionDef) and node.name == "info_plist")
    namespace = {"plistlib": plistlib, "MACOS_DIR": PLIST.parent}
    exec(compile(ast.Module([function], []), str(MAC_SPEC), "exec"), namespace)
    filled = namespace["info_plist"](__version__)
    assert filled["CFBundleShortVersionString"] == filled["CFBundleVersion"] == __version__
    assert "@VERSION@" not in json.dumps(filled)
    assert filled["CFBundleIdentifier"] == BUNDLE_ID


# -- one URL-free identifier ------------------------------------------------------------------
def test_one_bundle_id_everywhere() -> None:
    assert plist()["CFBundleIdentifier"] == BUNDLE_ID
    assert iss_defines()["AppIdentifier"] == BUNDLE_ID
    assert iss_setup()["AppId"] == "{#AppIdentifier}"
    metainfo = PACKAGING / "linux" / f"{BUNDLE_ID}.metainfo.xml"
    if metainfo.exists():                            # the Linux part's AppStream file
        assert ET.parse(metainfo).getroot().findtext("id") == BUNDLE_ID


def test_the_bundle_id_names_no_web_address() -> None:
    labels = BUNDLE_ID.split(".")
    assert "://" not in BUNDLE_ID and "/" not in BUNDLE_ID
    assert all(re.fullmatch(r"[A-Za-z0-9-]+", label) for label in labels)  # Apple's rule
    assert len(labels) >= 3                          # AppStream's reverse-DNS shape
    assert labels[0].lower() not in REAL_TLDS
    assert "example" not in BUNDLE_ID.lower() and "github" not in BUNDLE_ID.lower()


# -- names shared with the Linux build, the spec and the icon script --------------------------
def test_names_match_the_app() -> None:
    assert iss_defines()["AppName"] == APP_NAME == plist()["CFBundleName"]
    assert iss_defines()["AppExeName"] == "agentdesk.exe"


def test_icons_are_the_ones_the_icon_script_writes() -> None:
    script = ROOT / "scripts" / "make_icons.py"
    name = next(node.value.value for node in ast.parse(script.read_text()).body
                if isinstance(node, ast.Assign) and node.targets[0].id == "NAME")
    assert plist()["CFBundleIconFile"] == f"{name}.icns"
    assert iss_defines()["IconFile"] == rf"..\..\build\icons\{name}.ico"
    for build in (WINDOWS_BUILD, MACOS_BUILD):
        assert "scripts/make_icons.py --out build/icons" in build.read_text()


def test_the_shared_spec_gives_what_the_macos_spec_and_the_iss_use() -> None:
    tree = ast.parse(SHARED_SPEC.read_text())
    assigned = {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert {"VERSION", "ICONS", "coll"} <= assigned
    collect = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                   and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "coll")
    name = next(k.value.value for k in collect.keywords if k.arg == "name")
    assert iss_defines()["DistDir"] == rf"..\..\dist\{name}"
    assert f"DIST=dist/{name}" in WINDOWS_BUILD.read_text()
    assert re.search(r'ROOT / "build" / "icons"', SHARED_SPEC.read_text())
    bundle = MAC_SPEC.read_text()
    assert 'name="AgentDesk.app"' in bundle and "APP=dist/AgentDesk.app" in MACOS_BUILD.read_text()


def test_the_windows_data_folder_is_the_one_the_app_uses(monkeypatch) -> None:
    """The uninstaller offers to delete {localappdata}\\AgentDesk: what the app's own
    data_home() gives on Windows (platformdirs' Windows rules, Windows' folder stubbed)."""
    local = r"C:\Users\someone\AppData\Local"
    monkeypatch.delenv("AGENTDESK_HOME", raising=False)
    monkeypatch.setattr(platformdirs.windows, "get_win_folder",
                        lambda name: local if name == "CSIDL_LOCAL_APPDATA" else "C:\\Other")
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    assert PureWindowsPath(str(data_home())) == PureWindowsPath(local, APP_NAME)
    assert "ExpandConstant('{localappdata}\\{#AppName}')" in ISS.read_text()


def test_the_uninstaller_keeps_data_unless_asked() -> None:
    code = ISS.read_text().split("[Code]", 1)[1]
    assert "CurUninstallStepChanged" in code and "usPostUninstall" in code
    assert "UninstallSilent()" in code               # silent: never deletes
    assert "MB_DEFBUTTON2" in code                   # No is the default answer
    assert code.index("= IDYES") < code.index("DelTree(")
    assert "[UninstallDelete]" not in ISS.read_text()
    # An upgrade clears only folders inside the program folder.
    cleared = re.findall(r'^Type: filesandordirs; Name: "([^"]+)"$',
                         ISS.read_text().split("[InstallDelete]", 1)[1].split("\n[", 1)[0],
                         re.MULTILINE)
    assert cleared and all(name.startswith("{app}\\") for name in cleared)


# -- the file association: AgentDesk's JSON export --------------------------------------------
def association_command() -> list[str]:
    value = re.search(r'shell\\open\\command"; ValueType: string; ValueName: ""; '
                      r'ValueData: "(.*)"$', ISS.read_text(), re.MULTILINE).group(1)
    value = value.replace('""', '"')                 # Inno Setup's quote escape
    program, rest = re.fullmatch(r'"([^"]+)" (.*)', value).groups()
    assert program == r"{app}\{#AppExeName}"
    return re.findall(r'"[^"]*"|\S+', rest)


def test_the_association_is_for_the_export_format_and_not_the_default() -> None:
    assert iss_defines()["ExportExt"] == FORMAT_SUFFIXES["json"]
    registry = ISS.read_text().split("[Registry]", 1)[1].split("\n[", 1)[0]
    assert r"Software\Classes\{#ExportExt}\OpenWithProgids" in registry
    # Never the .json type's default value (that would take every .json file over).
    assert not re.search(r'Subkey: "Software\\Classes\\\{#ExportExt\}"; ValueType', registry)
    assert iss_setup()["ChangesAssociations"] == "yes"
    assert "HKA" in registry and "HKCR" not in registry and "HKLM" not in registry


def test_the_association_command_opens_the_export_in_the_window(
        tmp_path: Path, monkeypatch) -> None:
    """The command Explorer runs, with %1 = a real AgentDesk export, through the
    real CLI: the window starts with that one file to open (app/ui/open_files.py;
    tests/ui/test_open_files.py runs that import in the real window), and the
    file it hands over imports into another data folder."""
    import app.cli

    target = tmp_path / "target"
    exported = trip_notes_export(tmp_path)
    command = association_command()
    assert command == ['"%1"']                       # the program, then only the file
    arguments = [str(exported) if part == '"%1"' else part for part in command]
    started: list[list[str]] = []
    monkeypatch.setattr(app.cli, "_start_gui",
                        lambda settings, paths=(): started.append(list(paths)) or 0)
    assert main(["--home", str(target), *arguments]) == 0
    assert started == [[str(exported)]]
    with Store(target / "agentdesk.db") as store:
        summary = import_files(store, [Path(p) for p in started[0]])
        assert [c.title for c in store.conversations.list()] == ["Trip notes"]
    assert summary.imported == ["Trip notes"]


# -- the release workflow ---------------------------------------------------------------------
def test_the_workflow_builds_every_platform_with_the_scripts_here() -> None:
    jobs = workflow()["jobs"]
    assert {"linux", "windows", "macos", "release"} <= set(jobs)
    assert "packaging/build.sh linux" in run_steps("linux")
    assert "packaging/windows/build.sh" in run_steps("windows")
    assert "packaging/macos/build.sh" in run_steps("macos")
    assert jobs["windows"]["runs-on"].startswith("windows")
    assert jobs["macos"]["runs-on"].startswith("macos")
    assert "scripts/system-deps.sh" in run_steps("linux")
    assert set(jobs["release"]["needs"]) >= {"linux", "windows", "macos"}
    assert jobs["release"]["if"] == "github.ref_type == 'tag'"
    for path in ("packaging/build.sh", "scripts/system-deps.sh", "packaging/windows/build.sh",
                 "packaging/macos/build.sh"):
        assert (ROOT / path).is_file(), path


def test_the_workflow_installs_extras_the_package_has() -> None:
    import tomllib

    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                 ["optional-dependencies"])
    for job in ("windows", "macos"):
        wanted = re.search(r'"\.\[([a-z,]+)\]"', run_steps(job)).group(1).split(",")
        assert set(wanted) <= extras, (job, wanted)


def test_the_builds_target_the_oldest_systems_the_installers_promise() -> None:
    """Binaries run on systems as old as the build machine's libraries, never older:
    the Linux job builds on Ubuntu 22.04 (glibc 2.35), the macOS job compiles for the
    plist's minimum macOS."""
    jobs = workflow()["jobs"]
    assert jobs["linux"]["runs-on"] == "ubuntu-22.04"
    assert jobs["macos"]["env"]["MACOSX_DEPLOYMENT_TARGET"] == plist()["LSMinimumSystemVersion"]
    readme = (ROOT / "README.md").read_text()
    major = plist()["LSMinimumSystemVersion"].split(".")[0]
    assert "Ubuntu 22.04+" in readme and f"macOS {major}+" in readme


def test_the_uploaded_artefacts_are_the_ones_the_scripts_make() -> None:
    jobs = workflow()["jobs"]
    version = "${{ needs.version.outputs.version }}"
    windows = jobs["windows"]["steps"][-1]["with"]["path"]
    assert windows == f"dist/{iss_setup()['OutputBaseFilename']}.exe".replace(
        "{#AppVersion}", version)
    assert iss_setup()["OutputDir"] == r"..\..\dist"
    assert "SETUP=dist/AgentDesk-$VERSION-windows-x64-setup.exe" in WINDOWS_BUILD.read_text()
    macos = jobs["macos"]["steps"][-1]["with"]["path"]
    assert macos == f"dist/AgentDesk-{version}-macos-arm64.dmg"
    assert "DMG=dist/AgentDesk-$VERSION-macos-$ARCH.dmg" in MACOS_BUILD.read_text()


# -- the scripts ------------------------------------------------------------------------------
@pytest.mark.parametrize("script", [WINDOWS_BUILD, MACOS_BUILD], ids=["windows", "macos"])
def test_the_build_scripts_parse_and_refuse_other_systems(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    result = subprocess.run(["bash", str(script)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "builds on" in lines[0] and "only" in lines[0]
    assert "==>" not in result.stdout                # stopped before any step


def test_the_notice_names_every_bundled_component() -> None:
    from app.ui.about_dialog import BUNDLED_COMPONENTS

    text = NOTICE.read_text()
    for component in BUNDLED_COMPONENTS:
        for source in component.source.split(" and "):
            assert source in text, source
    assert "Gemma is provided under and subject to the Gemma Terms of Use" in text
    assert iss_setup()["LicenseFile"] == r"..\NOTICE.txt"
    assert "packaging/NOTICE.txt" in MACOS_BUILD.read_text()


@pytest.mark.slow
def test_the_macos_spec_runs_the_shared_spec_under_pyinstaller(packaging_build, tmp_path) -> None:
    """PyInstaller itself runs the macOS spec here, in the build's own environment:
    the shared spec is found and run with its paths intact (BUNDLE is PyInstaller's
    no-op off macOS), so the .app build fails on the runner only for macOS reasons."""
    python = ROOT / "build" / "packaging-venv" / "bin" / "python"
    result = subprocess.run(
        [str(python), "-m", "PyInstaller", str(MAC_SPEC), "--distpath", str(tmp_path / "dist"),
         "--workpath", str(tmp_path / "work"), "--noconfirm", "--log-level", "WARN"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items()
             if not k.startswith(("AGENTDESK_", "QT_", "VIRTUAL_ENV", "PYTHONPATH"))})
    assert result.returncode == 0, result.stderr[-3000:]
    program = tmp_path / "dist" / "agentdesk" / "agentdesk"
    assert program.is_file()
    assert (tmp_path / "dist" / "agentdesk" / "_internal" / "app" / "core" / "models"
            / "catalogue.json").is_file()
