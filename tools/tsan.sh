#!/usr/bin/env bash
# ThreadSanitizer over the code where threads meet: the blocking executor (worker thread and its
# completions posted back to the reactor), the reactor's cross-thread wake-ups, and the HTTP
# client (curl multi driven by the reactor; curl's threaded resolver). Builds only those tests
# (GCC, -fsanitize=thread, ccache) in build-tsan/ and runs them; exits non-zero on any report.
#
#   tools/tsan.sh [-b DIR]
#
# TSan's shadow memory needs a fixed layout: kernels with 32 bits of mmap randomisation (6.x
# defaults on some distributions) break it, so the tests run with ASLR off (setarch -R).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build-tsan"
while getopts "b:h" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    *)
      sed -n '2,10p' "$0" >&2
      exit 2
      ;;
  esac
done
tests=(core_blocking_executor_test core_reactor_test core_http_client_test)

export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DADRG_TSAN=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${tests[@]}" >/dev/null
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
status=0
for test in "${tests[@]}"; do
  if setarch "$(uname -m)" -R "$build/tests/$test" >"$build/$test.log" 2>&1; then
    echo "tsan.sh: $test ok ($(grep -c '^\[       OK' "$build/$test.log" || true) tests)"
  else
    status=1
    echo "tsan.sh: $test FAILED (log $build/$test.log):"
    grep -A30 -m1 "WARNING: ThreadSanitizer\|FAILED\|FATAL" "$build/$test.log" || tail -30 "$build/$test.log"
  fi
done
exit "$status"
