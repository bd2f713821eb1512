#!/bin/sh
# Runs inside the e2e VM as test.sh (busybox sh, PID 1's child, pure cgroup v2, Debian kernel):
# `adrgctl run` jobs under the real adrg, their limits measured on the real kernel. One line per
# check goes to result.txt ("PASS|FAIL <check> <measured values>"); the exit status is the
# number of failed checks. No `set -e`: a failed check must not stop the later ones.
set -u

H=/mnt/host
RESULT=$H/result.txt
# Private copies on tmpfs: executing from 9p costs seconds of page faults per start under TCG.
cp "$H/bin/adrg" /tmp/adrg
cp "$H/bin/adrgctl" /tmp/adrgctl
ADRG=/tmp/adrg
CTL="/tmp/adrgctl --socket /run/adrg/adrg.sock"
X=/bin/e2e-helper
CG=/sys/fs/cgroup
JOBS=$CG/adrg.slice/jobs
PORT=8765
CONF=/etc/adrg/config.yaml
DEV=$(cat /sys/block/vda/dev) # MAJ:MIN of the virtio scratch disk
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
: >"$RESULT"

trigger() { $CTL trigger "$1" >/dev/null; }
# job_field ID KEY: one field of the job object (strings without their quotes).
job_field() {
  $CTL inspect "$1" --json | sed -nE "s/.*\"$2\": *(\"[^\"]*\"|[^,}]*).*/\\1/p" | tr -d '"'
}
job_is() { [ "$(job_field "$1" state)" = "$2" ]; }
# kill_job_until_gone ID: adrgctl kill + wait; true once the job's cgroup is gone.
kill_job_until_gone() {
  $CTL kill "$1" >/dev/null
  $CTL wait "$1" --timeout 60 >/dev/null
  wait_for 30 sh -c "[ ! -d $JOBS/$1 ]"
}
is_frozen() { grep -q "^frozen $2\$" "$JOBS/$1/cgroup.events"; }
file_is() { [ "$(cat "$JOBS/$1/$2")" = "$3" ]; }
psi_some_avg10() { sed -nE 's/^some avg10=([0-9]+)\..*/\1/p' "/proc/pressure/$1"; }
psi_at_least() { [ "$(psi_some_avg10 "$1")" -ge "$2" ]; }
psi_at_most() { [ "$(psi_some_avg10 "$1")" -le "$2" ]; }

mkdir -p /var/lib/adrg /run/adrg /etc/adrg
cat >$CONF <<EOF
general:
  poll_interval_seconds: 1
  log_file: ""
  state_file: /run/adrg/state.json
  docker_socket: ""
  thermal_root: /tmp/no-thermal
  hwmon_root: /tmp/no-hwmon
  http_server: {enabled: true, host: 127.0.0.1, port: $PORT, unix_socket: /run/adrg/adrg.sock}
media_mode:
  enabled: true
  provider: webhook
  tier2_cpu_max_percent: 10
  cooldown_seconds: 0
thermal:
  enabled: false
memory_pressure:
  enabled: false
io_pressure:
  enabled: false
jobs:
  cgroup_root: $JOBS
  state_dir: /var/lib/adrg/jobs
  admission:
    cpu_some_avg10_max: 90
    memory_some_avg10_max: 90
    io_some_avg10_max: 5
    max_queue_seconds: 300
EOF

note "adrg $("$ADRG" --version)"
if ! start_adrg adrg-jobs.log; then
  fail start "adrg not healthy within 60 s"
  cat "$ADRG_LOG"
  exit 1
fi
pass start "adrg healthy, kernel $(uname -r), jobs under $JOBS"

# 1. Started inside its own cgroup from its first instruction: the job reads its own
# /proc/self/cgroup, and adrg says how it placed it (clone3 on this kernel).
note "job in its cgroup"
$CTL run --id where --tier 2 -- cat /proc/self/cgroup >/dev/null
$CTL wait where --timeout 60 >/dev/null
rc=$?
got=$($CTL logs where)
if [ $rc -eq 0 ] && [ "$got" = "0::/adrg.slice/jobs/where" ] && log_has "started where .*clone3 into the cgroup"; then
  pass job_in_cgroup "/proc/self/cgroup of the job: '$got', placed by clone3(CLONE_INTO_CGROUP), exit 0"
else
  fail job_in_cgroup "wait exit $rc, /proc/self/cgroup '$got'; $(grep 'started where' "$ADRG_LOG")"
