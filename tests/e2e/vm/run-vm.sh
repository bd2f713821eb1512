#!/usr/bin/env bash
# run-vm.sh [--systemd] GUEST_SCRIPT [EXTRA[:DEST]...]
# Boots the e2e VM (QEMU TCG, Debian kernel, busybox initramfs from build-image.sh) with a 9p
# share holding GUEST_SCRIPT (as test.sh), the adrg binary, e2e-helper and the shared libraries
# of every binary (ldd), and returns the guest's verdict as exit status:
#   0 guest script passed, 1 it failed, 2 harness problem (no verdict: timeout, boot failure).
# Each EXTRA file or directory is copied (cp -a) into the share as DEST (relative to it;
# default bin/NAME), e.g. `integrations/systemd/adrg.service:files/adrg.service` or a staged
# source tree `DIR:src`.
# --systemd: the root is build-rootfs.sh's Debian image (read-only, writes go to a throw-away
# overlay) with systemd as PID 1; rootfs-overlay/ and e2e-helper are copied over it at boot and
# its adrg-e2e.service runs test.sh (its own shebang) once multi-user.target is reached, then
# saves the journal to the share as journal.txt. Without it test.sh runs under the initramfs'
# busybox sh as PID 1's child, and a scratch disk is attached instead.
# Environment:
#   ADRG_BIN     adrg binary to test (default build/daemon/adrg)
#   E2E_CACHE    build-image.sh's output (default /var/cache/adrg-e2e)
#   E2E_WORK     share directory to use and keep (default: a fresh temp dir, kept and printed);
#                the guest writes result.txt and guest.log there
#   E2E_TIMEOUT  seconds before QEMU is killed (default 600)
#   E2E_MEM      guest RAM in MiB (default 1024; the Docker suite asks for more)
#   E2E_DISK_BPS, E2E_DISK_IOPS  throttle the guest's disk (QEMU's block throttling) to bytes/s
#                and requests/s, like a Pi's SD card or USB disk (the benchmarks; default: none,
#                so the disk runs at the host page cache's speed)
#   SOAK_ROUNDS  rounds of tools/kill9-soak.sh in guest/docker-rules-checks.sh (default 2; 100
#                for the long soak, with E2E_TIMEOUT raised to match)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cache="${E2E_CACHE:-/var/cache/adrg-e2e}"
systemd=0
if [ "${1:-}" = "--systemd" ]; then
  systemd=1
  shift
fi
script="${1:?usage: run-vm.sh [--systemd] GUEST_SCRIPT [EXTRA[:DEST]...]}"
shift
adrg="${ADRG_BIN:-$repo/build/daemon/adrg}"
timeout_s="${E2E_TIMEOUT:-600}"

disk="$cache/disk.img"
# The image of this checkout's package list (several lists may sit in one cache).
[ "$systemd" -eq 1 ] && disk="$(E2E_CACHE="$cache" "$repo/tests/e2e/vm/build-rootfs.sh" --print-image)"
for f in "$cache/vmlinuz" "$cache/initrd.cpio.gz" "$disk" "$cache/e2e-helper"; do
  [ -f "$f" ] || { echo "run-vm: $f missing (run tests/e2e/vm/build-image.sh, build-rootfs.sh)" >&2; exit 2; }
