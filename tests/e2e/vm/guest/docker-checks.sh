#!/bin/bash
# Runs inside the systemd e2e VM (run-vm.sh --systemd: Debian bookworm root, systemd 252 as
# PID 1, pure cgroup v2) as test.sh. Starts the root's Docker (docker.io 20.10, systemd cgroup
# driver, see /etc/docker/daemon.json from rootfs-overlay), installs the repo's shipped
# adrg.service unchanged with the adrg binary under test and a config that keeps the default
# docker_socket, and proves with real containers what adrg does to them. One line per check goes
# to result.txt:
#   PASS|FAIL <check> <details>
# and the exit status is the number of failed checks (0 = every check passed).
# The share (/mnt/host) holds bin/adrg (the binary under test) and files/adrg.service.
# No `set -e`: a failed check must not stop the later ones (the restore checks matter most).
set -u

H=/mnt/host
RESULT=$H/result.txt
PORT=8765
CONF=/etc/adrg/config.yaml
# The containers and the tier each must land in: by name glob (bg-*, bulk-*) or by the adrg.tier
# label, which beats a glob (bulk-but-core). Few of them: every docker run costs seconds here.
TIER0="bulk-but-core"
TIER2="bg-index bg-label"
TIER3="bulk-spin bulk-sleep odd-batch"
ALL="$TIER0 $TIER2 $TIER3"
# pass, fail, note, wait_for, $fails
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
: >"$RESULT"
mkdir -p /run/adrg-e2e/orig /run/adrg-e2e/before-media

# cid, scope, learn_ids, paused_is, snapshot, same_as, run_ctr, spin, idle, start_docker, ...
# shellcheck source=tests/e2e/vm/guest/docker-lib.sh
. "$H/docker-lib.sh"
pause_summary() {
  local n out="" st
  st=$(states)
  for n in $ALL ${EXTRA_NAMES:-}; do
    out="$out $n:$(echo "$st" | sed -n "s/^$n //p")/$(frozen_value "$n")"
  done
  echo "state/frozen$out"
}

# ------------------------------------------------------------------ dockerd, systemd driver
note "docker start"
if start_docker; then
  pass dockerd "docker info: Cgroup Driver/Version/storage/version = $DOCKER_INFO; systemctl start docker took $DOCKER_START_S s, ready at uptime $(uptime_s) s"
else
  fail dockerd "info='$DOCKER_INFO'; $(systemctl status docker containerd --no-pager 2>&1 | tail -20 | tr '\n' '|')"
fi

# ------------------------------------------------------------------ the busybox image
note "image"
if import_busybox_image; then
  pass image "import of busybox-static ($IMAGE_KIB KiB tar) as $IMG took $IMPORT_S s"
else
  fail image "import failed: $IMPORT_OUT"
fi

# ------------------------------------------------------------------ containers
note "containers"
# In parallel: each docker run costs seconds under TCG. The one spinner is held to a tenth of a
# CPU by Docker itself (its own cpu.max), so it does not starve the emulated machine; bg-index's
# --cpus 0.5 is a limit of the user's that media_stop and the stop must put back. odd-batch is
# given the guest's /usr read-only and runs its fio and stress-ng before it idles (later load
# checks need them inside containers): it is up only if they ran.
t0=$(now)
idle bulk-but-core --label adrg.tier=0 &
idle bg-index --cpus 0.5 &
idle bg-label --label adrg.tier=2 &
spin bulk-spin --cpus 0.1 &
idle bulk-sleep &
run_ctr odd-batch --label adrg.tier=3 -v /usr:/usr:ro "$IMG" \
  sh -c '/usr/bin/fio --version && /usr/bin/stress-ng --version && exec sleep 1000000' &
wait
started=$(since "$t0")
# The container's output through the API; each stdout frame starts with an 8-byte binary header,
# so only the version strings are picked out. "Running" comes before both have printed (each is
# a process start under TCG), so the log is read until both are there.
versions_seen() {
  curl -sf --max-time 10 --unix-socket $S \
    "http://docker/v1.41/containers/odd-batch/logs?stdout=1&stderr=1" |
    grep -aoE "fio-[0-9.]+|stress-ng, version [0-9.]+" >/run/adrg-e2e/host-usr
  grep -q "^fio-" /run/adrg-e2e/host-usr && grep -q "^stress-ng, version" /run/adrg-e2e/host-usr
}
wait_for 60 versions_seen
if [ "$(inspect odd-batch | json_field Running)" = true ] && grep -q "^fio-" /run/adrg-e2e/host-usr &&
  grep -q "^stress-ng, version" /run/adrg-e2e/host-usr; then
  pass host_usr "odd-batch ran the guest's /usr/bin/fio and stress-ng (/usr read-only): $(tr '\n' ' ' </run/adrg-e2e/host-usr)"
