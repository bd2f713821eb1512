#!/usr/bin/env bash
# Builds the root file system of the systemd e2e VM (run-vm.sh --systemd): Debian bookworm
# minbase from debootstrap + systemd as PID 1 + adrg's runtime libraries, packed into an ext4
# image that QEMU boots read-only with a throw-away overlay (-snapshot), so one cached image
# serves every run and every concurrent run.
#   $E2E_CACHE/rootfs-<key>.img     ext4 image (sparse, 2 GiB apparent)
# <key> hashes the suite, the package list and the boot tweaks below: a rerun with the same
# list costs nothing, a changed list builds a new image beside the old one. The tree is built in
# a temp dir and renamed at the end, so an interrupted build leaves nothing that looks done.
# `build-rootfs.sh --print-image` prints the image path for this checkout's list and builds
# nothing: run-vm.sh boots that file, not a shared "current" link, so checkouts with different
# lists can run their suites side by side on one cache.
# Needs root. Exit status 77: debootstrap or the mirror cannot be had (the test skips loudly).
set -euo pipefail

cache="${E2E_CACHE:-/var/cache/adrg-e2e}"
mirror="${E2E_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# shellcheck source=tools/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../tools/packages.sh"
# systemd as PID 1; what adrg loads at run time (the list setup.sh installs), plus the ASan build's
# runtimes (libasan8, libubsan1: the same GCC 12 as the host's); curl for the guest checks.
# The Docker suite (guest/docker-checks.sh): docker.io (bookworm's 20.10, with containerd and
# runc), busybox-static (its container image is made from it in the guest), fio and stress-ng
# (loads run inside containers with the guest's /usr mounted read-only). One image for every
# systemd suite: the other suites never start Docker (rootfs-overlay masks its units).
packages=(systemd systemd-sysv "${runtime_packages[@]}" libasan8 libubsan1 curl
  docker.io busybox-static fio stress-ng)
# Units masked for speed are not baked in here but come with rootfs-overlay/ at every boot, so
# changing that list costs no rebuild; so does Docker's daemon.json.
tweaks_version=1 # bump when the customisation below changes

key="$(printf '%s\n' "$suite" "${packages[@]}" "$tweaks_version" |
  sha256sum | cut -c1-16)"
image="$cache/rootfs-$key.img"
if [ "${1:-}" = "--print-image" ]; then
  echo "$image"
  exit 0
fi
if [ -f "$image" ]; then
  # The mtime marks the last use: the clean-up below spares images other checkouts still use.
  touch "$image"
  echo "build-rootfs: cached $image" >&2
  exit 0
fi

need=()
for p in debootstrap e2fsprogs debian-archive-keyring; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "build-rootfs: installing ${need[*]}" >&2
  # Other builds on the machine may hold the dpkg lock for a while: wait instead of failing.
  if ! { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 "${need[@]}"; }; then
    echo "build-rootfs: cannot install ${need[*]}" >&2
    exit 77
  fi
fi

mkdir -p "$cache"
# Leftovers of an interrupted build (nothing else writes rootfs-tmp.*); a younger one may be a
# concurrent build of another checkout's list.
find "$cache" -maxdepth 1 -name 'rootfs-tmp.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
tmp="$(mktemp -d "$cache/rootfs-tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tree="$tmp/tree"
started=$(date +%s)
echo "build-rootfs: debootstrap $suite minbase (${#packages[@]} extra packages) from $mirror" >&2
# The .debs are kept in the cache: a rebuild after a package-list change downloads only what
# is new.
mkdir -p "$cache/debootstrap-debs"
if ! $SUDO debootstrap --variant=minbase --include="$(
  IFS=,
  echo "${packages[*]}"
)" --cache-dir="$cache/debootstrap-debs" "$suite" "$tree" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  # Most likely the mirror is unreachable here: the same answer as a missing QEMU.
  echo "build-rootfs: debootstrap failed (log above)" >&2
  exit 77
fi
debootstrapped=$(date +%s)

# Boot tweaks. The root is mounted by the initramfs (rw), so no fstab entry is needed.
echo adrg-e2e >"$tree/etc/hostname"
: >"$tree/etc/machine-id" # systemd makes a fresh one per boot
# Empty root password: a person debugging at the console can log in (nothing listens outside).
sed -i 's/^root:[^:]*:/root::/' "$tree/etc/shadow"
mkdir -p "$tree/mnt/host"
# The journal stays in memory: nothing to flush to the throw-away disk.
mkdir -p "$tree/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$tree/etc/systemd/journald.conf.d/e2e.conf"
rm -rf "$tree/var/cache/apt/archives/"*.deb "$tree/var/lib/apt/lists/"*

# ext4 built straight from the tree (no loop mount, no root needed beyond reading it).
used_mib=$(du -sm "$tree" | cut -f1)
mke2fs -q -t ext4 -L adrg-root -d "$tree" "$tmp/rootfs.img" 2048M >/dev/null
mv "$tmp/rootfs.img" "$image"
# Images of other package lists: another checkout (another branch, a concurrent CI job on the
# same cache) may be booting one right now, so only those unused for over a day go
# (build-rootfs.sh touches an image at every use).
find "$cache" -maxdepth 1 -name 'rootfs-*.img' ! -name "$(basename "$image")" -mmin +1440 -delete
echo "build-rootfs: $image (${used_mib} MiB used): debootstrap $((debootstrapped - started)) s," \
  "total $(($(date +%s) - started)) s" >&2
