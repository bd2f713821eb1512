#!/bin/bash
# Runs inside the systemd e2e VM (tests/e2e/vm/run-vm.sh --systemd) for
# `tools/bench/run-benchmarks.sh docker-vm`: the installed adrg unit (release build) governing
# real Docker containers (docker.io 20.10, systemd cgroup driver, pure cgroup v2). Prints three
# tables to result.txt; asserts nothing. TCG makes every number slower than real hardware, so
# each table compares its rows within this one run.
#   relief     /trigger media_start with UNITS_PAUSE busy tier-3 containers: time until their
#              CPU use is below 1 % of a core and until Docker shows them all Paused, ROUNDS
#              rounds each with general.instant_relief on and off (bench_docker_vm relief),
#              beside the kernel's own floor: the bench writing the same cpu.max itself
#              (bench_docker_vm kernel)
#   playback   a tier-1 player container streams a file at 40 Mbit/s in 1 MiB chunks with 20 ms
#              of CPU per chunk (bench_playback); after WARMUP s tier-3 containers start a
#              write storm (fio), a CPU hog and a memory hog (stress-ng --vm). Deadline misses
#              and lateness of the player over the storm, for: no storm; no governor; adrg
#              configured as ADRG polls (5 s avg10 poll, no PSI triggers, no instant relief);
#              adrg
#   footprint  adrg idle governing UNITS_IDLE containers (the relief's, now idle, and more) for
#              IDLE_SECONDS, beside dockerd and containerd
# Environment (bench.env on the share): ROUNDS (10), UNITS_PAUSE (30), UNITS_IDLE (50),
# IDLE_SECONDS (60), PLAY_SECONDS (60), WARMUP (15), PLAY_MBIT (40), STORM_DEPTH (fio iodepth,
# 16), BENCH_ONLY (relief|playback|footprint, or a comma list: relief,playback), BENCH_RELIEF
# (the instant_relief settings of the relief part, default "true false").
set -u
H=/mnt/host
[ -f "$H/bench.env" ] && {
  set -a
  . "$H/bench.env"
  set +a
}
ROUNDS=${ROUNDS:-10}
UNITS_PAUSE=${UNITS_PAUSE:-30}
UNITS_IDLE=${UNITS_IDLE:-50}
IDLE_SECONDS=${IDLE_SECONDS:-60}
PLAY_SECONDS=${PLAY_SECONDS:-60}
WARMUP=${WARMUP:-15}
PLAY_MBIT=${PLAY_MBIT:-40}
STORM_DEPTH=${STORM_DEPTH:-16}
PORT=8765
OUT=$H/result.txt
RESULT=$H/checks.txt # checks-lib.sh's verdict file: unused here, the tables go to result.txt
: >"$OUT"
# wait_for, note
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
# start_docker, import_busybox_image, learn_ids, scope, IMG
# shellcheck source=tests/e2e/vm/guest/docker-lib.sh
. "$H/docker-lib.sh"
exec 2>>"$H/bench.err"
say() { echo "$*" | tee -a "$OUT"; }
wants() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }

start_docker || exit 1
import_busybox_image || exit 1
install_shipped_unit
systemctl daemon-reload
install -m 0755 "$H/bin/bench_playback" "$H/bin/bench_docker_vm" /usr/local/bin/
mkdir -p /etc/adrg/thermal /etc/adrg/no-hwmon
DEV=$(cat /sys/block/vda/dev)

# adrg_with RELIEF POLL_SECONDS TRIGGERS: (re)start the unit on a config with those settings.
# The tiers' weights are the bundled config's (and ADRG's): tier 1 800, tier 3 10. Every bench
# container matches a tier: one that matches none is ungoverned (not in /status's containers).
adrg_with() {
  cat >/etc/adrg/config.yaml <<EOF
general:
  poll_interval_seconds: $2
  instant_relief: $1
  thermal_root: /etc/adrg/thermal
  hwmon_root: /etc/adrg/no-hwmon
  http_server: {enabled: true, host: 127.0.0.1, port: $PORT}
tiers:
  1: {name: Interactive, containers: ["player*"], cpu_weight: 800, io_weight: 800}
  2: {name: Background, containers: ["bg-*"]}
  3: {name: Bulk, containers: ["bulk-*"], cpu_weight: 10, io_weight: 10}
media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}
thermal: {enabled: false}
memory_pressure:
  enabled: true
  trigger: {enabled: $3}
