#!/bin/bash
# Runs inside the systemd e2e VM (run-vm.sh --systemd) as test.sh: real Docker (docker.io 20.10,
# systemd cgroup driver, pure cgroup v2) governed by adrg installed as the shipped unit with the
# default docker_socket. Where docker-checks.sh proves tiers, pause and throttle, this suite
# proves what must hold around them:
#   user_limits        the user's own `docker run` limits (--cpus, -m, --device-write-bps) are
#                      never loosened by a tier baseline or a rule: effective = the stricter of
#                      the user's and adrg's value, and /status shows both
#   cycle_restores     a media trigger cycle leaves every file byte-exact
#   kill9_soak         tools/kill9-soak.sh: SIGKILL at random points of trigger cycles, the
#                      unit's ExecStopPost (`adrg --cleanup`) restores everything
#   io_storm/io_lift   fio writing in a tier-3 container puts io.max on tier 3's scopes, lifted
#                      again only after the storm plus recovery_hold_seconds (hysteresis)
#   memory_squeeze/    stress-ng --vm in tier 3 (held by its own memory.high, so it stalls for
#   memory_restart     real) squeezes tier 3's memory.high, then the highest-RSS tier-3
#                      container is restarted through the Engine API; tier 0/1 never touched
#   docker_restart     `systemctl restart docker` while media is active: adrg reports Docker
#                      down and up on /events and /status, re-pauses and re-throttles what
#                      comes back, and media_stop leaves nothing paused
# One line per check goes to result.txt (PASS|FAIL <check> <details>); the exit status is the
# number of failed checks. The share holds bin/adrg, files/adrg.service, kill9-soak.sh.
set -u

H=/mnt/host
RESULT=$H/result.txt
PORT=8765
CONF=/etc/adrg/config.yaml
# pass, fail, note, wait_for, $fails
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
# start_docker, import_busybox_image, learn_ids, scope, snapshot, same_as, paused_is, ...
# shellcheck source=tests/e2e/vm/guest/docker-lib.sh
. "$H/docker-lib.sh"
: >"$RESULT"
mkdir -p /run/adrg-e2e

started_at() { docker inspect -f '{{.State.StartedAt}}' "$1" 2>/dev/null; }
mib() { echo $(($1 * 1024 * 1024)); }

note "docker start"
start_docker || fail dockerd "$DOCKER_INFO; $(systemctl status docker --no-pager 2>&1 | tail -5 | tr '\n' '|')"
import_busybox_image || fail image "import failed: $IMPORT_OUT"
DEV=$(cat /sys/block/vda/dev)

# ------------------------------------------------------------------ containers
# Tier 0 and 1 are never throttled, paused or restarted; bg-limited and bulk-limited carry the
# user's own limits; the unless-stopped ones come back after a dockerd restart.
LIMITS=(--cpus 0.5 -m 64m --memory-reservation 32m --device-write-bps /dev/vda:1mb)
# In parallel: each docker run costs seconds under TCG.
idle core-db &
idle player-1 --label adrg.tier=1 &
idle bg-limited --restart unless-stopped "${LIMITS[@]}" &
idle bulk-limited --restart unless-stopped "${LIMITS[@]}" &
idle bulk-plain --restart unless-stopped &
wait
ALL="core-db player-1 bg-limited bulk-limited bulk-plain"
learn_ids $ALL
snapshot /run/adrg-e2e/orig $ALL
user_cpu=$(file_of bulk-limited cpu.max)
user_io=$(file_of bulk-limited io.max)

