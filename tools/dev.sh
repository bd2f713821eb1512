#!/usr/bin/env bash
# The two README commands live here:
#   tools/dev.sh run    install what is missing, build, run adrg on the bundled default config
#   tools/dev.sh test   install what is missing, build with ASan+UBSan, run every test via ctest
# Works as root on a fresh Debian bookworm machine (uses sudo when not root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
shift || true
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

build_packages=(g++ cmake make pkg-config liburing-dev libyaml-cpp-dev libsimdjson-dev
  libcurl4-openssl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libsystemd-dev
  libmicrohttpd-dev libcli11-dev)
# Real peers the tests run against (shared/ENVIRONMENT.md): no mocks where these run.
test_packages=(curl procps iproute2 docker.io busybox-static qbittorrent-nox transmission-daemon
  prometheus stress-ng fio wrk python3 qemu-system-x86 cpio kmod)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}" >&2
  # policy-rc.d keeps Debian from auto-starting daemons we install only for tests.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"
  return 0
}

build() {  # build DIR [cmake args...]
  local dir="$1"
  shift
  cmake -S "$here" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

case "$mode" in
  run)
    install_missing "${build_packages[@]}"
    build "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADRG_BUILD_TESTS=OFF
    exec "$here/build/core/daemon/adrg" --config "$here/config/config.yaml" "$@"
    ;;
  test)
    install_missing "${build_packages[@]}" "${test_packages[@]}"
    "$here/tools/start-test-peers.sh"
    build "$here/build-asan" -DCMAKE_BUILD_TYPE=Debug -DADRG_SANITIZE=ON
    cd "$here/build-asan"
    # detect_leaks: the sanitizer runtime also checks for leaks at exit.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1"
    exec ctest --output-on-failure --timeout 600 "$@"
    ;;
  *)
    echo "usage: tools/dev.sh run|test [extra args for adrg or ctest]" >&2
    exit 2
    ;;
esac
