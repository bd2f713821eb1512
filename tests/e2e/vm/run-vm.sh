#!/usr/bin/env bash
# run-vm.sh GUEST_SCRIPT [EXTRA_BINARY...]
# Boots the e2e VM (QEMU TCG, Debian kernel, busybox initramfs from build-image.sh) with a 9p
# share holding GUEST_SCRIPT (as test.sh), the adrg binary, e2e-helper and the shared libraries
# of every binary (ldd), and returns the guest's verdict as exit status:
#   0 guest script passed, 1 it failed, 2 harness problem (no verdict: timeout, boot failure).
# Environment:
#   ADRG_BIN     adrg binary to test (default build/core/daemon/adrg)
#   E2E_CACHE    build-image.sh's output (default /var/cache/adrg-e2e)
#   E2E_WORK     share directory to use and keep (default: a fresh temp dir, kept and printed);
#                the guest writes result.txt and guest.log there
#   E2E_TIMEOUT  seconds before QEMU is killed (default 600)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cache="${E2E_CACHE:-/var/cache/adrg-e2e}"
script="${1:?usage: run-vm.sh GUEST_SCRIPT [EXTRA_BINARY...]}"
shift
adrg="${ADRG_BIN:-$repo/build/core/daemon/adrg}"
timeout_s="${E2E_TIMEOUT:-600}"

for f in "$cache/vmlinuz" "$cache/initrd.cpio.gz" "$cache/disk.img" "$cache/e2e-helper"; do
  [ -f "$f" ] || { echo "run-vm: $f missing (run tests/e2e/vm/build-image.sh)" >&2; exit 2; }
done
[ -x "$adrg" ] || { echo "run-vm: adrg binary $adrg missing" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm: qemu-system-x86_64 missing" >&2; exit 2; }

work="${E2E_WORK:-$(mktemp -d /tmp/adrg-e2e-vm.XXXXXX)}"
mkdir -p "$work/bin" "$work/lib"
rm -f "$work/result.txt" "$work/guest.log"
cp "$script" "$work/test.sh"
cp "$adrg" "$work/bin/adrg"
cp "$cache/e2e-helper" "$work/bin/e2e-helper"
for extra in "$@"; do cp "$extra" "$work/bin/"; done
# Shared libraries of every dynamic binary, flattened into lib/ (init.sh copies them to
# /lib/x86_64-linux-gnu, where the guest's ld.so finds them).
for bin in "$work"/bin/*; do
  # ldd fails on static binaries (e2e-helper): nothing to copy then.
  { ldd "$bin" 2>/dev/null || true; } | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' |
    while read -r lib; do cp -L "$lib" "$work/lib/$(basename "$lib")"; done
done
# The guest has no host environment: forward the sanitizer settings explicitly.
: >"$work/env"
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  if [ -n "${!var:-}" ]; then printf 'export %s=%q\n' "$var" "${!var}" >>"$work/env"; fi
done
# A private copy of the scratch disk: concurrent runs must not share one image.
cp --sparse=always "$cache/disk.img" "$work/disk.img"

echo "run-vm: booting (share $work, timeout ${timeout_s}s)" >&2
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.cpio.gz" \
  -append 'console=ttyS0 quiet panic=-1 no_timer_check' \
  -nographic -no-reboot -nodefaults -serial stdio \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -virtfs "local,path=$work,mount_tag=host,security_model=none" \
  -drive "file=$work/disk.img,if=virtio,format=raw" </dev/null >"$work/console.log" 2>&1
rc=$?
set -e
rm -f "$work/disk.img"
echo "run-vm: qemu exit status $rc; share $work" >&2
# isa-debug-exit: QEMU exits with (value << 1) | 1, so guest 0 -> 1 and guest 1 -> 3.
case "$rc" in
  1) exit 0 ;;
  3) exit 1 ;;
  124 | 137) echo "run-vm: timed out after ${timeout_s}s" >&2; tail -n 30 "$work/console.log" >&2; exit 2 ;;
  *) echo "run-vm: no verdict from the guest" >&2; tail -n 30 "$work/console.log" >&2; exit 2 ;;
esac
