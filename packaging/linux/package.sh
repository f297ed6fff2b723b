#!/usr/bin/env bash
# Builds AgentDesk's Linux installers from a PyInstaller one-folder app:
#   packaging/linux/package.sh DIST_DIR OUT_DIR VERSION
# DIST_DIR is the frozen app (the folder holding the `agentdesk` program,
# e.g. dist/agentdesk); OUT_DIR receives
#   agentdesk_VERSION_ARCH.deb      (dpkg-deb)
#   agentdesk-VERSION-1.ARCH.rpm    (rpmbuild)
# Both install the same layout:
#   /opt/agentdesk/...                          the app, as DIST_DIR has it
#   /usr/bin/agentdesk -> ../../opt/agentdesk/agentdesk (a relative link)
#   /usr/share/applications/agentdesk.desktop   the menu entry
#   /usr/share/icons/hicolor/NxN/apps/agentdesk.png, scalable/apps/agentdesk.svg
#   /usr/share/metainfo/agentdesk.workbench.AgentDesk.metainfo.xml
# and the licences of AgentDesk and what it bundles (packaging/NOTICE.txt) as
# /usr/share/doc/agentdesk/copyright (.deb) or
# /usr/share/licenses/agentdesk/NOTICE.txt (.rpm), where each system keeps them.
# No maintainer script runs: dpkg's and rpm's file triggers refresh the menu
# and icon caches, and nothing touches a user's home, so removing (or purging)
# a package leaves every data folder as it was.
#
# Icons: the PNGs made by the icon script (AGENTDESK_ICON_DIR, default
# build/icons; it is run here when that folder has none) plus
# resources/agentdesk.svg as the scalable one.
# Environment: AGENTDESK_PACKAGE_FORMATS="deb rpm" (the default) picks what
# to build. Compression is fast on purpose (zstd level 1): the bundled model
# is ~250 MB of quantized weights that hardly compress. Reading zstd packages
# takes dpkg 1.21.18 (Debian 12, Ubuntu 22.04) or rpm 4.14 (Fedora 31, RHEL 8,
# openSUSE Leap 15) or later.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ICON_SIZES=(16 22 24 32 48 64 128 256 512)

fail() { echo "package.sh: $*" >&2; exit 1; }
step() { echo "==> $*"; }

[ $# -eq 3 ] || { echo "usage: packaging/linux/package.sh DIST_DIR OUT_DIR VERSION" >&2; exit 2; }
dist=$1 out=$2 version=$3
formats=${AGENTDESK_PACKAGE_FORMATS:-deb rpm}

[ -f "$ROOT/packaging/NOTICE.txt" ] || fail "packaging/NOTICE.txt is missing (the bundled components' licences)"
[ -x "$dist/agentdesk" ] || fail "$dist/agentdesk is not an executable: DIST_DIR must be the frozen app's folder"
# Both dpkg and rpm accept this; '-' and '_' would split the file names.
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || fail "version '$version' must start with a digit and hold only letters, digits, '.', '+', '~'"
command -v readelf >/dev/null || fail "readelf not found (run scripts/system-deps.sh: package binutils)"
for format in $formats; do
  case $format in
    deb) command -v dpkg-deb >/dev/null || fail "dpkg-deb not found (run scripts/system-deps.sh)" ;;
    rpm) command -v rpmbuild >/dev/null || fail "rpmbuild not found (run scripts/system-deps.sh: package rpm)" ;;
    *) fail "unknown package format '$format' (AGENTDESK_PACKAGE_FORMATS: deb, rpm)" ;;
  esac
done

machine=$(uname -m)
case $machine in
  x86_64) deb_arch=amd64 ;;
  aarch64) deb_arch=arm64 ;;
  *) fail "unsupported machine $machine (x86_64 and aarch64 are)" ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
