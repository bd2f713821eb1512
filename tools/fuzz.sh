#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan+UBSan, ccache) in build-fuzz/ and runs
# each for a fixed time on its seed corpus. Exits non-zero when any target finds a crash, a leak,
# a timeout or runs out of memory, and prints the input that did it.
#
#   tools/fuzz.sh                      every target, 30 s each (ADRG_FUZZ_SECONDS overrides)
#   tools/fuzz.sh -t 60 fuzz_config    one target, 60 s
#   tools/fuzz.sh -b DIR               another build directory
#
# The seed corpus (tests/fuzz/corpus/<target>/) is only read: what the fuzzer finds goes to a
# temporary directory removed at exit, so a run never changes the checkout. Crashing inputs are
# kept in build-fuzz/artifacts/<target>/ and can be replayed: build-fuzz/tests/fuzz/<target> FILE.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${ADRG_FUZZ_SECONDS:-30}"
build="$here/build-fuzz"
while getopts "t:b:h" opt; do
  case "$opt" in
    t) seconds="$OPTARG" ;;
    b) build="$OPTARG" ;;
    *)
      sed -n '2,12p' "$0" >&2
      exit 2
      ;;
  esac
done
shift $((OPTIND - 1))
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: -t wants whole seconds, not '$seconds'" >&2; exit 2; }

# Target and its -max_len: the largest seed fits (the bundled config.yaml is 15 KB), and an HTTP
# request stays below the API's 32 KiB per-connection memory limit, beyond which MHD answers 431
# without reaching our code.
declare -A max_len=(
  [fuzz_http_api]=16384
  [fuzz_config]=32768
  [fuzz_docker_parse]=16384
  [fuzz_media_parse]=16384
  [fuzz_download_parse]=4096
)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_http_api fuzz_config fuzz_docker_parse fuzz_media_parse
  fuzz_download_parse)
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "fuzz.sh: unknown target $t (${!max_len[*]})" >&2; exit 2; }
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck source=tools/packages.sh
source "$here/tools/packages.sh"
# clang and its libFuzzer runtime are listed here, not in packages.sh: the Dockerfile copies that
# file before its package layers, so any edit there rebuilds the image's apt layers in CI.
install_missing "${build_packages[@]}" clang libclang-rt-14-dev

# Same ccache settings as tools/dev.sh: a fresh clone (CI) reuses the objects of earlier builds.
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
start=$SECONDS
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADRG_FUZZ=ON -DADRG_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"
echo "fuzz.sh: built ${#targets[@]} targets in $((SECONDS - start)) s"

work="$(mktemp -d /tmp/adrg-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1"

# run_target NAME: one libFuzzer run; its log in $work/NAME.log, exit status in $work/NAME.rc.
run_target() {
  local t="$1" timeout=10
  # Each HTTP input is three exchanges of up to 2 s each (fuzz_http_api.cpp).
  [ "$t" = fuzz_http_api ] && timeout=20
  mkdir -p "$work/$t" "$work/$t.tmp" "$build/artifacts/$t"
  local status=0
  # TMPDIR: fuzz_http_api's unix socket directory, removed with $work even after a crash.
  export TMPDIR="$work/$t.tmp"
  # The outer timeout is for a fuzzer that cannot stop: libFuzzer's out-of-memory report was
  # seen to hang while the input kept allocating (the yaml-cpp loop fixed in yaml_documents.cpp).
  timeout -k 10 $((seconds + 120)) \
    "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" \
    -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t/" "$work/$t" "$here/tests/fuzz/corpus/$t" \
    >"$work/$t.log" 2>&1 || status=$?
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
    echo "fuzz.sh: $t did not stop after $((seconds + 120)) s and was killed" >>"$work/$t.log"
  echo "$status" >"$work/$t.rc"
}

# The targets are single-threaded: as many run at once as there are cores.
start=$SECONDS
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$(nproc)" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for t in "${targets[@]}"; do
  rc="$(cat "$work/$t.rc")"
  stats="$(grep -E '^#[0-9]+.*cov:' "$work/$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)"
  execs="$(grep -oE 'average_exec_per_sec: *[0-9]+' "$work/$t.log" | grep -oE '[0-9]+$' || true)"
  if [ "$rc" -eq 0 ]; then
    echo "fuzz.sh: $t ok (${seconds} s, ${execs:-?} exec/s, ${stats:-no coverage line})"
  else
    failed=1
    echo "fuzz.sh: $t FAILED (exit $rc); its log ends:" >&2
    tail -n 60 "$work/$t.log" >&2
    grep -oE "Test unit written to [^ ]+" "$work/$t.log" | sed "s|^Test unit written to |fuzz.sh: $t: input |" >&2 ||
      true
    echo "fuzz.sh: replay with $build/tests/fuzz/$t <input>" >&2
  fi
done
echo "fuzz.sh: fuzzed for $((SECONDS - start)) s"
exit "$failed"
