# shellcheck shell=bash
# Sourced by the guest scripts that use real Docker in the systemd e2e VM (run-vm.sh --systemd):
# docker-checks.sh, docker-rules-checks.sh and tools/bench/vm-docker-bench.sh. Needs H (the
# share), PORT (adrg's API) and checks-lib.sh. Docker is the root image's docker.io 20.10 with
# the systemd cgroup driver (rootfs-overlay/etc/docker/daemon.json): each container lives in
# /sys/fs/cgroup/system.slice/docker-<full id>.scope.

IMG=adrg-e2e/busybox
# Files adrg may change in a container's scope; compared byte-exact after it let go.
FILES="cgroup.freeze cpu.weight io.weight cpu.max io.max memory.high memory.max"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
healthy() { curl -sf --max-time 2 "http://127.0.0.1:$PORT/healthz" >/dev/null; }
status_json() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/status"; }
trigger() {
  curl -sf --max-time 5 -X POST -H 'Content-Type: application/json' \
    -d "{\"event\":\"$1\"}" "http://127.0.0.1:$PORT/trigger" >/dev/null
}
props() { systemctl show -p ActiveState,SubState,Result,ExecMainStatus,MainPID adrg.service | tr '\n' ' '; }

# Docker's view and the kernel's view of the containers, by name. Polls must stay cheap: under
# TCG on a loaded host every process costs (a docker CLI call a second or more, a curl a few
# hundred ms), so one Engine API call (curl) answers for every container, and the cgroup files
# are read with shell builtins. ID caches the full ids (learn_ids after every create).
S=/var/run/docker.sock
declare -A ID
inspect() { curl -sf --max-time 5 --unix-socket $S "http://docker/v1.41/containers/$1/json"; }
json_field() { grep -o "\"$1\":[^,}]*" | head -n1 | cut -d: -f2 | tr -d '"'; }
learn_ids() {
  local n
  for n in "$@"; do ID[$n]=$(inspect "$n" | json_field Id); done
}
cid() { echo "${ID[$1]:-}"; }
scope() { echo "/sys/fs/cgroup/system.slice/docker-${ID[$1]:-}.scope"; }
# states: "NAME STATE" lines (running, paused, ...) for every container, from one API call.
states() {
  curl -sf --max-time 5 --unix-socket $S 'http://docker/v1.41/containers/json?all=1' |
    sed 's/},{"Id"/}\n{"Id"/g' |
    sed -n 's/.*"Names":\["\/\([^"]*\)".*"State":"\([a-z]*\)".*/\1 \2/p'
}
# frozen_value NAME: the scope's cgroup.events "frozen" value (builtins only).
frozen_value() {
  local k v
  { while read -r k v; do [ "$k" = frozen ] && echo "$v"; done <"/sys/fs/cgroup/system.slice/docker-${ID[$1]:-}.scope/cgroup.events"; } 2>/dev/null
}
# paused_is true|false NAME...: Docker says paused (or running) and the scope's cgroup.events
# agrees (frozen 1 or 0).
paused_is() {
  local want=running f=0 n st k v ok
  [ "$1" = true ] && want=paused f=1
  shift
  st=$'\n'$(states)$'\n' || return 1
  for n in "$@"; do
    [[ $st == *$'\n'"$n $want"$'\n'* ]] || return 1
    ok=0
    { while read -r k v; do [ "$k $v" = "frozen $f" ] && ok=1; done <"/sys/fs/cgroup/system.slice/docker-${ID[$n]:-}.scope/cgroup.events"; } 2>/dev/null
    [ $ok -eq 1 ] || return 1
  done
}
paused_names() { states | sed -n 's/ paused$//p' | sort | tr '\n' ' '; }
file_of() { tr '\n' ' ' <"$(scope "$1")/$2" | sed 's/ $//'; }
throttled() { # NAME: cpu.max has a quota and io.max names a device
  [ "$(cut -d' ' -f1 "$(scope "$1")/cpu.max")" != max ] && grep -q "rbps=" "$(scope "$1")/io.max"
}
all_throttled() {
  local n
  for n in "$@"; do throttled "$n" || return 1; done
}
# snapshot DIR NAME...: copies of every governed file (cgroup files report st_size 0, so they
# are compared as copies).
snapshot() {
  local dir=$1 n f
  shift
  mkdir -p "$dir"
  for n in "$@"; do for f in $FILES; do cat "$(scope "$n")/$f" >"$dir/$n.$f"; done; done
}
# same_as DIR NAME...: every file of every NAME byte-exact as in DIR; else prints the
# differences and fails. The live files are copied first: cmp takes a size difference for a
# content difference, and cgroup files report st_size 0.
same_as() {
  local dir=$1 bad="" n f
  shift
  rm -rf /run/adrg-e2e/now && mkdir -p /run/adrg-e2e/now
  snapshot /run/adrg-e2e/now "$@"
  for n in "$@"; do
    for f in $FILES; do
      if ! cmp -s "$dir/$n.$f" "/run/adrg-e2e/now/$n.$f"; then
        bad="$bad $n/$f=[$(file_of "$n" "$f")]want[$(tr '\n' ' ' <"$dir/$n.$f")]"
      fi
    done
  done
  [ -z "$bad" ] && return 0
  echo "$bad"
  return 1
}
# run_ctr NAME [docker run options...] IMAGE CMD...: a container, no network, started within
# DOCKER_RUN_S (120 s; a run takes 2-20 s under TCG). Docker 20.10's runtime has been seen, rarely
# (one run in many hundreds), to never answer a `docker run` under the emulator, before adrg
# even ran: then what was waiting is saved to the share (run-hang-NAME.txt, the guest's
# processes and wait channels, dockerd's goroutines, the journals), a NOTE line in result.txt
# says so, and the container is removed and run once more. A second hang fails the run.
DOCKER_RUN_S=120
run_ctr() {
  local name=$1
  shift
  timeout "$DOCKER_RUN_S" docker run -d --network none --name "$name" "$@" >/dev/null
  local rc=$?
  [ $rc -eq 124 ] || return $rc
  /usr/local/sbin/adrg-e2e-diagnose >"$H/run-hang-$name.txt" 2>&1
  echo "NOTE docker run of $name did not return in $DOCKER_RUN_S s (at uptime $(uptime_s) s): diagnosed in run-hang-$name.txt, removed and run again" >>"$RESULT"
  timeout 60 docker rm -f "$name" >/dev/null 2>&1
  timeout "$DOCKER_RUN_S" docker run -d --network none --name "$name" "$@" >/dev/null
}
spin() { run_ctr "$1" "${@:2}" "$IMG" sh -c 'while :; do :; done'; }
# As PID 1 a plain `sleep` ignores SIGTERM: every stop would wait out Docker's 10 s grace.
idle() { run_ctr "$1" "${@:2}" "$IMG" sh -c 'trap "exit 0" TERM; sleep 1000000 & wait'; }