else
  fail host_usr "running=$(inspect odd-batch | json_field Running): $(cat /run/adrg-e2e/host-usr)"
fi
learn_ids $ALL
bad=""
for n in $ALL; do
  id=$(cid "$n")
  pid=$(inspect "$n" | json_field Pid)
  cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
  { [ -n "$id" ] && [ "$cg" = "/system.slice/docker-$id.scope" ] && [ -d "/sys/fs/cgroup$cg" ]; } ||
    bad="$bad $n:id=$id,pid=$pid,cgroup=$cg"
done
if [ -z "$bad" ]; then
  pass scope "$(echo $ALL | wc -w) containers started by parallel docker runs in $started s, each in /sys/fs/cgroup/system.slice/docker-<full id>.scope (bg-index: $(sed -n 's/^0:://p' "/proc/$(inspect bg-index | json_field Pid)/cgroup"), its cpu.max '$(file_of bg-index cpu.max)')"
else
  fail scope "$bad; $(docker ps -a 2>&1 | tr '\n' '|')"
fi
# Values before adrg ever ran: stop_restores compares with these.
snapshot /run/adrg-e2e/orig $ALL

# ------------------------------------------------------------------ adrg as the shipped unit
note "adrg start"
install_shipped_unit
# No thermal zone in the VM, and thermal/memory/io rules off: nothing else wakes adrg, so with
# the reconcile tick an hour away, what happens within seconds is driven by Docker's events and
# the triggers alone. docker_socket is not set: the default /var/run/docker.sock.
mkdir -p /etc/adrg/thermal /etc/adrg/no-hwmon
cat >$CONF <<EOF
general:
  poll_interval_seconds: 3600
  thermal_root: /etc/adrg/thermal
  hwmon_root: /etc/adrg/no-hwmon
  http_server: {enabled: true, host: 127.0.0.1, port: $PORT}
tiers:
  0: {name: Core, containers: ["core-*"]}
  2: {name: Background, containers: ["bg-*"], cpu_weight: 50, io_weight: 50}
  3: {name: Bulk, containers: ["bulk-*"], cpu_weight: 10, io_weight: 10, memory_high: 512M}
media_mode:
  enabled: true
  provider: webhook
  tier2_cpu_max_percent: 20
  tier2_io_max_read_mb_per_sec: 10
  tier2_io_max_write_mb_per_sec: 5
  cooldown_seconds: 0
thermal: {enabled: false}
memory_pressure: {enabled: false}
io_pressure: {enabled: false}
EOF
t0=$(now)
systemctl start adrg.service
rc=$?
if [ $rc -eq 0 ] && healthy && wait_for 30 test "$(cat "$(scope bulk-spin)/cpu.weight")" = 10; then
  pass adrg_start "systemctl start (Type=notify) returned and tier-3 cpu.weight 10 was in bulk-spin's scope $(since "$t0") s after it; $(props)"
else
  fail adrg_start "rc=$rc $(props) bulk-spin cpu.weight=$(file_of bulk-spin cpu.weight); $(journalctl -u adrg --no-pager -o cat | tail -15 | tr '\n' '|')"
fi

# /status: each container in its tier, by glob and by label.
status_tier() { status_json | grep -o "\"$1\":{\"tier\":[0-9]*" | sed 's/.*://'; }
in_tier() { # TIER NAME...
  local t=$1 n
  shift
  for n in "$@"; do [ "$(status_tier "$n")" = "$t" ] || return 1; done
}
tiers_ok() { in_tier 0 $TIER0 && in_tier 2 $TIER2 && in_tier 3 $TIER3; }
if wait_for 30 tiers_ok; then
  pass tiers "/status: bulk-but-core 0 (label beats the bulk-* glob), bg-index 2, bg-label 2 (label), bulk-spin 3, bulk-sleep 3, odd-batch 3 (label)"
else
  got=""
  for n in $ALL; do got="$got $n=$(status_tier "$n")"; done
  fail tiers "$got; $(status_json | head -c 1500)"
fi
snapshot /run/adrg-e2e/before-media $ALL

