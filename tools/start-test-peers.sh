#!/usr/bin/env bash
# Starts the real peers the integration tests need when they are not running yet:
# dockerd (no iptables, no bridge: this machine has no network beyond loopback) and the
# local/busybox image made with `docker import` (no registry is reachable).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  echo "start-test-peers: starting dockerd" >&2
  $SUDO mkdir -p /var/log/adrg-tests
  $SUDO sh -c 'nohup dockerd --iptables=false --bridge=none --ip-forward=false --ip-masq=false \
    >/var/log/adrg-tests/dockerd.log 2>&1 &'
  for _ in $(seq 1 300); do
    docker info >/dev/null 2>&1 && break
    sleep 0.1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up" >&2; tail -20 /var/log/adrg-tests/dockerd.log >&2; exit 1; }
fi

if docker info >/dev/null 2>&1 && ! docker image inspect local/busybox >/dev/null 2>&1; then
  root="$(mktemp -d)"
  mkdir -p "$root/bin"
  cp "$(command -v busybox)" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  tar -C "$root" -c . | docker import - local/busybox >/dev/null
  rm -rf "$root"
  echo "start-test-peers: imported local/busybox" >&2
fi

# The Docker image test builds FROM a local Debian base (no registry): debootstrap it here, before
# ctest, so a cold cache (minutes of downloads on a fresh CI machine) never counts against a
# test's timeout.
if docker info >/dev/null 2>&1; then
  "$(dirname "${BASH_SOURCE[0]}")/docker-base-image.sh" >&2
fi