dist=$(cd "$dist" && pwd)
# The staging tree sits beside the outputs so hard links work (no second
# copy of the model) and it is removed whatever happens.
work=$(mktemp -d "$out/.package.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root

fill() {  # fill TEMPLATE > FILE: the @NAME@ values of this build
  sed -e "s|@VERSION@|$version|g" -e "s|@DATE@|$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%F)|g" \
      -e "s|@ARCH@|$1|g" -e "s|@STAGE@|$stage|g" -e "s|@INSTALLED_SIZE_KB@|${installed_kb:-0}|g" -e "s|@LIBC6@|${libc6:-libc6}|g" "$2" \
    | awk -v requires="${rpm_requires:-}" '$0 == "@REQUIRES@" { if (requires != "") print requires; next } { print }'
}

step "staging /opt/agentdesk from $dist"
mkdir -p "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" "$stage/usr/share/metainfo"
cp -al "$dist" "$stage/opt/agentdesk" 2>/dev/null || cp -a "$dist" "$stage/opt/agentdesk"
# Readable by every user, writable by none but its owner (root, once
# installed); the owner's bits stay as the build made them (a read-only model).
chmod -R go+rX,go-w "$stage/opt/agentdesk"
ln -s ../../opt/agentdesk/agentdesk "$stage/usr/bin/agentdesk"
install -m 644 "$HERE/agentdesk.desktop" "$stage/usr/share/applications/agentdesk.desktop"
fill "$machine" "$HERE/agentdesk.workbench.AgentDesk.metainfo.xml" \
  > "$stage/usr/share/metainfo/agentdesk.workbench.AgentDesk.metainfo.xml"
chmod 644 "$stage/usr/share/metainfo/agentdesk.workbench.AgentDesk.metainfo.xml"

step "icons (hicolor theme)"
icons=${AGENTDESK_ICON_DIR:-$ROOT/build/icons}
if [ ! -f "$icons/agentdesk-48.png" ]; then
  script=$ROOT/scripts/make_icons.py
  [ -f "$script" ] || fail "no icons in $icons and no icon script $script"
  python=${PYTHON:-$ROOT/.venv/bin/python}
  [ -x "$python" ] || python=python3
  "$python" "$script" "$icons" >/dev/null || fail "the icon script failed ($script $icons)"
fi
for size in "${ICON_SIZES[@]}"; do
  png=$icons/agentdesk-$size.png
  [ -f "$png" ] || fail "icon $png is missing"
  install -D -m 644 "$png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/agentdesk.png"
done
install -D -m 644 "$ROOT/resources/agentdesk.svg" "$stage/usr/share/icons/hicolor/scalable/apps/agentdesk.svg"

step "system libraries the app links"
# ELF files of the app; readelf's complaints about the rest (scripts, data)
# are dropped.
elf_files() { find "$dist" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0; }
# Libraries the app's files link (NEEDED) that it does not carry itself.
needed=$(comm -23 \
  <(elf_files | xargs -0 -r readelf -d 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u || true) \
  <(find "$dist" \( -name '*.so' -o -name '*.so.*' \) -printf '%f\n' | sort -u))
# The newest glibc symbol version any of them uses: the oldest system it runs on.
glibc=$(elf_files | xargs -0 -r readelf -V -W 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' \
  | sed 's/GLIBC_//' | sort -t. -k2,2n -u | tail -n1 || true)
libc6=libc6; [ -z "$glibc" ] || libc6="libc6 (>= $glibc)"
# The .rpm's requirements are these sonames (rpm's own automatic form), so
# they hold on every rpm distribution: glibc by version; the Wayland client
# libraries only recommended (the X11 platform works without them); libbz2
# left out (only Python's bz2 module links it, as libbz2.so.1.0, a Debian
# name rpm distributions spell libbz2.so.1, and the app never imports it).
rpm_requires=$( {
  [ -z "$glibc" ] || echo "Requires:       libc.so.6(GLIBC_$glibc)(64bit)"
  for so in $needed; do
    case $so in
      libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*) ;;
      libbz2.so.1.0) ;;
      libwayland-*) echo "Recommends:     $so()(64bit)" ;;
      *) echo "Requires:       $so()(64bit)" ;;
    esac
  done
} )
echo "    glibc ${glibc:-(none)}; $(echo "$needed" | grep -c . || true) system libraries"

installed_kb=$(du -sk "$stage" | cut -f1)

for format in $formats; do
  case $format in
  deb)
    deb=$out/agentdesk_${version}_${deb_arch}.deb
    step "building $(basename "$deb")"
    mkdir -p "$work/deb"
    # The control file goes in a copy of the tree's top (not into $stage,
    # which the rpm is built from).
    cp -al "$stage/." "$work/deb/" 2>/dev/null || cp -a "$stage/." "$work/deb/"
    # Debian keeps each package's licences in /usr/share/doc/PACKAGE/copyright.
    install -D -m 644 "$ROOT/packaging/NOTICE.txt" "$work/deb/usr/share/doc/agentdesk/copyright"
    mkdir -m 755 "$work/deb/DEBIAN"
    fill "$deb_arch" "$HERE/deb/control.in" > "$work/deb/DEBIAN/control"
    dpkg-deb --root-owner-group -Zzstd -z1 --build "$work/deb" "$deb" >/dev/null
    ;;
  rpm)
    rpm=$out/agentdesk-$version-1.$machine.rpm
    step "building $(basename "$rpm")"
    mkdir -p "$work/rpm"
    fill "$machine" "$HERE/rpm/agentdesk.spec.in" > "$work/rpm/agentdesk.spec"
    cp "$ROOT/packaging/NOTICE.txt" "$work/rpm/NOTICE.txt"
    rpmbuild -bb --quiet --target "$machine" \
      --define "_topdir $work/rpm" --define "_rpmdir $work/rpm/out" \
      --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
      "$work/rpm/agentdesk.spec" >/dev/null
    mv "$work/rpm/out/$(basename "$rpm")" "$rpm"
    ;;
  esac
done
step "done: $(cd "$out" && ls agentdesk_"$version"_*.deb agentdesk-"$version"-1.*.rpm 2>/dev/null | tr '\n' ' ')"
