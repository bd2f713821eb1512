#!/usr/bin/env bash
# setup.sh: install adrg on this host (Debian bookworm / Raspberry Pi OS bookworm), as root.
#
#   ./setup.sh                 deps, release build, install, /etc/adrg, checks, enable + start
#   ./setup.sh --check         only the kernel checks (cgroup v2, controllers, PSI); exit 1 on a gap
#   ./setup.sh --uninstall     adrg --cleanup first, stop/disable, remove binaries and unit
#   ./setup.sh --uninstall --purge   ... and /etc/adrg, /var/lib/adrg, /var/log/adrg
#
# Idempotent: a second run changes nothing that is already right, never touches an existing
# /etc/adrg/config.yaml or /etc/adrg/adrg.env, and says "nothing changed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
me="setup.sh"

usage() {
  cat <<EOF
usage: $me [options]            install (or update) adrg
       $me --check              check cgroup v2 and PSI only
       $me --uninstall [--purge]

  --prefix DIR      install prefix (default /usr: /usr/sbin/adrg, /usr/bin/adrgctl,
                    /usr/lib/systemd/system/adrg.service)
  --root DIR        install into a staging root (nothing outside DIR is changed; systemd is
                    only told through 'systemctl --root')
  --prebuilt DIR    install the adrg and adrgctl found in DIR instead of building
  --build-dir DIR   build tree to use (default <repo>/build-release; an existing one is reused
                    as configured)
  --no-build        install what the build tree holds, without building (it must be built)
  --no-deps         do not apt-get install missing Debian packages
  --no-start        install and enable, but do not start or restart the service
  --purge           with --uninstall: also remove /etc/adrg and adrg's state and logs

Kernel checks read /sys and /proc; ADRG_SETUP_SYSFS, ADRG_SETUP_PROCFS, ADRG_SETUP_BOOT
(/boot) and ADRG_SETUP_KCONFIG (kernel .config) point them elsewhere (tests).
EOF
}

prefix=/usr root="" prebuilt="" build_dir="$here/build-release" build=1 deps=1 start=1 purge=0
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift ;;
    --root) root="${2:?--root needs a directory}"; shift ;;
    --prebuilt) prebuilt="${2:?--prebuilt needs a directory}"; shift ;;
    --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift ;;
    --no-build) build=0 ;;
    --no-deps) deps=0 ;;
    --no-start) start=0 ;;
    --purge) purge=1 ;;
    --check) action=check ;;
    --uninstall) action=uninstall ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$me: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
prefix="${prefix%/}"
root="${root%/}"
[ -n "$root" ] && root="$(mkdir -p "$root" && cd "$root" && pwd)"
[ -n "$prebuilt" ] && prebuilt="$(cd "$prebuilt" && pwd)"

# shellcheck source=tools/packages.sh
source "$here/tools/packages.sh"

changes=0
say() { echo "$me: $*"; }
changed() { changes=$((changes + 1)); echo "$me: $*"; }
die() { echo "$me: error: $*" >&2; exit 1; }

sbin="$prefix/sbin/adrg"
bin="$prefix/bin/adrgctl"
unit_dir="$prefix/lib/systemd/system"
share="$prefix/share/adrg"
doc="$prefix/share/doc/adrg"
etc=/etc/adrg
config="$etc/config.yaml"
envfile="$etc/adrg.env"

# ---------------------------------------------------------------------------------------------
# Kernel checks: what adrg needs and, when it is missing, the exact fix.
# ---------------------------------------------------------------------------------------------
sysfs="${ADRG_SETUP_SYSFS:-/sys}"
procfs="${ADRG_SETUP_PROCFS:-/proc}"
bootdir="${ADRG_SETUP_BOOT:-/boot}"
kconfig="${ADRG_SETUP_KCONFIG:-$bootdir/config-$(uname -r)}"
problems=0

problem() {
  problems=$((problems + 1))
  echo "$me: check: MISSING: $1"
  shift
  for line in "$@"; do echo "$me:        $line"; done
}
ok() { echo "$me: check: ok: $*"; }

