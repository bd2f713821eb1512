#!/usr/bin/env bash
# Makes the local base image local/debian:bookworm for the Dockerfile when no registry is
# reachable: a debootstrap --variant=minbase bookworm rootfs (cached as a tarball, ~40 MB) turned
# into an image with `docker import`. Nothing happens when the image exists already.
#   tools/docker-base-image.sh [IMAGE]     (default local/debian:bookworm)
# Then: docker build --network host --build-arg BASE=local/debian:bookworm -t adrg .
set -euo pipefail

image="${1:-local/debian:bookworm}"
cache="${E2E_CACHE:-/var/cache/adrg-e2e}/docker-base"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tarball="$cache/bookworm-minbase-$(dpkg --print-architecture).tar"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "docker-base-image: $image exists"
  exit 0
fi
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap
  mkdir -p "$cache"
  rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  echo "docker-base-image: debootstrap bookworm (minbase) from $mirror" >&2
  # The .debs are shared with the systemd VM's root (tests/e2e/vm/build-rootfs.sh): a superset.
  debs="${E2E_CACHE:-/var/cache/adrg-e2e}/debootstrap-debs"
  mkdir -p "$debs"
  debootstrap --variant=minbase --cache-dir="$debs" bookworm "$rootfs" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || {
    tail -20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # Like Docker's official image: no package lists or caches in the layer.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
docker import "$tarball" "$image" >/dev/null
echo "docker-base-image: imported $image from $tarball"