done
[ -x "$adrg" ] || { echo "run-vm: adrg binary $adrg missing" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm: qemu-system-x86_64 missing" >&2; exit 2; }

work="${E2E_WORK:-$(mktemp -d /tmp/adrg-e2e-vm.XXXXXX)}"
mkdir -p "$work/bin" "$work/lib"
rm -f "$work/result.txt" "$work/guest.log" "$work/journal.txt" "$work/hang-diagnosis.txt"
cp "$script" "$work/test.sh"
chmod +x "$work/test.sh"
cp "$(dirname "${BASH_SOURCE[0]}")/guest/checks-lib.sh" "$(dirname "${BASH_SOURCE[0]}")/guest/docker-lib.sh" "$work/"
# Without debug info (the ASan build's is ~140 MB): the guest has no symbolizer to use it, and
# every MiB costs time over 9p under TCG.
objcopy --strip-debug "$adrg" "$work/bin/adrg"
cp "$cache/e2e-helper" "$work/bin/e2e-helper"
for extra in "$@"; do
  src="${extra%%:*}"
  dest="bin/$(basename "$src")"
  [ "$src" != "$extra" ] && dest="${extra#*:}"
  mkdir -p "$(dirname "$work/$dest")"
  rm -rf "${work:?}/$dest"
  cp -a "$src" "$work/$dest"
done
# Shared libraries of every dynamic binary, flattened into lib/ (init.sh copies them to
# /lib/x86_64-linux-gnu, where the guest's ld.so finds them). The systemd root brings its own
# from Debian packages instead: that they suffice is part of what it proves.
libs_of=("$work"/bin/*)
[ "$systemd" -eq 1 ] && libs_of=()
for bin in "${libs_of[@]}"; do
  # ldd fails on static binaries (e2e-helper): nothing to copy then.
  { ldd "$bin" 2>/dev/null || true; } | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' |
    while read -r lib; do cp -L "$lib" "$work/lib/$(basename "$lib")"; done
done
# The guest has no host environment: forward the sanitizer settings, the deadline (the systemd
# guest stops its test.sh a minute before it and says what hung) and the kill -9 soak's
# SOAK_ROUNDS (for a long soak by hand) explicitly.
: >"$work/env"
E2E_TIMEOUT="$timeout_s"
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS SOAK_ROUNDS E2E_TIMEOUT; do
  if [ -n "${!var:-}" ]; then printf 'export %s=%q\n' "$var" "${!var}" >>"$work/env"; fi
done
append="console=ttyS0 quiet panic=-1 no_timer_check"
if [ "$systemd" -eq 1 ]; then
  # snapshot=on: the guest writes to a temp overlay, the cached image stays pristine and
  # shareable between concurrent runs. apparmor=0: the image has no AppArmor profiles.
  drive="file=$disk,if=virtio,format=raw,snapshot=on"
  append="$append rw apparmor=0 adrg.root=/dev/vda"
  rm -rf "$work/rootfs"
  cp -a "$(dirname "${BASH_SOURCE[0]}")/rootfs-overlay" "$work/rootfs"
  install -D -m 0755 "$cache/e2e-helper" "$work/rootfs/usr/local/sbin/e2e-helper"
else
  # A private copy of the scratch disk: concurrent runs must not share one image.
  cp --sparse=always "$cache/disk.img" "$work/disk.img"
  drive="file=$work/disk.img,if=virtio,format=raw"
fi

if [ -n "${E2E_DISK_BPS:-}" ]; then drive="$drive,throttling.bps-total=$E2E_DISK_BPS"; fi
if [ -n "${E2E_DISK_IOPS:-}" ]; then drive="$drive,throttling.iops-total=$E2E_DISK_IOPS"; fi

echo "run-vm: booting (share $work, timeout ${timeout_s}s)" >&2
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -m "${E2E_MEM:-1024}" -smp 2 \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.cpio.gz" -append "$append" \
  -nographic -no-reboot -nodefaults -serial stdio \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -virtfs "local,path=$work,mount_tag=host,security_model=none" \
  -drive "$drive" </dev/null >"$work/console.log" 2>&1
rc=$?
set -e
rm -f "$work/disk.img"
echo "run-vm: qemu exit status $rc; share $work" >&2
# isa-debug-exit: QEMU exits with (value << 1) | 1, so guest 0 -> 1 and guest N -> 2N + 1. A
# guest script exits with its number of failed checks (1..19); init.sh's own codes start at 20.
case "$rc" in
  1) exit 0 ;;
  124 | 137) echo "run-vm: timed out after ${timeout_s}s" >&2; tail -n 30 "$work/console.log" >&2; exit 2 ;;
esac
if [ "$rc" -ge 3 ] && [ "$rc" -le 39 ] && [ $((rc % 2)) -eq 1 ]; then
  echo "run-vm: $(((rc - 1) / 2)) guest check(s) failed" >&2
  exit 1
fi
echo "run-vm: no verdict from the guest" >&2
tail -n 30 "$work/console.log" >&2
exit 2
