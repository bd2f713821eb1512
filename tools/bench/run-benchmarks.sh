#!/usr/bin/env bash
# Benchmarks (not tests: they print tables, they assert nothing). Run as root on the host:
#   tools/bench/run-benchmarks.sh [all|policy|pause|footprint|reaction|vm]
# Builds a release adrg plus the bench tools in build-bench (sanitizers would distort every
# number), then measures on this machine's cgroup2 mount (the unified mount on a hybrid host:
# cgroup.freeze works there, cpu.max/io.max do not exist):
#   policy     inventory + planning cost per evaluation at 500 units (bench_policy)
#   pause      POST /trigger media_start -> 30 cgroup units "frozen 1", p50/p95 over 20 runs
#   footprint  idle adrg with 50 units: VmRSS, CPU %, wake-ups/s over 60 s; then the floor: the
#              RSS of a no-op linked against the same libraries (bench_library_floor)
#   reaction   real fio I/O storm -> tier 3's io.max limited by adrg's PSI-trigger path vs by
#              ADRG's 5 s avg10 poll, p50/p95 over 20 runs, with a trace of where adrg's time
#              goes (bench_reaction; slow: each run waits for io avg10 to calm down first).
#              Not "frozen 1": no ADRG/adrg rule freezes on I/O pressure (see bench_reaction)
#   vm         pause, footprint and reaction again inside the e2e VM (tests/e2e/vm: quiet pure
#              cgroup v2 kernel under QEMU TCG); not part of "all" (boot + ~15 min)
#   docker-vm  the systemd e2e VM with real Docker (systemd cgroup driver): instant relief vs
#              Docker's pause, playback protection of a tier-1 player against a tier-3 storm,
#              idle footprint with 50 containers (tools/bench/vm-docker-bench.sh); not in "all"
# Targets: reaction <= 300 ms p95 and >= 20x faster than the baseline, idle RSS <= 8 MB,
# CPU <= 0.1 %. Docker pause latency is tools/bench_docker_pause.cpp (separate).
# Environment: BENCH_BUILD (default build-bench), RUNS (20), UNITS_PAUSE (30),
# UNITS_IDLE (50), IDLE_SECONDS (60), THRESHOLD (io avg10 %, 10), STORM_DIR (/var/tmp);
# docker-vm: ROUNDS (10), PLAY_SECONDS (60), WARMUP (15), PLAY_MBIT (40), STORM_DEPTH (16),
# BENCH_ONLY, BENCH_RELIEF (the instant_relief settings the relief part runs: "true false"),
# E2E_MEM (guest MiB, 2048), DISK_BPS and DISK_IOPS (the guest disk, default
# 41943040 and 400: a Pi's SD card or USB disk; the host page cache would otherwise serve a
# 1 MiB read in well under a millisecond whatever the storm does);
# BENCH_KEEP=1 keeps adrg's config and log (in the VM: copied to the share's logs/) and
# BENCH_LOG_LEVEL=debug makes that log name every evaluation's cause.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BENCH_BUILD:-$repo/build-bench}"
what="${1:-all}"
runs="${RUNS:-20}"

# GCC 12 at -O2 reports a false maybe-uninitialized in actuator/actuator.cpp (std::optional);
# a benchmark build must not stop on a warning the Debug/ASan test build never sees.
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DADRG_BUILD_TESTS=OFF
  "-DCMAKE_CXX_FLAGS=-Wno-error=maybe-uninitialized")

[ "$(id -u)" -eq 0 ] || { echo "run-benchmarks: needs root (cgroup writes)" >&2; exit 2; }
command -v fio >/dev/null || { echo "run-benchmarks: fio missing (apt-get install fio)" >&2; exit 2; }

