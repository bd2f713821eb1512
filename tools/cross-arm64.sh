#!/usr/bin/env bash
# arm64 (Raspberry Pi 5) proven on an x86_64 Debian bookworm machine:
#   tools/cross-arm64.sh build   install what is missing, cross-build adrg, adrgctl, unit tests
#   tools/cross-arm64.sh test    build, then run `ctest -L unit` under qemu-aarch64
#   tools/cross-arm64.sh deb     build, then cpack the arm64 .deb and check it (tools/deb-check.sh)
# Extra arguments go to ctest (test). Idempotent; build dir: $ARM64_BUILD (build-arm64).
#
# Toolchain: Debian's g++-aarch64-linux-gnu plus arm64 multiarch -dev packages. Two of them,
# libyaml-cpp-dev and libsimdjson-dev, are not Multi-Arch: same in bookworm: installing the
# arm64 one REMOVES the amd64 one (and breaks native builds). Those two are unpacked with
# dpkg -x into a private overlay ($ARM64_OVERLAY) that cmake/toolchain-aarch64.cmake searches;
# their runtime libraries are co-installable and installed normally (qemu and dpkg-shlibdeps
# need them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
shift || true
build_dir="${ARM64_BUILD:-$here/build-arm64}"
overlay="${ARM64_OVERLAY:-/var/cache/adrg-arm64/overlay}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

host_packages=(g++-aarch64-linux-gnu qemu-user cmake make pkg-config libcli11-dev dpkg-dev file)
arm64_dev=(libc6 liburing-dev libcurl4-openssl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libsystemd-dev libmicrohttpd-dev)
overlay_dev=(libyaml-cpp-dev libsimdjson-dev)

log() { echo "cross-arm64: $*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

# The shared library a non-multiarch -dev package depends on (libyaml-cpp-dev -> libyaml-cpp0.7).
runtime_of() {
  apt-cache depends "$1:arm64" | awk '/Depends:/ {print $2}' | grep -E '^lib.*[0-9]' |
    grep -v -- '-dev' | head -1 | sed 's/:arm64$//'
}

install_missing() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
  fi
  local missing=() p
  for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
  for p in "${arm64_dev[@]}"; do installed "$p:arm64" || missing+=("$p:arm64"); done
  local runtimes=()
  for p in "${overlay_dev[@]}"; do
    local rt
    rt="$(runtime_of "$p")"
    if [ -z "$rt" ]; then
      $SUDO apt-get update -qq
      rt="$(runtime_of "$p")"
    fi
    [ -n "$rt" ] || { log "cannot resolve the runtime library of $p:arm64"; exit 1; }
    runtimes+=("$rt")
    installed "$rt:arm64" || missing+=("$rt:arm64")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
  fill_overlay "${runtimes[@]}"
}

# dpkg -x the non-co-installable -dev packages and their runtime libraries into $overlay; redone
# only when a version changed (the stamp lists package=version).
fill_overlay() {
  local pkgs=("${overlay_dev[@]}" "$@") stamp="" p
  for p in "${pkgs[@]}"; do
    stamp+="$p=$(apt-cache policy "$p:arm64" | awk '/Candidate:/ {print $2}')"$'\n'
  done
  if [ -f "$overlay/.stamp" ] && [ "$(cat "$overlay/.stamp")" = "$stamp" ]; then return 0; fi
  log "unpacking ${pkgs[*]} (arm64) into $overlay"
  local dl
  dl="$(mktemp -d)"
  chmod 755 "$dl"  # apt-get download drops privileges to _apt
  $SUDO rm -rf "$overlay"
  $SUDO mkdir -p "$overlay"
  (cd "$dl" && apt-get download -qq "${pkgs[@]/%/:arm64}")
  for deb in "$dl"/*.deb; do $SUDO dpkg -x "$deb" "$overlay"; done
  printf '%s' "$stamp" | $SUDO tee "$overlay/.stamp" >/dev/null
  rm -rf "$dl"
}

unit_targets() {
  local src
  for src in "$here"/tests/unit/*_test.cpp; do basename "$src" .cpp; done
}

build() {
  install_missing
  # Release (-O3 -DNDEBUG): the build a Pi runs, and the full test run's GCC Release build with
  # tests, where the optimiser's own warnings (which Debug never sees) are errors too; no debug
  # info keeps the cross build and the qemu-emulated test run short.
  cmake -S "$here" -B "$build_dir" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/toolchain-aarch64.cmake" \
    -DADRG_ARM64_OVERLAY="$overlay" -DCMAKE_BUILD_TYPE=Release -DADRG_BUILD_TESTS=ON \
    -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
    >/dev/null
  # Only what the unit tests and the package need (integration/e2e tests run natively).
  # shellcheck disable=SC2046
  cmake --build "$build_dir" -j"$(nproc)" --target adrg adrgctl $(unit_targets)
  file -L "$build_dir/daemon/adrg" | grep -q 'ARM aarch64' ||
    { log "adrg is not an aarch64 binary"; exit 1; }
}

case "$mode" in
  build)
    build
    ;;
  test)
    build
    cd "$build_dir"
    # qemu-user has no io_uring (io_uring_setup -> ENOSYS): the reactor's probe falls back to
    # epoll and the io_uring cases skip with that reason, as on any kernel without io_uring.
    ctest -L unit --output-on-failure --timeout 600 "$@"
    ;;
  deb)
    build
    # DEB_HOST_ARCH: dpkg-shlibdeps resolves the NEEDED libraries as arm64 ones. cpack does not
    # build "all" first (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY): it packages what build made.
    rm -f "$build_dir"/adrg_*.deb
    (cd "$build_dir" && DEB_HOST_ARCH=arm64 cpack -G DEB >/dev/null)
    "$here/tools/deb-check.sh" "$build_dir"/adrg_*_arm64.deb arm64
    ;;
  *)
    echo "usage: tools/cross-arm64.sh build|test|deb [extra ctest args]" >&2
    exit 2
    ;;
esac