io_pressure:
  enabled: true
  trigger_avg10_threshold: 20
  recovery_avg10_threshold: 5
  recovery_hold_seconds: 30
  tier3_io_max_read_mb_per_sec: 5
  tier3_io_max_write_mb_per_sec: 2
  devices: ["$DEV"]
  trigger: {enabled: $3}
EOF
  systemctl restart adrg.service && wait_for 60 healthy
}

# diagnose NAME DIR...: what a failed round left, for the share (diagnose-NAME.txt): Docker's
# view (bounded: dockerd may be the one stuck), runc/shim processes and where they wait, each
# scope's freezer and cpu.max, and the journals of adrg, dockerd and containerd.
diagnose() {
  local name=$1 d
  shift
  {
    echo "== $name, guest uptime $(cut -d' ' -f1 /proc/uptime) s"
    timeout 20 docker ps -a --format '{{.Names}} {{.Status}}' || echo "(docker ps did not answer)"
    ps -eo pid,stat,etimes,wchan:32,args | grep -E '[r]unc|[c]ontainerd-shim|[d]ockerd'
    for d in "$@"; do
      echo "$d freeze=$(cat "$d/cgroup.freeze" 2>/dev/null) $(grep frozen "$d/cgroup.events" 2>/dev/null) cpu.max=$(cat "$d/cpu.max" 2>/dev/null)"
    done
    journalctl -u adrg.service -u docker.service -u containerd.service -o short-monotonic \
      --no-pager --since "-15min"
  } >"$H/diagnose-$name.txt" 2>&1
}

# Each docker run costs ~10-20 s of the emulated CPUs, so containers start three at a time and
# the relief's 30 serve the footprint too: they wait idle for /run/bench/flag/go (spinners
# started one by one would starve the creation of the rest), spin until /run/bench/flag/stop,
# then idle.
start_batch() { # NAME... (idle unless SPIN=1)
  local n
  for n in "$@"; do
    if [ "${SPIN:-0}" = 1 ]; then
      docker run -d --network none --label adrg.bench=1 --name "$n" -v /run/bench/flag:/flag:ro \
        "$IMG" sh -c 'while [ ! -e /flag/go ]; do sleep 1; done
          while [ ! -e /flag/stop ]; do :; done; exec sleep 1000000' >/dev/null &
    else
      docker run -d --network none --label adrg.bench=1 --name "$n" "$IMG" \
        sh -c 'trap "exit 0" TERM; sleep 1000000 & wait' >/dev/null &
    fi
  done
  wait
}
mkdir -p /run/bench/flag
created=0
if wants relief; then
  note "relief: $UNITS_PAUSE busy containers"
  dirs=()
  for ((i = 1; i <= UNITS_PAUSE; i += 3)); do
    names=()
    for ((j = i; j < i + 3 && j <= UNITS_PAUSE; j++)); do names+=("bulk-r$j"); done
    SPIN=1 start_batch "${names[@]}"
  done
  created=$UNITS_PAUSE
  : >/run/bench/flag/go
  for i in $(seq 1 "$UNITS_PAUSE"); do
    learn_ids "bulk-r$i"
    dirs+=("$(scope "bulk-r$i")")
  done
  say
  say "### /trigger media_start -> $UNITS_PAUSE busy tier-3 containers quiet / Paused, $ROUNDS rounds"
  say "| measurement | rounds | p50 ms | p95 ms | max ms |"
  say "|---|---|---|---|---|"
  floor_done=0
  for relief in ${BENCH_RELIEF:-true false}; do
    adrg_with "$relief" 3600 true || say "| adrg not healthy (instant_relief $relief) | | | | |"
    if [ "$floor_done" -eq 0 ]; then
      # The floor under every relief row: the bench writes the relief's cpu.max itself, the
      # same containers under the same adrg (their tier weights), no HTTP, no evaluation.
      bench_docker_vm kernel "kernel alone (the bench writes cpu.max)" "$ROUNDS" \
        "${dirs[@]}" | tee -a "$OUT"
      floor_done=1
    fi
    bench_docker_vm relief "instant_relief $relief" "$PORT" "$ROUNDS" /var/run/docker.sock \
      "${dirs[@]}" | tee -a "$OUT"
    [ "${PIPESTATUS[0]}" -eq 0 ] || diagnose "relief-$relief" "${dirs[@]}"
    # adrg names any evaluation or worker job that took 50 ms or more: where a slow round went.
    cp /var/log/adrg/adrg.log "$H/relief-$relief-adrg.log" 2>/dev/null || true
  done
