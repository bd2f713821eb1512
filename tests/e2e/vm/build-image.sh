#!/usr/bin/env bash
# Builds what the e2e VM boots, from Debian packages only (no other network):
#   $E2E_CACHE/vmlinuz          Debian's kernel (the one linux-image-amd64 depends on)
#   $E2E_CACHE/initrd.cpio.gz   busybox-static + virtio/9p/ext4 modules + e2e-helper + init.sh
#   $E2E_CACHE/disk.img         256 MiB raw scratch disk (virtio) for io.max measurements
# Downloads and the unpacked kernel are cached in $E2E_CACHE (default /var/cache/adrg-e2e), so
# a rerun only rebuilds the initramfs (about a second). Needs root (apt-get install).
# Exit status 77: QEMU or the kernel package cannot be had here (the e2e test skips loudly).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${E2E_CACHE:-/var/cache/adrg-e2e}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
mkdir -p "$cache/debs"

need=()
for p in qemu-system-x86 busybox-static cpio kmod gcc libc6-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "build-image: installing ${need[*]}" >&2
  if ! { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; }; then
    echo "build-image: cannot install ${need[*]}" >&2
    exit 77
  fi
fi

# The kernel linux-image-amd64 points at today (e.g. linux-image-6.1.0-56-amd64).
kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null |
  awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
if [ -z "$kpkg" ]; then
  # No package lists (fresh container): fetch them once and ask again.
  $SUDO apt-get update -qq || true
  kpkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
fi
[ -n "$kpkg" ] || { echo "build-image: cannot resolve linux-image-amd64" >&2; exit 77; }
kver="${kpkg#linux-image-}"

deb="$(ls "$cache/debs/${kpkg}_"*.deb 2>/dev/null | head -n1 || true)"
if [ -z "$deb" ]; then
  echo "build-image: downloading $kpkg" >&2
  # apt-get download writes into the current directory; _apt cannot write root's cache dir
  # (harmless warning), so it downloads as root.
  (cd "$cache/debs" && apt-get download "$kpkg" 2>&1 | grep -v "^W: Download is performed" >&2 || true)
  deb="$(ls "$cache/debs/${kpkg}_"*.deb 2>/dev/null | head -n1 || true)"
  [ -n "$deb" ] || { echo "build-image: download of $kpkg failed" >&2; exit 77; }
fi

# ext4 and its checksum drivers: the systemd VM's root disk (run-vm.sh --systemd).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
  netfs fscache 9pnet 9p 9pnet_virtio crc32c_generic crc32c_intel crc16 mbcache jbd2 ext4)
kroot="$cache/kroot-$kver"
if [ ! -f "$kroot/.done" ]; then
  echo "build-image: unpacking $kpkg" >&2
  rm -rf "$kroot"
  mkdir -p "$kroot"
  dpkg -x "$deb" "$kroot"
  # Debian generates modules.dep in postinst, which dpkg -x does not run.
  depmod -b "$kroot" "$kver"
  touch "$kroot/.done"
fi
cp "$kroot/boot/vmlinuz-$kver" "$cache/vmlinuz"

# Initramfs: rebuilt every time (cheap) so edits to init.sh or the helper always take effect.
stage="$(mktemp -d "$cache/initrd.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib/modules"
cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
gcc -static -O2 -Wall -Wextra -o "$stage/bin/e2e-helper" "$here/e2e_helper.c"
cp "$stage/bin/e2e-helper" "$cache/e2e-helper"
install -m 0755 "$here/init.sh" "$stage/init"
# --show-depends lists dependencies first (and repeats shared ones): keep first occurrences.
# A built-in module shows as "builtin NAME" and needs no insmod.
modprobe -d "$kroot" -S "$kver" --show-depends -a "${modules[@]}" |
  awk '$1 == "insmod" && !seen[$2]++ {print $2}' |
  while read -r ko; do
    rel="${ko#"$kroot/lib/modules/"}"
    mkdir -p "$stage/lib/modules/$(dirname "$rel")"
    cp "$ko" "$stage/lib/modules/$rel"
    echo "$rel" >>"$stage/lib/modules/order"
  done
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$cache/initrd.cpio.gz.new"
mv "$cache/initrd.cpio.gz.new" "$cache/initrd.cpio.gz"

# Sparse: costs no space until the guest writes to it.
[ -f "$cache/disk.img" ] || truncate -s 256M "$cache/disk.img"
echo "$kver" >"$cache/kernel-version"
echo "build-image: kernel $kver, $(wc -l <"$stage/lib/modules/order") modules, cache $cache" >&2