fi

# 2. memory.max: a job touching 160 MiB under a 48 MiB limit (no swap) is OOM-killed, and
# inspect and wait say so.
note "oom"
$CTL run --id oom --tier 2 --memory-max 48M -- $X hold 160 >/dev/null
out=$($CTL wait oom --timeout 120)
rc=$?
state=$(job_field oom state)
sig=$(job_field oom signal)
ooms=$(job_field oom oom_kills)
if [ $rc -eq 137 ] && [ "$state" = killed ] && [ "$sig" = 9 ] && [ "${ooms:-0}" -ge 1 ] &&
  echo "$out" | grep -q "OOM killer"; then
  pass oom_kill "memory.max 48M, touched 160 MiB: state=$state signal=$sig oom_kills=$ooms; wait exit $rc: '$out'"
else
  fail oom_kill "wait exit $rc '$out'; state=$state signal=$sig oom_kills=$ooms"
fi

# 3. cpu.max: two spinners under 60000/100000 get 0.6 CPU = 30 % of this 2-CPU machine.
note "cpu.max"
$CTL run --id cpu --tier 2 --cpu-max 60000/100000 -- sh -c "$X spin & $X spin & wait" >/dev/null
if wait_for 30 file_is cpu cpu.max "60000 100000" && wait_for 30 job_is cpu running; then
  if cpu_share_within $JOBS/cpu 6 27 33; then
    pass cpu_max_job "--cpu-max 60000/100000 = 30% of 2 CPUs, measured ${share}% over 6 s (2 spinners)"
  else
    fail cpu_max_job "configured 30%, measured ${share}%"
  fi
else
  fail cpu_max_job "cpu.max='$(cat $JOBS/cpu/cpu.max 2>&1)' state=$(job_field cpu state)"
fi

# 4. The rules govern jobs like containers of their tier. media_start: tier-3 job frozen,
# tier-2 job (its own cpu.max as baseline) throttled to media_mode's 10 % = 20000/100000;
# media_stop: thawed, and the job's own 60000 100000 is back.
note "media_start"
$CTL run --id bulk --tier 3 -- $X spin >/dev/null
wait_for 30 job_is bulk running
trigger media_start
if wait_for 30 is_frozen bulk 1 && wait_for 30 file_is cpu cpu.max "20000 100000" &&
  wait_for 10 sh -c "[ \"\$($CTL inspect bulk --json | grep -c '\"frozen\": *true')\" = 1 ]"; then
  share=$($X cpu-share $JOBS/bulk 3)
  pass freeze_tier3_job "media_start: tier-3 job 'frozen 1' in cgroup.events and in inspect (CPU share while frozen ${share}%), tier-2 job cpu.max='20000 100000'"
else
  fail freeze_tier3_job "bulk $(grep frozen $JOBS/bulk/cgroup.events), cpu cpu.max='$(cat $JOBS/cpu/cpu.max)'"
fi
trigger media_stop
if wait_for 30 is_frozen bulk 0 && wait_for 30 file_is cpu cpu.max "60000 100000"; then
  pass release_job "media_stop: tier-3 job thawed, tier-2 job's own cpu.max '60000 100000' restored"
else
  fail release_job "bulk $(grep frozen $JOBS/bulk/cgroup.events), cpu cpu.max='$(cat $JOBS/cpu/cpu.max)'"
fi
$CTL kill cpu >/dev/null
$CTL wait cpu --timeout 60 >/dev/null

# 5. pids.max: a job forking ten sleepers under pids.max 4 is refused forks by the kernel
# (EAGAIN); it keeps running afterwards, so its cgroup can be looked at.
note "pids.max"
$CTL run --id pids --tier 2 --pids-max 4 -- $X forks 10 >/dev/null
if wait_for 30 sh -c "grep -q '^max [1-9]' $JOBS/pids/pids.events" &&
  wait_for 10 sh -c "$CTL logs pids | grep -q 'forked 3 refused 7 (errno EAGAIN)'"; then
  pass pids_max_job "pids.max=$(cat $JOBS/pids/pids.max): pids.current=$(cat $JOBS/pids/pids.current), pids.events '$(cat $JOBS/pids/pids.events)', the job says '$($CTL logs pids)'"
