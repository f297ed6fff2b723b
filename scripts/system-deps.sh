#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages AgentDesk needs, if any are missing: the
# libraries Qt's window and the tests use, and the compiler and build tools
# the first set-up needs to build the llama.cpp engine (llama-cpp-python),
# and the tools that build and check the Linux installers.
# Does nothing on systems without apt/dpkg (macOS, Windows), and prints
# nothing when everything is present.
#   --list      print the package list, one per line, and exit
#   --dry-run   say what is missing and the command that would install it;
#               install nothing (also: AGENTDESK_DEPS_DRY_RUN=1)
set -euo pipefail

PACKAGES=(
  # Qt (PySide6) runtime libraries, offscreen and on X11
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-randr0
  libxcb-shape0 libxcb-xfixes0 libxcb-xkb1
  # fonts so rendered windows and screenshots have readable text
  fonts-dejavu-core
  # the tray and drag-and-drop tests: a virtual X server and a real tray host
  xvfb xauth x11-utils trayer
  # building the llama.cpp engine on the first set-up (llama-cpp-python has
  # no wheel for Linux on PyPI): C/C++ compilers, cmake, make, Python headers
  gcc g++ cmake make python3-dev
  # the Linux installers (packaging/linux/package.sh) and their test: rpmbuild
  # for the .rpm, readelf for the libraries the app links, the .desktop and
  # AppStream checkers
  rpm binutils desktop-file-utils appstream
  # what the installed app links on a Wayland desktop (the packages recommend
  # them; their test checks every library the app links is declared)
  libwayland-client0 libwayland-cursor0 libwayland-egl1
)

dry_run=${AGENTDESK_DEPS_DRY_RUN:-0}
case "${1:-}" in
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: scripts/system-deps.sh [--list | --dry-run]" >&2; exit 2 ;;
esac

command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 || exit 0

missing=()
for pkg in "${PACKAGES[@]}"; do
  # Installed means status "install ok installed" (a removed package's
  # leftover configuration is not enough).
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$dry_run" = 1 ]; then
  echo "missing system packages: ${missing[*]}"
  echo "would run: apt-get install -y --no-install-recommends ${missing[*]}"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "AgentDesk needs these system packages: ${missing[*]}" >&2
  echo "Install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