# start_docker: lifts rootfs-overlay's masks (the other suites boot without Docker) and starts
# dockerd. Sets DOCKER_START_S (seconds) and DOCKER_INFO ("systemd 2 vfs 20.10.24+dfsg1"); true
# when Docker runs with the systemd driver on cgroup v2.
start_docker() {
  local t0 rc
  rm -f /etc/systemd/system/docker.service /etc/systemd/system/docker.socket \
    /etc/systemd/system/containerd.service
  systemctl daemon-reload
  t0=$(now)
  systemctl start docker.service
  rc=$?
  DOCKER_START_S=$(since "$t0")
  DOCKER_INFO=$(docker info --format '{{.CgroupDriver}} {{.CgroupVersion}} {{.Driver}} {{.ServerVersion}}' 2>&1)
  [ $rc -eq 0 ] && [ "${DOCKER_INFO% * *}" = "systemd 2" ]
}

# import_busybox_image: no registry is reachable, so the image is the root's busybox-static with
# its applet links, imported through the Engine API (what `docker import` calls, without the
# CLI's start-up cost). /lib and /lib64 link into /usr so that a container given the guest's
# /usr read-only (-v /usr:/usr:ro) runs the root's dynamic binaries (fio, stress-ng) as they
# are. Sets IMPORT_S and IMAGE_KIB; IMPORT_OUT holds Docker's answer.
import_busybox_image() {
  local dir=/run/adrg-e2e/img a t0
  rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/usr" "$dir/tmp"
  cp /usr/bin/busybox "$dir/bin/busybox"
  for a in $(/usr/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"
  done
  ln -s usr/lib "$dir/lib"
  ln -s usr/lib64 "$dir/lib64"
  tar -C "$dir" -cf /run/adrg-e2e/img.tar .
  IMAGE_KIB=$(du -k /run/adrg-e2e/img.tar | cut -f1)
  t0=$(now)
  curl -sf --max-time 120 --unix-socket $S -X POST -H 'Content-Type: application/x-tar' \
    --data-binary @/run/adrg-e2e/img.tar \
    "http://docker/v1.41/images/create?fromSrc=-&repo=$IMG&tag=latest" >/run/adrg-e2e/import.out
  local rc=$?
  IMPORT_S=$(since "$t0")
  IMPORT_OUT=$(cat /run/adrg-e2e/import.out)
  return $rc
}