# ------------------------------------------------------------------ adrg as the shipped unit
install_shipped_unit
systemctl daemon-reload
install -m 0755 "$H/kill9-soak.sh" /usr/local/sbin/kill9-soak
mkdir -p /etc/adrg/thermal /etc/adrg/no-hwmon /etc/adrg
# Tier baselines looser than the user's limits (memory.max 3 GiB vs -m 64m); media caps tier 2
# at 30 % of the machine (0.6 CPU: looser than --cpus 0.5) and 10/5 MB/s (the user's 1 MB/s
# write limit is stricter). Pressure rules with low thresholds and short holds, so the storms
# below engage them within seconds under TCG; a 2 s tick runs the hysteresis.
cat >$CONF <<EOF
general:
  poll_interval_seconds: 2
  thermal_root: /etc/adrg/thermal
  hwmon_root: /etc/adrg/no-hwmon
  http_server: {enabled: true, host: 127.0.0.1, port: $PORT}
tiers:
  0: {name: Core, containers: ["core-*"]}
  2: {name: Background, containers: ["bg-*"], cpu_weight: 50, io_weight: 50, memory_max: 2G}
  3: {name: Bulk, containers: ["bulk-*"], cpu_weight: 10, io_weight: 10, memory_max: 3G}
media_mode:
  enabled: true
  provider: webhook
  tier2_cpu_max_percent: 30
  tier2_io_max_read_mb_per_sec: 10
  tier2_io_max_write_mb_per_sec: 5
  cooldown_seconds: 0
thermal: {enabled: false}
memory_pressure:
  enabled: true
  some_avg10_threshold: 10
  critical_avg60_threshold: 5
  emergency_full_avg10_threshold: 99
  restart_cooldown_seconds: 600
  memory_high_reduction_factor: 0.75
  recovery_hold_seconds: 3600
  trigger: {enabled: true, type: some, stall_ms: 100, window_ms: 1000}
io_pressure:
  enabled: true
  trigger_avg10_threshold: 10
  recovery_avg10_threshold: 3
  recovery_hold_seconds: 10
  tier3_io_max_read_mb_per_sec: 5
  tier3_io_max_write_mb_per_sec: 2
  devices: ["$DEV"]
  trigger: {enabled: true, type: some, stall_ms: 100, window_ms: 1000}
EOF
systemctl start adrg.service || fail adrg_start "$(journalctl -u adrg --no-pager -o cat | tail -15 | tr '\n' '|')"
tier3_applied() { [ "$(file_of bulk-plain cpu.weight)" = 10 ] && [ "$(file_of bulk-limited cpu.weight)" = 10 ]; }
wait_for 60 tier3_applied || fail adrg_start "tier 3 cpu.weight not applied: $(file_of bulk-plain cpu.weight)"

# ------------------------------------------------------------------ (c) the user's own limits
limits_of() { # NAME FILE -> the /status "limits" entry of that file
  status_json | tr -d '\n' | sed "s/.*\"$1\":{\"tier\"//" | grep -o "\"$2\":{\"user\"[^}]*}" | head -1
}
mem_ok() { [ "$(file_of bulk-limited memory.max)" = "$(mib 64)" ] && [ "$(file_of bulk-plain memory.max)" = "$(mib 3072)" ]; }
if wait_for 20 mem_ok && [ "$(file_of bulk-limited cpu.max)" = "$user_cpu" ]; then
  pass user_limits "bulk-limited memory.max $(file_of bulk-limited memory.max) (user -m 64m kept against the tier's 3 GiB; bulk-plain without a limit got $(file_of bulk-plain memory.max)), cpu.max '$(file_of bulk-limited cpu.max)'; /status: $(limits_of bulk-limited memory.max)"
else
  fail user_limits "bulk-limited memory.max=$(file_of bulk-limited memory.max) cpu.max='$(file_of bulk-limited cpu.max)' bulk-plain memory.max=$(file_of bulk-plain memory.max); /status: $(status_json | head -c 1500)"
fi
snapshot /run/adrg-e2e/before-media $ALL
trigger media_start
want_io="$DEV rbps=10485760 wbps=1048576 riops=max wiops=max"
tier2_merged() { [ "$(file_of bg-limited io.max)" = "$want_io" ]; }
if wait_for 30 paused_is true bulk-limited bulk-plain && wait_for 30 tier2_merged &&
  [ "$(file_of bg-limited cpu.max)" = "$user_cpu" ]; then
  pass user_limits_media "media active: bg-limited cpu.max '$(file_of bg-limited cpu.max)' (user's 0.5 CPU beats media's 30 % = 0.6 CPU), io.max '$(file_of bg-limited io.max)' (media's read cap, the user's stricter write cap)"
