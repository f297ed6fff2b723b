#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages AgentDesk's Qt window and tests need, if
# any are missing. Does nothing on systems without apt/dpkg (macOS, Windows).
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
)

command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 || exit 0

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