# ------------------------------------------------------------------ media_start / media_stop
note "media_start"
t0=$(now)
trigger media_start
if wait_for 30 paused_is true $TIER3 && paused_is false $TIER0 $TIER2; then
  pass media_pause "paused $(echo $TIER3 | wc -w) tier-3 containers $(since "$t0") s after media_start (Docker's State paused, scope frozen 1); paused in Docker's list: $(paused_names)"
else
  fail media_pause "$(pause_summary)"
fi
# Instant relief on the real kernel: from the decision until Docker reported each tier-3
# container paused, its scope held cpu.max 1 ms per 100 ms and io.max 1 MiB/s (adrg's journal
# says when each was lifted); paused, each scope is back to its own cpu.max and io.max.
relief_lifted() {
  [ "$(journalctl -u adrg.service --no-pager -o cat | grep -c 'relief throttle lifted (Docker paused it)')" -ge "$(echo $TIER3 | wc -w)" ]
}
relief_undone() {
  local n f
  for n in $TIER3; do
    for f in cpu.max io.max; do
      [ "$(cat "$(scope "$n")/$f")" = "$(cat "/run/adrg-e2e/before-media/$n.$f")" ] || return 1
    done
  done
}
if wait_for 30 relief_lifted && wait_for 30 relief_undone; then
  pass relief "adrg's journal: $(journalctl -u adrg.service --no-pager -o cat | grep -c 'wrote 1000 100000 to .*/cpu.max') relief cpu.max writes, $(journalctl -u adrg.service --no-pager -o cat | grep -c 'relief throttle lifted (Docker paused it)') lifts once Docker paused them; paused tier 3 back to its own cpu.max (bulk-spin '$(file_of bulk-spin cpu.max)') and io.max"
else
  fail relief "lifted: $(journalctl -u adrg.service --no-pager -o cat | grep -c 'relief throttle lifted'); bulk-spin cpu.max '$(file_of bulk-spin cpu.max)' io.max '$(file_of bulk-spin io.max)'"
fi
if wait_for 30 all_throttled $TIER2 && ! throttled bulk-but-core; then
  pass media_throttle "tier 2 seen throttled $(since "$t0") s after media_start (looked at once tier 3 was paused): bg-index cpu.max='$(file_of bg-index cpu.max)' io.max='$(file_of bg-index io.max)', bg-label cpu.max='$(file_of bg-label cpu.max)'; tier 0 untouched"
else
  fail media_throttle "bg-index cpu.max='$(file_of bg-index cpu.max)' io.max='$(file_of bg-index io.max)' bg-label cpu.max='$(file_of bg-label cpu.max)' io.max='$(file_of bg-label io.max)'"
fi
note "media_stop"
t0=$(now)
trigger media_stop
if wait_for 30 paused_is false $ALL; then
  pass media_stop "every container running again $(since "$t0") s after media_stop: $(pause_summary)"
else
  fail media_stop "$(pause_summary)"
fi
restored() { same_as /run/adrg-e2e/before-media $ALL >/dev/null; }
if wait_for 30 restored; then
  pass media_stop_restore "every governed file of all $(echo $ALL | wc -w) scopes byte-exact as before media_start (tier 2 cpu.max '$(file_of bg-index cpu.max)', io.max '$(file_of bg-index io.max)')"
else
  fail media_stop_restore "$(same_as /run/adrg-e2e/before-media $ALL)"
fi

# ------------------------------------------------------------------ containers born while active
note "created while active"
trigger media_start
wait_for 30 paused_is true $TIER3 || fail created_while_active "media_start did not pause tier 3 again: $(pause_summary)"
EXTRA_NAMES="bulk-late bg-late"
# born NAME CHECK KIND [OPTS...]: docker run (KIND idle or spin) NAME in the background, then wait
# up to 30 s for `CHECK NAME`; writes how long that took after docker run returned, or why not,
# to born.NAME. Each container is timed from its own docker run, which may return well before
# the others'.
born() {
  local name=$1 check=$2 kind=$3
  shift 3
  (
    t0=$(now)
    if ! "$kind" "$name" "$@"; then
      echo "docker run failed" >"/run/adrg-e2e/born.$name"
      exit
    fi
    t1=$(now)
    learn_ids "$name"
    if wait_for 30 "$check" "$name"; then
      echo "$(since "$t1") s after its docker run returned (the run: $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s)"
    else
      echo "not within 30 s"
    fi >"/run/adrg-e2e/born.$name"
  ) &
}
is_paused() { paused_is true "$1"; }
old=$(cid bulk-sleep)
t0=$(now)
born bulk-late is_paused idle
born bg-late throttled idle
# A compose-style recreate at the same time: same name, new container (new id, new scope).
(
  docker rm -f bulk-sleep >/dev/null
  born bulk-sleep is_paused idle
  wait
) &
wait
learn_ids bulk-late bg-late bulk-sleep
new=$(cid bulk-sleep)
late=$(cat /run/adrg-e2e/born.bulk-late)
bg=$(cat /run/adrg-e2e/born.bg-late)
re=$(cat /run/adrg-e2e/born.bulk-sleep)
if [ "${late% s after*}" != "$late" ] && [ "${bg% s after*}" != "$bg" ]; then
  pass created_while_active "bulk-late paused $late; bg-late throttled (cpu.max '$(file_of bg-late cpu.max)') $bg; reconcile tick 3600 s"