else
  fail user_limits_media "bg-limited cpu.max='$(file_of bg-limited cpu.max)' io.max='$(file_of bg-limited io.max)' want '$want_io'; bulk paused: $(docker inspect -f '{{.State.Paused}}' bulk-limited bulk-plain | tr '\n' ' ')"
fi
trigger media_stop
cycle_back() { paused_is false $ALL && same_as /run/adrg-e2e/before-media $ALL >/dev/null; }
if wait_for 30 cycle_back; then
  pass cycle_restores "after media_stop every governed file of $ALL byte-exact as before media_start, none paused"
else
  fail cycle_restores "$(same_as /run/adrg-e2e/before-media $ALL)"
fi

# kill -9 at random points of trigger cycles; kill9-soak compares with adrg stopped.
note "kill -9 soak"
if out=$(set -o pipefail; kill9-soak -n "${SOAK_ROUNDS:-2}" $ALL 2>&1 | tee /dev/stderr); then
  pass kill9_soak "$(echo "$out" | tail -1)"
else
  fail kill9_soak "$(echo "$out" | tail -5 | tr '\n' '|')"
fi
wait_for 60 healthy || fail kill9_soak "adrg not healthy after the soak"

# ------------------------------------------------------------------ (d) I/O storm in tier 3
note "io storm"
mkdir -p /var/tmp/fio
t0=$(now)
run_ctr bulk-fio -v /usr:/usr:ro -v /var/tmp/fio:/data "$IMG" /usr/bin/fio --name=storm \
  --directory=/data --rw=write --bs=1M --size=256M --direct=1 --numjobs=4 --ioengine=psync \
  --time_based --runtime=25
learn_ids bulk-fio
capped() { grep -q "rbps=5242880" "$(scope "$1")/io.max"; }
if wait_for 30 capped bulk-fio; then
  pass io_storm "fio writing in tier-3 bulk-fio: io.max '$(file_of bulk-fio io.max)' in its own scope $(since "$t0") s after docker run; bulk-limited '$(file_of bulk-limited io.max)' (the user's 1 MB/s write cap kept)"
else
  fail io_storm "bulk-fio io.max='$(file_of bulk-fio io.max)'; $(head -1 /proc/pressure/io)"
fi
docker wait bulk-fio >/dev/null
storm_end=$(now)
lifted() { [ "$(file_of bulk-limited io.max)" = "$user_io" ]; }
if wait_for 120 lifted; then
  lift_s=$(since "$storm_end")
  if awk -v s="$lift_s" 'BEGIN {exit !(s >= 10)}'; then
    pass io_lift "io.max lifted $lift_s s after the storm ended (>= recovery_hold_seconds 10); bulk-limited back to the user's '$(file_of bulk-limited io.max)'"
  else
    fail io_lift "lifted after only $lift_s s: no hysteresis"
  fi
else
  fail io_lift "still '$(file_of bulk-limited io.max)' 120 s after the storm; $(head -1 /proc/pressure/io)"
fi
docker rm -f bulk-fio >/dev/null

# ------------------------------------------------------------------ (d) memory storm in tier 3
note "memory storm"
core_started=$(started_at core-db)
player_started=$(started_at player-1)
# Their tier baselines (tier 1's memory.high is ADRG's default), which the storm must not move.
core_high=$(file_of core-db memory.high)
player_high=$(file_of player-1 memory.high)
run_ctr bulk-hog -v /usr:/usr:ro "$IMG" /usr/bin/stress-ng --vm 1 --vm-bytes 400M --vm-keep
learn_ids bulk-hog
hog_started=$(started_at bulk-hog)
# The hog's own memory.high (as `systemctl set-property ... MemoryHigh=` would set it): over it,
# without swap, every allocation is throttled in reclaim, a real memory stall system-wide.
echo $((160 * 1024 * 1024)) >"$(scope bulk-hog)/memory.high"
t0=$(now)
squeezed() { [ "$(file_of bulk-plain memory.high)" != max ]; }
if wait_for 60 squeezed; then
  pass memory_squeeze "memory.high squeezed on tier 3 $(since "$t0") s into the storm: bulk-plain $(file_of bulk-plain memory.high), bulk-hog $(file_of bulk-hog memory.high); core-db $(file_of core-db memory.high), player-1 $(file_of player-1 memory.high) (their tier baselines)"
