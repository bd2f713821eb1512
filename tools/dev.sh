#!/usr/bin/env bash
# The two README commands live here:
#   tools/dev.sh run    install what is missing, build, run adrg on the bundled default config
#   tools/dev.sh test   install what is missing, build with ASan+UBSan, run every test via ctest,
#                       then the arm64 unit tests under qemu-user (tools/cross-arm64.sh)
# Works as root on a fresh Debian bookworm machine (uses sudo when not root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
shift || true
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# shellcheck source=tools/packages.sh
source "$here/tools/packages.sh"

# ccache (when installed): paths relative to the checkout and no build directory in the hash, so
# a fresh clone (CI) or another worktree reuses the objects of an earlier build.
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1

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
    exec "$here/build/daemon/adrg" --config "$here/config/config.yaml" "$@"
    ;;
  test)
    install_missing "${build_packages[@]}" "${test_packages[@]}"
    "$here/tools/start-test-peers.sh"
    # The e2e VM images (Debian kernel, initramfs, debootstrap root for the systemd runs) are built
    # before ctest, so a cold download on a fresh machine never counts against a test's timeout.
    # 77 = QEMU, the kernel or debootstrap cannot be had: the e2e tests then skip loudly.
    for script in build-image.sh build-rootfs.sh; do
      status=0
      "$here/tests/e2e/vm/$script" || status=$?
      [ "$status" -eq 0 ] || [ "$status" -eq 77 ] || exit "$status"
    done
    build "$here/build-asan" -DCMAKE_BUILD_TYPE=Debug -DADRG_SANITIZE=ON
    cd "$here/build-asan"
    # detect_leaks: the sanitizer runtime also checks for leaks at exit.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1"
    status=0
    if [ $# -eq 0 ]; then
      # Unit tests live in temp dirs and their own process: one per core. The integration and
      # e2e suites share dockerd, the test peers and the VM's emulated CPUs: one at a time.
      ctest --output-on-failure --timeout 600 -L unit -j"$(nproc)" || status=$?
      ctest --output-on-failure --timeout 600 -LE unit || status=$?
    else
      ctest --output-on-failure --timeout 600 "$@" || status=$?
    fi
    # The full run also proves arm64 (Raspberry Pi 5): unit tests cross-built in Release (the
    # GCC Release build with tests) and run under qemu-user, and the arm64 .deb; then the
    # fuzzers (clang), clang-tidy over the production code and clang -fsyntax-only over the
    # tests, warnings as errors (fuzz.sh installed clang), and ThreadSanitizer over the tests
    # where threads meet. With extra ctest arguments only the native selection runs.
    if [ $# -eq 0 ]; then
      "$here/tools/cross-arm64.sh" test || status=1
      "$here/tools/cross-arm64.sh" deb || status=1
      "$here/tools/fuzz.sh" || status=1
      "$here/tools/clang-tidy.sh" "$here/build-asan" || status=1
      "$here/tools/tsan.sh" || status=1
    fi
    exit "$status"
    ;;
  *)
    echo "usage: tools/dev.sh run|test [extra args for adrg or ctest]" >&2
    exit 2
    ;;
esac