else
  fail created_while_active "bulk-late: $late; bg-late: $bg; $(pause_summary) bg-late cpu.max='$(file_of bg-late cpu.max)' io.max='$(file_of bg-late io.max)'"
fi
if [ -n "$new" ] && [ "$new" != "$old" ] && [ "${re% s after*}" != "$re" ]; then
  pass recreated_while_active "bulk-sleep removed and run again (${old:0:12} -> ${new:0:12}), paused $re"
else
  fail recreated_while_active "old=$old new=$new: $re; $(pause_summary)"
fi

# ------------------------------------------------------------------ restart during media_stop
# A config change or an upgrade restarts adrg while the unpauses of media_stop are still in
# flight: the old adrg's shutdown, its ExecStopPost and the new adrg's start must between them
# leave nothing paused or throttled (the new adrg must not take adrg's own pauses for a human's).
note "restart during media_stop"
t0=$(now)
trigger media_stop
systemctl restart adrg.service
rc=$?
unpaused_all() { paused_is false $ALL $EXTRA_NAMES; }
after_restart() { same_as /run/adrg-e2e/before-media $ALL >/dev/null && ! throttled bg-late; }
if [ $rc -eq 0 ] && wait_for 60 unpaused_all && wait_for 30 after_restart; then
  pass restart_during_media_stop "restarted right after media_stop: every container running and every scope as before media_start $(since "$t0") s later"
else
  fail restart_during_media_stop "rc=$rc $(pause_summary) $(same_as /run/adrg-e2e/before-media $ALL); $(journalctl -u adrg --no-pager -o cat | grep -iE 'paus|journal|stopping|release' | tail -25 | tr '\n' '|')"
fi
wait_for 60 healthy || fail restart_during_media_stop "adrg not healthy after the restart"
trigger media_start
wait_for 30 paused_is true $TIER3 bulk-late || fail restart_during_media_stop "media_start after the restart: $(pause_summary)"

# ------------------------------------------------------------------ stop while tier 3 is paused
note "stop"
paused_is true $TIER3 bulk-late || fail stop_restores "tier 3 not paused before the stop: $(pause_summary)"
t0=$(now)
systemctl stop adrg.service
rc=$?
stop_s=$(since "$t0")
# No waiting: `systemctl stop` returns after adrg's exit and ExecStopPost's `adrg --cleanup`.
# bulk-sleep was recreated under adrg: its originals are Docker's defaults, which bulk-sleep's
# first incarnation had too (same image, same options).
bad=$(same_as /run/adrg-e2e/orig $ALL)
for n in $ALL $EXTRA_NAMES; do
  paused_is false "$n" || bad="$bad $n:still-paused"
done
throttled bg-late && bad="$bad bg-late:throttled"
bad=$(echo "$bad" | sed 's/^ *//;s/ *$//')
if [ $rc -eq 0 ] && [ -z "$bad" ]; then
  pass stop_restores "systemctl stop took $stop_s s; nothing paused (Docker's paused list: '$(paused_names)'), tier-2 cpu.max/io.max gone, every file of the $(echo $ALL | wc -w) original names' scopes byte-exact as before adrg (bulk-sleep's as its first incarnation's); $(props)"
else
  fail stop_restores "rc=$rc $bad; $(props); $(journalctl -u adrg --no-pager -o cat | tail -15 | tr '\n' '|')"
fi

check_sanitizers
journalctl -u docker.service -u containerd.service --no-pager -o short-monotonic >"$H/docker-journal.txt" 2>&1
note "done: $fails failed"
exit $fails
