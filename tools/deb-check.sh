#!/usr/bin/env bash
# Checks an adrg .deb:  tools/deb-check.sh PACKAGE.deb ARCH [--install]
#   control: Package/Version/Architecture, every NEEDED library's package in Depends, conffiles,
#            maintainer scripts executable
#   data:    the expected files with their modes, nothing else, binaries built for ARCH
#   --install: a real `dpkg -i` in a throwaway Debian chroot (debootstrap minbase, cached in
#            $DEB_CHROOT_CACHE), with only the declared Depends installed from the archive; then
#            adrg --version, adrgctl --help, adrg --check-config on the installed conffile,
#            conffile kept on reinstall, dpkg -r, dpkg --purge leaves nothing behind.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

deb="$(realpath "$1")"
arch="$2"
install="${3:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${DEB_CHROOT_CACHE:-/var/cache/adrg-deb}"
passed=0
failed=0

check() {  # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

work="$(mktemp -d)"
root=""
cleanup() {
  if [ -n "$root" ]; then
    umount "$root/proc" 2>/dev/null || true
    umount "$root/var/cache/apt/archives" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- control data -------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
depends="$(field Depends)"
echo "package: $(basename "$deb")"
echo "Depends: $depends"
check "Package is adrg" [ "$(field Package)" = adrg ]
check "Architecture is $arch" [ "$(field Architecture)" = "$arch" ]
check "Version is the project's" grep -q "project(adrg VERSION $(field Version) " \
  "$here/CMakeLists.txt"
dpkg-deb -e "$deb" "$work/control"
check "conffiles are the config and the env file" \
  [ "$(sort "$work/control/conffiles")" = "$(printf '/etc/adrg/adrg.env\n/etc/adrg/config.yaml')" ]
for script in postinst prerm postrm; do
  check "$script is an executable shell script" \
    bash -c '[ -x "$1" ] && head -1 "$1" | grep -q "^#!/bin/sh" && sh -n "$1"' _ \
    "$work/control/$script"
done

# --- data ---------------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $1, $2, $6}' | sort -k3 >"$work/files"
expected="$(
  sort -k3 <<EOF
-rw-r----- root/root ./etc/adrg/adrg.env
-rw-r--r-- root/root ./etc/adrg/config.yaml
-rwxr-xr-x root/root ./usr/bin/adrgctl
-rwxr-xr-x root/root ./usr/sbin/adrg
-rw-r--r-- root/root ./usr/lib/systemd/system/adrg.service
-rw-r--r-- root/root ./usr/share/adrg/adrg.env
-rw-r--r-- root/root ./usr/share/adrg/config.yaml
-rw-r--r-- root/root ./usr/share/doc/adrg/LICENCE
-rw-r--r-- root/root ./usr/share/doc/adrg/README.md
EOF
)"
check "files, modes and owners are exactly the expected ones" \
  diff -u <(echo "$expected") "$work/files"
dpkg-deb -x "$deb" "$work/data"
check "the unit's ExecStart binary is in the package" \
  bash -c 'p=$(sed -n "s/^ExecStart=\([^ ]*\).*/\1/p" "$1/usr/lib/systemd/system/adrg.service");
           [ -x "$1$p" ]' _ "$work/data"
check "/etc/adrg/config.yaml is the annotated default" \
  cmp "$here/config/config.yaml" "$work/data/etc/adrg/config.yaml"
case "$arch" in
  amd64) elf="x86-64" triplet=x86_64-linux-gnu ;;
  arm64) elf="ARM aarch64" triplet=aarch64-linux-gnu ;;
  *) elf="$arch" triplet="$arch" ;;
esac
for bin in usr/sbin/adrg usr/bin/adrgctl; do
  check "$bin is an $elf ELF" bash -c 'file -b "$1" | grep -q "ELF 64-bit LSB .*, $2"' _ \
    "$work/data/$bin" "$elf"
done
# Every shared library the binaries load must come from a package named in Depends (the same
# question dpkg-shlibdeps answers, asked independently: readelf + dpkg -S).
depend_names="$(echo "$depends" | tr ',|' '\n\n' | sed 's/(.*)//; s/ //g' | grep -v '^$')"
for soname in $(readelf -d "$work/data/usr/sbin/adrg" "$work/data/usr/bin/adrgctl" |
  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
  owner=""
  for dir in /lib/$triplet /usr/lib/$triplet; do
    if [ -e "$dir/$soname" ]; then
      owner="$(dpkg -S "$(realpath "$dir/$soname")" "$dir/$soname" 2>/dev/null | head -1 |
        cut -d: -f1)" || true
      [ -n "$owner" ] && break
    fi
  done
  # Satisfied by the owner's name or by a name it Provides (spdlog's shlibs name the virtual
  # libspdlog1.10-fmt9 that libspdlog1.10 provides).
  names="$owner $(dpkg-query -W -f='${Provides}\n' "$owner" 2>/dev/null | tr ',' '\n' |
    sed 's/(.*)//; s/ //g' | sort -u)"
  check "NEEDED $soname (package ${owner:-?}) is in Depends" \
    bash -c '[ -n "$1" ] && for n in $1; do grep -qxF "$n" <<<"$2" && exit 0; done; exit 1' _ \
    "$names" "$depend_names"
done