load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# vm, docker-vm: a release adrg and the static tools on a share, a guest script in the VM.
if [ "$what" = vm ] || [ "$what" = docker-vm ]; then
  echo "# host $(load) at the start of the VM run"
  cmake -S "$repo" -B "$build" "${cmake_flags[@]}" >/dev/null
  cmake --build "$build" -j"$(nproc)" --target adrg >/dev/null
  "$repo/tests/e2e/vm/build-image.sh"
  if [ "$what" = vm ]; then
    tools=(bench_cgroup_units bench_reaction)
    run_args=("$repo/tools/bench/vm-guest-bench.sh")
  else
    "$repo/tests/e2e/vm/build-rootfs.sh"
    tools=(bench_docker_vm bench_playback)
    run_args=(--systemd "$repo/tools/bench/vm-docker-bench.sh"
      "$repo/integrations/systemd/adrg.service:files/adrg.service")
  fi
  # The guest has no libstdc++ of its own beyond what ldd copies; static is simplest here.
  for tool in "${tools[@]}"; do
    g++ -static -O2 -std=c++20 -I"$repo" -o "$build/$tool.static" "$repo/tools/$tool.cpp"
  done
  work="$(mktemp -d /tmp/adrg-bench-vm.XXXXXX)"
  mkdir -p "$work/bin"
  for tool in "${tools[@]}"; do cp "$build/$tool.static" "$work/bin/$tool"; done
  for var in RUNS ROUNDS UNITS_PAUSE UNITS_IDLE IDLE_SECONDS THRESHOLD PLAY_SECONDS WARMUP PLAY_MBIT \
    STORM_DEPTH BENCH_ONLY BENCH_RELIEF BENCH_KEEP BENCH_LOG_LEVEL; do
    if [ -n "${!var:-}" ]; then echo "$var=${!var}" >>"$work/bench.env"; fi
  done
  status=0
  disk_bps=""
  disk_iops=""
  if [ "$what" = docker-vm ]; then
    disk_bps="${DISK_BPS:-41943040}"
    disk_iops="${DISK_IOPS:-400}"
    echo "# guest disk throttled to $disk_bps bytes/s, $disk_iops requests/s"
  fi
  E2E_DISK_BPS="$disk_bps" E2E_DISK_IOPS="$disk_iops" \
    E2E_WORK="$work" E2E_TIMEOUT="${VM_TIMEOUT:-2400}" E2E_MEM="${E2E_MEM:-2048}" \
    ADRG_BIN="$build/daemon/adrg" "$repo/tests/e2e/vm/run-vm.sh" "${run_args[@]}" || status=$?
  cat "$work/result.txt" 2>/dev/null || true
  [ "$status" -eq 0 ] || { echo "run-benchmarks: VM run failed ($status); see $work" >&2; exit 1; }
  exit 0
fi

cmake -S "$repo" -B "$build" "${cmake_flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target adrg bench_policy bench_cgroup_units bench_reaction \
  bench_library_floor >/dev/null
adrg="$build/daemon/adrg"
units="$build/tools/bench_cgroup_units"

echo "# adrg benchmarks — $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, $(load)"
echo "# adrg $("$adrg" --version) ($(basename "$build"), RelWithDebInfo)"

if [ "$what" = all ] || [ "$what" = policy ]; then
  echo
  echo "## (d) inventory + planning cost, 500 units [$(load)]"
  "$build/tools/bench_policy" 500 2000
fi

if [ "$what" = all ] || [ "$what" = pause ]; then
  echo
  echo "## (b) /trigger -> cgroup units frozen (inotify on cgroup.events), $runs runs [$(load)]"
  echo "| measurement | runs | p50 ms | p95 ms | max ms |"
  echo "|---|---|---|---|---|"
  "$units" "$adrg" pause "${UNITS_PAUSE:-30}" "$runs"
fi

if [ "$what" = all ] || [ "$what" = footprint ]; then
  echo
  echo "## (c) idle footprint (targets: RSS <= 8 MB, CPU <= 0.1 %) [$(load)]"
  "$units" "$adrg" footprint "${UNITS_IDLE:-50}" "${IDLE_SECONDS:-60}"
  echo
  echo "| what adrg's libraries alone cost (bench_library_floor) | VmRSS | Pss | libcurl |"
  echo "|---|---|---|---|"
  "$build/tools/bench_library_floor"
fi

if [ "$what" = all ] || [ "$what" = reaction ]; then
  echo
  echo "## (a) reaction to a real I/O storm, $runs runs (target: p95 <= 300 ms, >= 20x baseline) [$(load)]"
  "$build/tools/bench_reaction" "$adrg" "$runs" "${THRESHOLD:-10}" "${STORM_DIR:-/var/tmp}"
fi
