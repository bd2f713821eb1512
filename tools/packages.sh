# Debian bookworm package lists, sourced by tools/dev.sh, setup.sh and the Dockerfile's stages
# (one copy: a library added to CMakeLists.txt is added here once).
# shellcheck shell=bash disable=SC2034

# What building adrg needs (compiler, CMake, every -dev package CMakeLists.txt finds).
build_packages=(g++ cmake make pkg-config liburing-dev libyaml-cpp-dev libsimdjson-dev
  libcurl4-openssl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libsystemd-dev
  libmicrohttpd-dev libcli11-dev)
# What the built adrg and adrgctl load at run time (bookworm sonames; `ldd` of both binaries).
runtime_packages=(liburing2 libyaml-cpp0.7 libsimdjson14 libcurl4 libspdlog1.10 libfmt9
  libsystemd0 libmicrohttpd12 ca-certificates)
# Real peers the tests run against: no mocks where these run.
test_packages=(curl procps iproute2 docker.io busybox-static qbittorrent-nox transmission-daemon
  prometheus stress-ng fio wrk python3 qemu-system-x86 cpio kmod debootstrap e2fsprogs file ccache chromium
  clang-format)

# install_missing PKG...: apt-get installs the packages not installed yet (nothing when all are).
# Uses $SUDO when set (dev.sh runs as a normal user too).
install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "${0##*/}: installing ${missing[*]}" >&2
  # policy-rc.d keeps Debian from auto-starting daemons we install only for tests.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | ${SUDO:-} tee "$policy" >/dev/null
    ${SUDO:-} chmod +x "$policy"
    created_policy=1
  fi
  ${SUDO:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$created_policy" -eq 1 ] && ${SUDO:-} rm -f "$policy"
  return 0
}