# --- real install in a throwaway chroot ---------------------------------------------------------
if [ "$install" = "--install" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP --install: dpkg -i into a chroot needs root"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 77 || exit 1
  fi
  if [ "$arch" != "$(dpkg --print-architecture)" ]; then
    echo "FAIL --install: a $arch package cannot be installed on this $(dpkg --print-architecture) host"
    exit 1
  fi
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p; s/^deb \(http[^ ]*debian\) .*/\1/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)" || true
  mirror="${mirror:-http://deb.debian.org/debian}"
  tarball="$cache/bookworm-minbase.tar"
  # The .debs are shared with the e2e VM root and the Docker base image (same minbase superset):
  # on a fresh CI machine only the first of the three debootstraps downloads anything.
  debs="${E2E_CACHE:-/var/cache/adrg-e2e}/debootstrap-debs"
  mkdir -p "$debs/partial" "$cache/archives/partial"
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null || {
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
    }
    echo "debootstrap --variant=minbase bookworm ($mirror), cached in $tarball"
    rm -rf "$cache/rootfs.tmp"
    debootstrap --variant=minbase --cache-dir="$debs" bookworm "$cache/rootfs.tmp" \
      "$mirror" >"$cache/debootstrap.log" 2>&1 || {
      tail -20 "$cache/debootstrap.log"
      exit 1
    }
    tar -C "$cache/rootfs.tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$cache/rootfs.tmp"
  fi
  root="$work/root"
  mkdir -p "$root"
  tar -C "$root" -xf "$tarball"
  mount -t proc proc "$root/proc"
  mount --bind "$cache/archives" "$root/var/cache/apt/archives"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"  # never start services here
  chmod +x "$root/usr/sbin/policy-rc.d"
  in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

  # Only what Depends names (first of each alternative, version constraints dropped).
  deps="$(echo "$depends" | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$')"
  echo "installing Depends into the chroot: $(echo $deps)"
  in_root apt-get update -qq
  # shellcheck disable=SC2086
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $deps >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; exit 1; }
  cp "$deb" "$root/tmp/adrg.deb"
  check "dpkg -i adrg.deb" in_root dpkg -i /tmp/adrg.deb
  check "dpkg says installed" bash -c \
    '[ "$(chroot "$1" dpkg-query -W -f="\${Status}" adrg)" = "install ok installed" ]' _ "$root"
  check "adrg --version runs" bash -c 'chroot "$1" /usr/sbin/adrg --version | grep -q "$2"' _ \
    "$root" "$(field Version)"
  check "adrgctl --help runs" bash -c 'chroot "$1" /usr/bin/adrgctl --help | grep -qi usage' _ \
    "$root"
  check "adrg --check-config accepts the installed /etc/adrg/config.yaml" \
    in_root /usr/sbin/adrg --config /etc/adrg/config.yaml --check-config
  check "dpkg lists both conffiles" bash -c \
    'c=$(chroot "$1" dpkg-query -W -f="\${Conffiles}" adrg);
     echo "$c" | grep -q "/etc/adrg/config.yaml " && echo "$c" | grep -q "/etc/adrg/adrg.env "' \
    _ "$root"
  check "/etc/adrg/adrg.env is 0640" [ "$(stat -c %a "$root/etc/adrg/adrg.env")" = 640 ]
  check "/etc/adrg/config.yaml is the default" cmp "$here/config/config.yaml" \
    "$root/etc/adrg/config.yaml"
  wants="$root/etc/systemd/system/multi-user.target.wants/adrg.service"
  # deb-systemd-helper links to the unit where its search path finds it first (/lib on a
  # usrmerged bookworm, the same file as /usr/lib).
  check "postinst enabled the unit (multi-user.target.wants symlink)" \
    grep -qxE '(/usr)?/lib/systemd/system/adrg.service' <<<"$(readlink "$wants")"
  echo "# admin edit" >>"$root/etc/adrg/config.yaml"
  check "dpkg -i again (upgrade path)" in_root dpkg -i /tmp/adrg.deb
  check "an edited conffile survives reinstall" grep -q "^# admin edit" \
    "$root/etc/adrg/config.yaml"
  check "dpkg -r adrg" in_root dpkg -r adrg
  check "dpkg -r removed the binaries and the unit" bash -c \
    '! [ -e "$1/usr/sbin/adrg" ] && ! [ -e "$1/usr/bin/adrgctl" ] &&
     ! [ -e "$1/usr/lib/systemd/system/adrg.service" ]' _ "$root"
  check "dpkg -r kept the conffiles" [ -f "$root/etc/adrg/config.yaml" ]
  mkdir -p "$root/var/lib/adrg/jobs" "$root/var/log/adrg"
  # What a running service leaves behind: a job record, the download client's limit journal.
  echo '{}' >"$root/var/lib/adrg/jobs/backup.json"
  echo '{}' >"$root/var/lib/adrg/download-throttle.json"
  check "dpkg --purge adrg" in_root dpkg --purge adrg
  check "purge left nothing (/etc/adrg, /var/lib/adrg, /var/log/adrg, enable symlink)" bash -c \
    '! [ -e "$1/etc/adrg" ] && ! [ -e "$1/var/lib/adrg" ] && ! [ -e "$1/var/log/adrg" ] &&
     ! [ -L "$2" ]' _ "$root" "$wants"
  check "dpkg no longer knows adrg" bash -c \
    '! chroot "$1" dpkg-query -W -f="\${Status}" adrg 2>/dev/null | grep -q installed' _ "$root"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
