# shellcheck shell=bash
# Sourced by the guest scripts that use real Docker in the systemd e2e VM (run-vm.sh --systemd):
# the Docker suites in tests/e2e/vm/guest/ and tools/bench/vm-docker-bench.sh. Needs H (the
# share) and checks-lib.sh's note and wait_for. Docker is docker.io 20.10 from the root image,
# with the systemd cgroup driver (rootfs-overlay/etc/docker/daemon.json): each container lives
# in /sys/fs/cgroup/system.slice/docker-<full id>.scope.

IMG=adrg-e2e/busybox
# Files adrg may change in a container's scope; compared byte-exact after it let go.
FILES="cgroup.freeze cpu.weight io.weight cpu.max io.max memory.high memory.max"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Docker's view and the kernel's view of one container (by name).
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
scope() { echo "/sys/fs/cgroup/system.slice/docker-$(cid "$1").scope"; }
docker_paused() { [ "$(docker inspect -f '{{.State.Paused}}' "$1" 2>/dev/null)" = "$2" ]; }
frozen() { grep -q "^frozen $2\$" "$(scope "$1")/cgroup.events" 2>/dev/null; }
# paused_is true|false NAME...: docker says Paused=VALUE and the scope's cgroup.events agrees.
paused_is() {
  local v=$1 f=0 n
  [ "$v" = true ] && f=1
  shift
  for n in "$@"; do docker_paused "$n" "$v" && frozen "$n" $f || return 1; done
}
file_of() { tr '\n' ' ' <"$(scope "$1")/$2" | sed 's/ $//'; }
# snapshot DIR NAME...: copies of every governed file (cgroup files report st_size 0, so they
# are compared as copies).
snapshot() {
  local dir=$1 n f
  shift
  mkdir -p "$dir"
  for n in "$@"; do for f in $FILES; do cat "$(scope "$n")/$f" >"$dir/$n.$f"; done; done
}
# same_as DIR NAME...: every file of every NAME byte-exact as in DIR; else prints the
# differences and fails.
same_as() {
  local dir=$1 bad="" n f
  shift
  for n in "$@"; do
    for f in $FILES; do
      if ! cmp -s "$dir/$n.$f" "$(scope "$n")/$f"; then
        bad="$bad $n/$f=[$(file_of "$n" "$f")]want[$(tr '\n' ' ' <"$dir/$n.$f")]"
      fi
    done
  done
  [ -z "$bad" ] && return 0
  echo "$bad"
  return 1
}
# run_ctr NAME [docker run options...] -- CMD...: a container on the busybox image, no network.
run_ctr() {
  local name=$1
  shift
  docker run -d --network none --name "$name" "$@" >/dev/null
}
spin() { run_ctr "$1" "${@:2}" "$IMG" nice -n 19 sh -c 'while :; do :; done'; }
idle() { run_ctr "$1" "${@:2}" "$IMG" sleep 1000000; }

# start_docker: lifts rootfs-overlay's masks (other suites boot without Docker) and starts
# dockerd. Sets DOCKER_START_S and DOCKER_INFO ("systemd 2 vfs 20.10.24+dfsg1").
start_docker() {
  rm -f /etc/systemd/system/docker.service /etc/systemd/system/docker.socket \
    /etc/systemd/system/containerd.service
  systemctl daemon-reload
  local t0 rc
  t0=$(now)
  systemctl start docker.service
  rc=$?
  DOCKER_START_S=$(since "$t0")
  DOCKER_INFO=$(docker info --format '{{.CgroupDriver}} {{.CgroupVersion}} {{.Driver}} {{.ServerVersion}}' 2>&1)
  [ $rc -eq 0 ] && [ "${DOCKER_INFO% * *}" = "systemd 2" ]
}

# import_busybox_image: no registry is reachable, so the image is the root's busybox-static with
# its applet links, imported. /lib and /lib64 link into /usr so that a container given the
# guest's /usr read-only (-v /usr:/usr:ro) runs the root's dynamic binaries (fio, stress-ng) as
# they are. Sets IMPORT_S and IMAGE_KIB.
import_busybox_image() {
  local dir=/run/adrg-e2e/img a t0
  rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/usr" "$dir/tmp"
  cp /usr/bin/busybox "$dir/bin/busybox"
  for a in $(/usr/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"
  done
  ln -s usr/lib "$dir/lib"
  ln -s usr/lib64 "$dir/lib64"
  IMAGE_KIB=$(du -sk "$dir" | cut -f1)
  t0=$(now)
  tar -C "$dir" -c . | docker import - "$IMG" >/dev/null || return 1
  IMPORT_S=$(since "$t0")
}

# install_adrg_unit: the share's adrg binary and the shipped unit, unchanged, plus the harness'
# drop-in: the sanitizer settings, and a stop budget for the ASan build under TCG (each start
# and exit costs ~10 s on a loaded host).
install_adrg_unit() {
  local dropin=/etc/systemd/system/adrg.service.d var
  install -m 0755 "$H/bin/adrg" /usr/sbin/adrg
  install -m 0644 "$H/files/adrg.service" /etc/systemd/system/adrg.service
  mkdir -p "$dropin"
  {
    echo "[Service]"
    for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
      [ -n "${!var:-}" ] && echo "Environment=$var=${!var}"
    done
    echo "TimeoutStopSec=120s"
  } >"$dropin/e2e-harness.conf"
  systemctl daemon-reload
}