# Raspberry Pi OS keeps the kernel command line in cmdline.txt (one line); elsewhere it is GRUB.
cmdline_fix() {  # cmdline_fix "words to add"
  local pi_cmdline=""
  for f in "$bootdir/firmware/cmdline.txt" "$bootdir/cmdline.txt"; do
    [ -f "$f" ] && { pi_cmdline="$f"; break; }
  done
  if [ -n "$pi_cmdline" ] || grep -qs "Raspberry Pi" "$procfs/device-tree/model"; then
    echo "fix: append '$1' to the single line in ${pi_cmdline:-/boot/firmware/cmdline.txt}, then reboot"
  else
    echo "fix: add '$1' to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, then reboot"
  fi
}

kconfig_has() { [ -r "$kconfig" ] && grep -qx "$1" "$kconfig"; }

check_kernel() {
  local cg="$sysfs/fs/cgroup" cmdline=""
  [ -r "$procfs/cmdline" ] && cmdline=" $(cat "$procfs/cmdline") "
  if [ -f "$cg/cgroup.controllers" ]; then
    ok "cgroup v2 (unified hierarchy) at /sys/fs/cgroup"
    local missing=() c
    for c in cpu io memory; do
      grep -qw "$c" "$cg/cgroup.controllers" || missing+=("$c")
    done
    if [ ${#missing[@]} -eq 0 ]; then
      ok "cgroup v2 controllers cpu io memory"
    elif [[ " ${missing[*]} " == *" memory "* ]]; then
      local extra=()
      [[ "$cmdline" == *" cgroup_disable=memory "* ]] &&
        extra+=("the command line has cgroup_disable=memory: remove it")
      problem "cgroup v2 controller(s) ${missing[*]} (no memory.high squeeze, no restarts)" \
        "$(cmdline_fix "cgroup_enable=memory cgroup_memory=1")" \
        "(Raspberry Pi OS disables the memory controller by default)" "${extra[@]}"
    else
      problem "cgroup v2 controller(s) ${missing[*]}" \
        "a kernel with CONFIG_CGROUP_SCHED / CONFIG_BLK_CGROUP is needed; with cgroup_no_v1 or" \
        "v1 mounts of them, $(cmdline_fix "systemd.unified_cgroup_hierarchy=1")"
    fi
  elif [ -f "$cg/unified/cgroup.controllers" ]; then
    problem "pure cgroup v2: this host is hybrid (v1 controllers, v2 only at /sys/fs/cgroup/unified)" \
      "adrg can pause but cannot throttle cpu/io/memory here" \
      "$(cmdline_fix "systemd.unified_cgroup_hierarchy=1")"
  else
    problem "cgroup v2: nothing mounted at /sys/fs/cgroup" \
      "$(cmdline_fix "systemd.unified_cgroup_hierarchy=1")"
  fi

  if [ -r "$procfs/pressure/cpu" ] && [ -r "$procfs/pressure/memory" ] &&
    [ -r "$procfs/pressure/io" ]; then
    ok "PSI (/proc/pressure/cpu, memory, io)"
  elif [[ "$cmdline" == *" psi=0 "* ]]; then
    problem "PSI (/proc/pressure): the kernel command line has psi=0" \
      "fix: remove psi=0 (or replace it by psi=1) on the kernel command line, then reboot"
  elif kconfig_has "CONFIG_PSI=y" || ! [ -r "$kconfig" ]; then
    # Compiled in but off by default (CONFIG_PSI_DEFAULT_DISABLED=y, as on Raspberry Pi OS).
    problem "PSI (/proc/pressure): compiled in but disabled at boot" "$(cmdline_fix "psi=1")"
  else
    problem "PSI (/proc/pressure): this kernel is built without CONFIG_PSI" \
      "fix: a kernel with CONFIG_PSI=y is needed (Debian's and Raspberry Pi OS's have it)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
# put SRC DEST MODE [filter]: installs SRC as $root/DEST unless it is already identical.
put() {
  local src="$1" dest="$root$2" mode="$3" tmp=""
  if [ -n "${4:-}" ]; then
    tmp="$(mktemp)"
    "$4" <"$src" >"$tmp"
    src="$tmp"
  fi
  if cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
    say "up to date: $2"
  else
    install -D -m "$mode" "$src" "$dest"
    changed "installed: $2"
  fi
  [ -n "$tmp" ] && rm -f "$tmp"
  return 0
}

unit_paths() { sed "s|/usr/sbin/adrg|$sbin|g"; }

install_binaries() {
  if [ -n "$prebuilt" ]; then
    if ! [ -x "$prebuilt/adrg" ] || ! [ -x "$prebuilt/adrgctl" ]; then
      die "$prebuilt has no executable adrg and adrgctl"
    fi
    put "$prebuilt/adrg" "$sbin" 0755
    put "$prebuilt/adrgctl" "$bin" 0755
    put "$here/integrations/systemd/adrg.service" "$unit_dir/adrg.service" 0644 unit_paths
    put "$here/config/config.yaml" "$share/config.yaml" 0644
    put "$here/config/adrg.env" "$share/adrg.env" 0644
    put "$here/README.md" "$doc/README.md" 0644
    return 0
  fi
  if [ "$build" -eq 0 ]; then
    [ -f "$build_dir/cmake_install.cmake" ] || die "--no-build: $build_dir is not a build tree"
  else
    if [ ! -f "$build_dir/CMakeCache.txt" ]; then
      say "configuring a release build in $build_dir"
      cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DADRG_BUILD_TESTS=OFF >/dev/null
    fi
    say "building adrg and adrgctl (${build_dir})"
    cmake --build "$build_dir" -j"$(nproc)" --target adrg adrgctl >/dev/null
  fi
  # The CMake install rules are the one list of what goes where (CPack uses them too).
  local out
  out="$(DESTDIR="$root" cmake --install "$build_dir" --prefix "$prefix")" || {
    echo "$out"
    die "cmake --install failed"
  }
  while IFS= read -r line; do
    case "$line" in
      "-- Installing: "*) changed "installed: ${line#-- Installing: "$root"}" ;;
      "-- Up-to-date: "*) say "up to date: ${line#-- Up-to-date: "$root"}" ;;
    esac
  done <<<"$out"
}

install_etc() {
  if [ ! -d "$root$etc" ]; then
    install -d -m 0755 "$root$etc"
    changed "created: $etc"
  fi
  if [ -e "$root$config" ]; then
    if cmp -s "$here/config/config.yaml" "$root$config"; then
      say "kept: $config (the default)"
    else
      say "kept: $config (yours; not overwritten; the default is $share/config.yaml)"
    fi
  else
    install -m 0644 "$here/config/config.yaml" "$root$config"
    changed "created: $config (the annotated default: edit the tiers)"
  fi
  if [ -e "$root$envfile" ]; then
    say "kept: $envfile"
    local mode
    mode="$(stat -c %a "$root$envfile")"
    [ "${mode: -1}" = 0 ] || say "warning: $envfile is mode $mode (world-readable secrets?): chmod 0640"
  else
    # The same annotated template the .deb ships (config/adrg.env): every ${ADRG_...} secret
    # the default config uses, commented out.
    install -m 0640 "$here/config/adrg.env" "$root$envfile"
    changed "created: $envfile (mode 0640)"
  fi
}

validate() {
  local out rc=0
  out="$("$root$sbin" --check-config --config "$root$config" --env-file "$root$envfile" 2>&1)" ||
    rc=$?
  while IFS= read -r line; do say "$line"; done <<<"$out"
  if [ "$rc" -ne 0 ]; then
    die "$config does not validate (see above); the service was not (re)started"
  fi
}

# ---------------------------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------------------------
systemd_live() { [ -z "$root" ] && [ -d /run/systemd/system ]; }
sctl() {
  if systemd_live; then systemctl "$@"; else systemctl --root="${root:-/}" "$@"; fi
}

enable_service() {
  local before="$1"  # changes before the binaries/unit were installed
  if ! command -v systemctl >/dev/null; then
    say "systemctl not found: the unit is at $unit_dir/adrg.service, enable it by hand"
    return 0
  fi
  if systemd_live && [ "$changes" -gt "$before" ]; then
    systemctl daemon-reload
  fi
  local override="$root/etc/systemd/system/adrg.service"
  if [ -f "$override" ] && ! grep -q "^ExecStart=$sbin " "$override"; then
    say "warning: /etc/systemd/system/adrg.service (ADRG's?) overrides the installed unit:"
    say "         move it away (mv it to /root/adrg.service.old), then run $me again"
  fi
  if sctl is-enabled --quiet adrg.service 2>/dev/null; then
    say "enabled already: adrg.service"
  else
    sctl enable --quiet adrg.service
    changed "enabled: adrg.service"
  fi
  if ! systemd_live; then
    if [ -n "$root" ]; then
      say "staging root $root: the service is enabled there, not started"
    else
      say "systemd is not PID 1 here: adrg.service is installed and enabled (it starts at the"
      say "next boot under systemd); to run it now: $sbin --config $config"
    fi
    return 0
  fi
  if [ "$start" -eq 0 ]; then
    say "--no-start: not starting adrg.service"
  elif systemctl is-active --quiet adrg.service; then
    if [ "$changes" -gt "$before" ]; then
      systemctl restart adrg.service
      changed "restarted: adrg.service (new binaries or unit)"
    else
      say "running already: adrg.service"
    fi
  else
    # Type=notify: this returns once adrg sent READY=1 (rules armed, Docker inventory done).
    systemctl start adrg.service || die "adrg.service failed to start: journalctl -u adrg.service"
    changed "started: adrg.service"
  fi
  if [ "$start" -eq 1 ]; then
    systemctl is-active --quiet adrg.service || die "adrg.service is not active"
    say "adrg.service is $(systemctl is-active adrg.service); status: adrgctl status"
  fi
}

do_install() {
  if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo $0)"; fi
  check_kernel
  [ "$problems" -eq 0 ] ||
    say "warning: $problems kernel feature(s) missing (above); adrg runs, with less to act on"
  if [ "$deps" -eq 1 ]; then
    if [ -n "$prebuilt" ]; then
      install_missing "${runtime_packages[@]}"
    else
      install_missing "${runtime_packages[@]}" "${build_packages[@]}"
    fi
  fi
  local before="$changes"
  install_binaries
  install_etc
  validate
  enable_service "$before"
  if [ "$changes" -eq 0 ]; then
    say "done: nothing changed"
  else
    say "done: $changes change(s)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Uninstall: undo every override first, then remove what install put there.
# ---------------------------------------------------------------------------------------------
remove() {  # remove PATH...: files or directories under $root, reported when they existed
  local p
  for p in "$@"; do
    if [ -e "$root$p" ] || [ -L "$root$p" ]; then
      rm -rf -- "$root$p"
      changed "removed: $p"
    fi
  done
}

running_installed_daemon() {  # pids of processes running the installed binary (not others')
  local exe pid
  for exe in /proc/[0-9]*/exe; do
    pid="${exe#/proc/}"
    pid="${pid%/exe}"
    [ "$(readlink "$exe" 2>/dev/null)" = "$root$sbin" ] && echo "$pid"
  done
  return 0
}

do_uninstall() {
  if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo $0)"; fi
  if command -v systemctl >/dev/null && systemd_live &&
    systemctl is-active --quiet adrg.service; then
    # SIGTERM: adrg restores everything itself; ExecStopPost runs adrg --cleanup after it.
    systemctl stop adrg.service
    changed "stopped: adrg.service"
  fi
  local pids
  pids="$(running_installed_daemon)"
  [ -z "$pids" ] || die "adrg still runs outside systemd (pid $pids): stop it (kill -TERM) first"
  if [ -x "$root$sbin" ]; then
    local args=(--cleanup)
    [ -f "$root$config" ] && args+=(--config "$root$config")
    [ -f "$root$envfile" ] && args+=(--env-file "$root$envfile")
    say "restoring everything adrg changed: $sbin ${args[*]}"
    "$root$sbin" "${args[@]}" ||
      die "adrg --cleanup failed: nothing removed (fix the cause above and run --uninstall again)"
    say "cleanup done: nothing is frozen, paused or throttled by adrg any more"
  fi
  if command -v systemctl >/dev/null && [ -e "$root$unit_dir/adrg.service" ]; then
    if sctl is-enabled --quiet adrg.service 2>/dev/null; then
      sctl disable --quiet adrg.service
      changed "disabled: adrg.service"
    fi
  fi
  remove "$unit_dir/adrg.service" "$sbin" "$bin" "$share" "$doc"
  systemd_live && systemctl daemon-reload
  if [ "$purge" -eq 1 ]; then
    remove "$etc" /var/lib/adrg /var/log/adrg /run/adrg
  elif [ -d "$root$etc" ]; then
    say "kept: $etc (your config and secrets; --purge removes them)"
  fi
  if [ "$changes" -eq 0 ]; then say "done: nothing to remove"; else say "done: $changes change(s)"; fi
}

case "$action" in
  check)
    check_kernel
    [ "$problems" -eq 0 ] && { say "all kernel features present"; exit 0; }
    exit 1
    ;;
  install) do_install ;;
  uninstall) do_uninstall ;;
esac