else
  fail pids_max_job "pids.max=$(cat $JOBS/pids/pids.max 2>&1) pids.events '$(cat $JOBS/pids/pids.events 2>&1)', job $(job_field pids state): '$($CTL logs pids)'"
fi
# Killing the main process ends what it left behind too, and the cgroup goes.
if kill_job_until_gone pids; then
  pass job_cgroup_removed "killed job's leftover sleepers gone with its cgroup"
else
  fail job_cgroup_removed "$JOBS/pids still there: $(cat $JOBS/pids/cgroup.procs 2>&1 | tr '\n' ' ')"
fi

# 6. io.max on the virtio disk, measured with O_DIRECT from inside the job.
note "io.max"
$CTL run --id io --tier 2 --io-max "$DEV rbps=4194304" -- $X dio read /dev/vda 6 512 >/dev/null
$CTL wait io --timeout 120 >/dev/null
r=$($CTL logs io | sed -n 's/.*mib_per_s=//p')
ok=$(awk -v r="${r:-0}" 'BEGIN {print (r >= 4 * 0.85 && r <= 4 * 1.15) ? 1 : 0}')
if [ "$ok" = 1 ]; then
  pass io_max_job "--io-max '$DEV rbps=4194304' (4 MiB/s), measured $r MiB/s (O_DIRECT 512 KiB, 6 s)"
else
  fail io_max_job "read cap 4 MiB/s, measured '${r}': $($CTL logs io)"
fi

# 7. Admission on real PSI: under an I/O storm (io some avg10 at twice the 5 % threshold) a
# --wait-for-calm job is queued; once the storm ends and avg10 decays it is admitted. The
# threshold is low because what a storm reaches under TCG depends on the host: four O_DIRECT
# readers kept "some" between 20 % and 55 % here (the emulated CPU, not the disk, is their
# bottleneck), while an idle guest stays at 0.
note "admission"
mkdir -p $CG/storm
storm=""
for i in 1 2 3 4; do
  sh -c "echo \$\$ >$CG/storm/cgroup.procs; exec $X dio read /dev/vda 120 1024" >/dev/null &
  storm="$storm $!"
done
end_storm() {
  kill $storm
  wait $storm 2>/dev/null
}
if wait_for 60 psi_at_least io 10; then
  $CTL run --id calm --tier 3 --wait-for-calm -- echo admitted >/dev/null
  queued_state=$(job_field calm state)
  queued_reason=$(job_field calm reason)
  end_storm
  t0=$(date +%s)
  if [ "$queued_state" = queued ] && wait_for 120 job_is calm exited; then
    pass admission_real_psi "queued under io some avg10>=10 ('$queued_reason'), admitted $(($(date +%s) - t0)) s after the storm ended (io avg10 now $(psi_some_avg10 io)); log '$($CTL logs calm)'"
  else
    fail admission_real_psi "state when submitted '$queued_state' ($queued_reason), now '$(job_field calm state)', io avg10 $(psi_some_avg10 io)"
  fi
else
  end_storm
  fail admission_real_psi "the storm did not raise io some avg10 to 10: $(head -1 /proc/pressure/io)"
fi

# 8. adrg stopping never kills a job and never leaves it frozen; the next adrg re-adopts it.
note "restart"
trigger tier3_pause
wait_for 30 is_frozen bulk 1 || fail restart_job "tier3_pause did not freeze the tier-3 job"
stop_adrg
rc=$?
pid=$(cat $JOBS/bulk/cgroup.procs | head -1)
if [ $rc -eq 0 ] && is_frozen bulk 0 && [ -n "$pid" ] && kill -0 "$pid"; then
  start_adrg adrg-jobs-restart.log
  if [ "$(job_field bulk adopted)" = true ] && job_is bulk running; then
    pass restart_job "SIGTERM thawed the frozen tier-3 job (pid $pid still running); restarted adrg re-adopted it"
  else
    fail restart_job "after restart: $($CTL inspect bulk --json)"
  fi
else
  fail restart_job "adrg exit $rc; bulk $(grep frozen $JOBS/bulk/cgroup.events 2>&1); pid '$pid'"
  start_adrg adrg-jobs-restart.log
fi
if kill_job_until_gone bulk; then
  pass adopted_job_killed "re-adopted job killed on request, its cgroup removed"
else
  fail adopted_job_killed "$(job_field bulk state); $JOBS/bulk still there"
fi
stop_adrg

note "done: $fails failed"
exit $fails