else
  fail memory_squeeze "bulk-plain memory.high=$(file_of bulk-plain memory.high); $(head -1 /proc/pressure/memory)"
fi
restarted() { [ "$(started_at bulk-hog)" != "$hog_started" ]; }
if wait_for 120 restarted; then
  if [ "$(started_at core-db)" = "$core_started" ] && [ "$(started_at player-1)" = "$player_started" ] &&
    [ "$(file_of core-db memory.high)" = "$core_high" ] &&
    [ "$(file_of player-1 memory.high)" = "$player_high" ]; then
    pass memory_restart "bulk-hog (highest RSS in tier 3) restarted through the Engine API $(since "$t0") s into the storm (StartedAt $hog_started -> $(started_at bulk-hog)); tier 0/1 neither restarted nor squeezed"
  else
    fail memory_restart "tier 0/1 touched: core-db $(started_at core-db) memory.high $(file_of core-db memory.high), player-1 $(started_at player-1) $(file_of player-1 memory.high)"
  fi
else
  fail memory_restart "bulk-hog not restarted in 120 s; $(head -2 /proc/pressure/memory | tr '\n' ' ')"
fi
docker rm -f bulk-hog >/dev/null

# ------------------------------------------------------------------ (e) dockerd restart
note "dockerd restart"
curl -sN --max-time 300 "http://127.0.0.1:$PORT/events" >/run/adrg-e2e/events.txt 2>/dev/null &
events_pid=$!
trigger media_start
wait_for 30 paused_is true bulk-limited bulk-plain || fail docker_restart "tier 3 not paused before the restart"
t0=$(now)
systemctl restart docker.service
connected() { status_json | grep -q '"connected":true'; }
governed_again() {
  paused_is true bulk-limited bulk-plain && [ "$(file_of bg-limited io.max)" = "$want_io" ]
}
if wait_for 90 connected && wait_for 90 governed_again &&
  grep -q '"docker_down"' /run/adrg-e2e/events.txt && grep -q '"docker_up"' /run/adrg-e2e/events.txt; then
  pass docker_restart "after systemctl restart docker ($(since "$t0") s): /events had docker_down and docker_up, /status connected, bulk-limited and bulk-plain paused again, bg-limited throttled again"
else
  fail docker_restart "connected=$(status_json | grep -o '"connected":[a-z]*'); paused: $(docker inspect -f '{{.Name}}={{.State.Paused}}/{{.State.Status}}' bulk-limited bulk-plain | tr '\n' ' '); bg-limited io.max='$(file_of bg-limited io.max)'; events: $(grep -o '"action":"docker_[a-z]*"' /run/adrg-e2e/events.txt | tr '\n' ' ')"
fi
trigger media_stop
# core-db and player-1 have no restart policy: with live-restore off the restart stopped them.
BACK="bg-limited bulk-limited bulk-plain"
if wait_for 60 paused_is false $BACK; then
  pass docker_restart_release "media_stop after the dockerd restart: $BACK running, none paused or frozen"
else
  fail docker_restart_release "$(states | tr '\n' ' ')"
fi
kill $events_pid 2>/dev/null

systemctl stop adrg.service
check_sanitizers
journalctl -u docker.service -u containerd.service --no-pager -o short-monotonic >"$H/docker-journal.txt" 2>&1
note "done: $fails failed"
exit $fails