fi
: >/run/bench/flag/stop

if wants footprint; then
  note "footprint: $UNITS_IDLE containers ($created there already)"
  for ((i = created + 1; i <= UNITS_IDLE; i += 3)); do
    names=()
    for ((j = i; j < i + 3 && j <= UNITS_IDLE; j++)); do
      case $((j % 3)) in
        0) names+=("bulk-f$j") ;;
        1) names+=("bg-f$j") ;;
        *) names+=("player-f$j") ;;
      esac
    done
    start_batch "${names[@]}"
  done
  adrg_with true 5 true
  governed_count() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/status" | grep -o '"tier":' | wc -l; }
  governed() { [ "$(governed_count)" -ge "$UNITS_IDLE" ]; }
  t_governed=$SECONDS
  if wait_for 300 governed; then
    say "(all $UNITS_IDLE in /status $((SECONDS - t_governed)) s after adrg was restarted)"
  else
    say "(after 300 s: $(governed_count) containers in /status, $(docker ps -q | wc -l) running in Docker)"
  fi
  say
  say "### idle footprint, $UNITS_IDLE real containers, ${IDLE_SECONDS} s"
  say "| process | VmRSS | Pss | anonymous | private dirty | CPU | wake-ups/s | threads |"
  say "|---|---|---|---|---|---|---|---|"
  # Side by side over the same seconds: dockerd and containerd, for scale.
  bench_docker_vm footprint "adrg (release)" "$(systemctl show -p MainPID --value adrg.service)" \
    "$IDLE_SECONDS" >/run/bench/fp-adrg.txt &
  bench_docker_vm footprint "dockerd" "$(pidof dockerd)" "$IDLE_SECONDS" >/run/bench/fp-dockerd.txt &
  bench_docker_vm footprint "containerd" "$(pidof containerd)" "$IDLE_SECONDS" >/run/bench/fp-containerd.txt &
  wait
  cat /run/bench/fp-adrg.txt /run/bench/fp-dockerd.txt /run/bench/fp-containerd.txt | tee -a "$OUT"
  systemctl stop adrg.service
fi
docker ps -aq --filter label=adrg.bench | xargs -r docker rm -f >/dev/null

