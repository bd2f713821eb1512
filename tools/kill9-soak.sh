#!/usr/bin/env bash
# kill -9 soak: proves that a killed adrg never leaves a container paused, throttled or with a
# user's own limit changed. Runs where adrg is the installed systemd unit governing real Docker
# containers (a Pi, or the pure cgroup v2 e2e VM: tests/e2e/vm/guest/docker-checks.sh runs a few
# rounds). Each round starts adrg, fires a media trigger cycle, SIGKILLs adrg at a random point
# of it (0-1.5 s after media_start or after media_stop), lets the unit's ExecStopPost
# (`adrg --cleanup`) run, and compares every container with what it was before adrg first ran:
# not paused, and cpu.max, cpu.weight, memory.max, memory.high, io.max, io.weight byte-identical
# in its own cgroup (docker-<id>.scope with the systemd driver).
#
#   tools/kill9-soak.sh [-n ROUNDS=100] [-u UNIT=adrg] [-p PORT=8765] [-t TOKEN] CONTAINER...
#
# Prints one line per round that left something behind, then
#   kill9-soak: ROUNDS rounds, BAD left something paused, throttled or changed
# and exits 1 when BAD > 0. A drop-in with Restart=no is added under /run for the run (so a
# kill ends in ExecStopPost and a stopped unit, not a restart racing the check) and removed at
# the end, where adrg is started again. Needs root, systemctl, docker and curl.
set -euo pipefail

rounds=100
unit=adrg
port=8765
token=""
while getopts "n:u:p:t:" opt; do
  case "$opt" in
    n) rounds="$OPTARG" ;;
    u) unit="$OPTARG" ;;
    p) port="$OPTARG" ;;
    t) token="$OPTARG" ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || {
  echo "usage: $0 [-n ROUNDS] [-u UNIT] [-p PORT] [-t TOKEN] CONTAINER..." >&2
  exit 2
}
containers=("$@")
files=(cpu.max cpu.weight memory.max memory.high io.max io.weight)
api="http://127.0.0.1:$port"
auth=()
[ -z "$token" ] || auth=(-H "Authorization: Bearer $token")
dropin="/run/systemd/system/$unit.service.d/zz-kill9-soak.conf"

# Waits up to $1 seconds for the command after it to succeed (0.1 s steps).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
healthy() { curl -fsS -o /dev/null --max-time 2 "$api/healthz"; }
stopped() {
  local state
  state="$(systemctl show -p ActiveState --value "$unit")"
  [ "$state" = failed ] || [ "$state" = inactive ]
}
trigger() {
  curl -fsS -o /dev/null --max-time 5 "${auth[@]}" -X POST "$api/trigger" \
    -H 'Content-Type: application/json' -d "{\"event\": \"$1\"}"
}
cgroup_dir() { # CONTAINER -> its cgroup v2 directory
  local pid
  pid="$(docker inspect -f '{{.State.Pid}}' "$1")"
  echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}
# The state of every container as one text: paused flag and every governed file.
state_of() {
  local c dir f
  for c in "${containers[@]}"; do
    dir="$(cgroup_dir "$c")"
    echo "$c paused=$(docker inspect -f '{{.State.Paused}}' "$c")"
    for f in "${files[@]}"; do
      [ -e "$dir/$f" ] && echo "$c $f=$(tr '\n' ' ' <"$dir/$f")"
    done
  done
}
random_delay() { # 0-1.5 s
  local ms=$((RANDOM % 1500))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}

restore_unit() {
  rm -f "$dropin"
  systemctl daemon-reload
  systemctl reset-failed "$unit" 2>/dev/null || true
  systemctl start "$unit" || true
}
trap restore_unit EXIT

# The originals: adrg stopped (its ExecStopPost cleanup has run), nothing of adrg's in force.
systemctl stop "$unit"
before="$(state_of)"
mkdir -p "$(dirname "$dropin")"
printf '[Service]\nRestart=no\n' >"$dropin"
systemctl daemon-reload

bad=0
for ((round = 1; round <= rounds; round++)); do
  systemctl reset-failed "$unit" 2>/dev/null || true
  systemctl start "$unit"
  wait_for 60 healthy || {
    echo "round $round: adrg not healthy within 60 s" >&2
    bad=$((bad + 1))
    continue
  }
  trigger media_start
  point="after media_start"
  if ((RANDOM % 2)); then
    # Let the pauses land, then kill somewhere in the release.
    random_delay
    trigger media_stop
    point="after media_stop"
  fi
  random_delay
  echo "round $round: kill -9 $point" >&2
  systemctl kill -s KILL --kill-who=main "$unit"
  wait_for 120 stopped || echo "round $round: $unit still $(systemctl show -p ActiveState --value "$unit")" >&2
  after="$(state_of)"
  if [ "$after" != "$before" ]; then
    bad=$((bad + 1))
    echo "round $round (killed $point): $(diff <(echo "$before") <(echo "$after") | grep '^>' | tr '\n' ';')"
  fi
done
echo "kill9-soak: $rounds rounds, $bad left something paused, throttled or changed"
[ "$bad" -eq 0 ]
