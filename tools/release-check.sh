#!/usr/bin/env bash
# GCC Release build (-O3 -DNDEBUG) of the daemon, adrgctl and the unit tests, which then run,
# natively (the full test run's Release build is the arm64 one, tools/cross-arm64.sh):
# the optimiser's own warnings (-Wrestrict, -Wmaybe-uninitialized, -Warray-bounds, which a
# Debug build never sees) are errors like every other, and the unit tests pass without asserts
# or sanitizers. ccache (same settings as tools/dev.sh) makes a rebuild cheap.
#   tools/release-check.sh [-b DIR]       (default build-release)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build-release"
while getopts "b:h" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    *)
      sed -n '2,6p' "$0" >&2
      exit 2
      ;;
  esac
done
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
started=$(date +%s)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DADRG_BUILD_TESTS=ON >/dev/null
# The daemon, adrgctl and every unit test (with tests/support, where GCC 12's -O3 once found
# what Debug never did); the integration and e2e suites run against the ASan build.
mapfile -t targets < <(cd "$here/tests/unit" && ls -- *_test.cpp | sed 's/\.cpp$//')
cmake --build "$build" -j"$(nproc)" --target adrg adrgctl "${targets[@]}" >/dev/null
built=$(date +%s)
cd "$build"
ctest -L unit -j"$(nproc)" --timeout 300 --output-on-failure >"$build/ctest.log" 2>&1 || {
  tail -60 "$build/ctest.log"
  echo "release-check: unit tests FAILED in the Release build (log $build/ctest.log)"
  exit 1
}
summary=$(grep -E '^[0-9]+% tests passed' "$build/ctest.log" || true)
echo "release-check: Release build in $((built - started)) s; unit tests: ${summary:-passed} in $(($(date +%s) - built)) s"
