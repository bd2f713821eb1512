#!/usr/bin/env bash
# The native .deb:  tools/package-deb.sh [BUILD_DIR] [--install]
# Release build of adrg and adrgctl only (tests off) in BUILD_DIR (default build-deb), cpack -G DEB,
# then tools/deb-check.sh on the result (--install: also dpkg -i it in a throwaway chroot).
# The arm64 package comes from tools/cross-arm64.sh deb.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$here/build-deb"
install=""
for arg in "$@"; do
  case "$arg" in
    --install) install=--install ;;
    *) build_dir="$arg" ;;
  esac
done

# SKIP_INSTALL_ALL_DEPENDENCY: cpack packages what was just built instead of building "all".
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADRG_BUILD_TESTS=OFF \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target adrg adrgctl
rm -f "$build_dir"/adrg_*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null)
arch="$(dpkg --print-architecture)"
exec "$here/tools/deb-check.sh" "$build_dir"/adrg_*_"$arch".deb "$arch" $install
