#!/bin/sh
# Runs inside the e2e VM (tests/e2e/vm/run-vm.sh) for tools/bench/run-benchmarks.sh vm:
# the same bench_cgroup_units measurements on a quiet pure cgroup v2 kernel, where the host's
# background I/O cannot move io avg10 and where io.max exists. TCG makes every number slower
# than on real hardware: compare adrg with the baseline inside one run, not across machines.
set -u
H=/mnt/host
B=$H/bin/bench_cgroup_units
# set -a: BENCH_KEEP and BENCH_LOG_LEVEL are read by the tools from their environment.
[ -f "$H/bench.env" ] && { set -a; . "$H/bench.env"; set +a; }
cp "$H/bin/adrg" /tmp/adrg # tmpfs: executing from 9p is slow under TCG
mkdir -p /var/tmp
{
  echo "## in the VM: $(uname -r), $(nproc) vCPUs (QEMU TCG), pure cgroup v2, guest load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "### /trigger -> cgroup units frozen, ${RUNS:-20} runs"
  echo "| measurement | runs | p50 ms | p95 ms | max ms |"
  echo "|---|---|---|---|---|"
  "$B" /tmp/adrg pause "${UNITS_PAUSE:-30}" "${RUNS:-20}"
  echo
  echo "### idle footprint"
  "$B" /tmp/adrg footprint "${UNITS_IDLE:-50}" "${IDLE_SECONDS:-60}"
  echo
  echo "### reaction to an I/O storm (2 O_DIRECT readers on the virtio disk), ${RUNS:-20} runs"
  "$H/bin/bench_reaction" /tmp/adrg "${RUNS:-20}" "${THRESHOLD:-10}" /var/tmp \
    /bin/sh -c '/bin/e2e-helper dio read /dev/vda 30 1024 & /bin/e2e-helper dio read /dev/vda 30 1024 & wait'
} >"$H/result.txt" 2>"$H/bench.err"
if [ "${BENCH_KEEP:-0}" = 1 ]; then
  mkdir -p "$H/logs"
  for d in /tmp/adrg-bench-*/; do [ -f "$d/adrg.log" ] && cp "$d/adrg.log" "$H/logs/$(basename "$d").log"; done
fi
exit 0