if wants playback; then
  note "playback"
  mkdir -p /var/tmp/bench/fio /run/bench/flag
  dd if=/dev/urandom of=/var/tmp/bench/media.bin bs=1M count=256 status=none
  mem_hog_mib=$(($(awk '/MemAvailable/ {print $2}' /proc/meminfo) * 6 / 10 / 1024))
  # play NAME: the player for PLAY_SECONDS; with STORM=1 the tier-3 storm starts after WARMUP s.
  play() {
    docker rm -f player bulk-fio bulk-cpu bulk-mem >/dev/null 2>&1
    rm -f /run/bench/flag/storm
    if [ "${STORM:-0}" = 1 ]; then
      # Created before the player and held on a flag: a docker run takes 10-20 s under TCG, so
      # started at the warm-up's end the storm would begin after the player is done.
      # They outlast the player (left), so their scopes still hold what they did when it ends.
      local left=$((PLAY_SECONDS - WARMUP + 60)) hold='while [ ! -e /flag/storm ]; do sleep 1; done; exec'
      docker run -d --network none --name bulk-fio -v /usr:/usr:ro -v /var/tmp/bench/fio:/data \
        -v /run/bench/flag:/flag:ro "$IMG" sh -c "$hold /usr/bin/fio --name=storm --directory=/data \
        --rw=write --bs=1M --size=512M --direct=1 --numjobs=2 --ioengine=libaio \
        --iodepth=$STORM_DEPTH --time_based \
        --runtime=$left" >/dev/null &
      docker run -d --network none --name bulk-cpu -v /run/bench/flag:/flag:ro "$IMG" \
        sh -c "$hold sh -c 'while :; do :; done & while :; do :; done'" >/dev/null &
      docker run -d --network none --name bulk-mem -v /usr:/usr:ro -v /run/bench/flag:/flag:ro \
        "$IMG" sh -c "$hold /usr/bin/stress-ng --vm 2 --vm-bytes ${mem_hog_mib}M --vm-keep \
        --timeout $left" >/dev/null &
      wait
    fi
    docker run -d --network none --name player --label adrg.tier=1 \
      -v /usr/local/bin/bench_playback:/player:ro -v /var/tmp/bench/media.bin:/media.bin:ro \
      -v /run/bench:/out "$IMG" sh -c "/player play /media.bin $PLAY_SECONDS $PLAY_MBIT >/out/$1.txt" >/dev/null
    if [ "${STORM:-0}" = 1 ]; then
      sleep "$WARMUP" # the warm-up is part of the scenario, not a wait for a condition
      : >/run/bench/flag/storm
    fi
    docker wait player >/dev/null
    # What the storm really did, from its containers' own scopes (a storm that never ran would
    # measure nothing): MiB fio wrote to the disk, CPU seconds of the hog.
    local written=- hog=-
    if [ "${STORM:-0}" = 1 ]; then
      learn_ids bulk-fio bulk-cpu
      written=$(awk -v dev="$DEV" '$1 == dev { for (i = 2; i <= NF; i++)
        if ($i ~ /^wbytes=/) { sub("wbytes=", "", $i); printf "%.0f", $i / 1048576 } }' \
        "$(scope bulk-fio)/io.stat")
      hog=$(awk '$1 == "usage_usec" { printf "%.1f", $2 / 1e6 }' "$(scope bulk-cpu)/cpu.stat")
    fi
    docker rm -f player bulk-fio bulk-cpu bulk-mem >/dev/null 2>&1
    # Kept for tracing late chunks against adrg's actions (both on CLOCK_MONOTONIC).
    cp "/run/bench/$1.txt" "$H/playback-$1.txt"
    if systemctl -q is-active adrg.service; then
      journalctl -u adrg.service -o short-monotonic --no-pager >"$H/playback-$1-adrg.log"
    fi
    echo "| $2 | $(bench_playback summary "/run/bench/$1.txt" "$WARMUP" "$PLAY_SECONDS" |
      awk '{print $2 " | " $4 " | " $6 " | " $8 " | " $10}') | ${written:--} | ${hog:--} |" |
      tee -a "$OUT"
  }
  say
  say "### playback: tier-1 player at $PLAY_MBIT Mbit/s (1 MiB chunks, 20 ms CPU each), storm from ${WARMUP} s to ${PLAY_SECONDS} s"
  say "| scenario | chunks | misses | p50 late ms | p99 late ms | max late ms | storm wrote MiB | hog CPU s |"
  say "|---|---|---|---|---|---|---|---|"
  systemctl stop adrg.service
  STORM=0 play quiet "no storm (baseline), no governor"
  STORM=1 play none "storm, no governor"
  adrg_with false 5 false && STORM=1 play adrg-like "storm, adrg as ADRG polls (5 s avg10, no PSI triggers)"
  adrg_with true 5 true && STORM=1 play adrg "storm, adrg (PSI triggers, events)"
  systemctl stop adrg.service
fi

exit 0
