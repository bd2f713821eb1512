#!/bin/busybox sh
# /init of the e2e initramfs (PID 1). Brings up a pure cgroup v2 machine, mounts the host's 9p
# share, runs the share's test.sh and leaves QEMU through isa-debug-exit with its verdict:
# guest 0 -> QEMU exit status 1 (pass), guest N -> (N << 1) | 1. No `set -e`: PID 1 must reach
# the exit below whatever fails, or the host only sees its timeout.
# With `adrg.root=DEV` on the kernel command line (run-vm.sh --systemd) it is an initramfs
# instead: mounts DEV (ext4) as the root, copies the share's rootfs/ over it, hands it the share
# and switch_roots into systemd; the root's adrg-e2e.service then runs test.sh.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mkdir -p /proc /sys /dev /tmp /run /mnt/host /sbin /lib64 /lib/x86_64-linux-gnu /var/lib
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

verdict() {
  sync
  /bin/e2e-helper exit "$1"
  poweroff -f
}

# Modules in the order `modprobe --show-depends` gave at image build time.
while read -r ko; do
  insmod "/lib/modules/$ko" 2>/dev/null || echo "init: insmod $ko failed (built in?)"
done </lib/modules/order

if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 host /mnt/host; then
  echo "init: 9p share not mounted"
  verdict 22
fi

root_dev=$(sed -n 's/.*adrg\.root=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$root_dev" ]; then
  mkdir -p /newroot
  mount -t ext4 -o rw "$root_dev" /newroot || verdict 23
  # Per-run files (the test unit, its runner, e2e-helper): the cached image stays generic.
  [ -d /mnt/host/rootfs ] && cp -a /mnt/host/rootfs/. /newroot/
  mkdir -p /newroot/mnt/host
  mount --move /mnt/host /newroot/mnt/host || verdict 24
  umount /tmp /run
  # systemd takes the API file systems over as they are (it mounts cgroup2 itself).
  for fs in dev proc sys; do mount --move "/$fs" "/newroot/$fs"; done
  exec switch_root /newroot /sbin/init
fi

# Pure v2: one hierarchy with every controller (no v1 mounts at all, unlike the hybrid host).
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || verdict 20
echo "+cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control || verdict 21

# The share brings adrg's shared libraries (ldd on the host); put them where ld.so looks.
if [ -d /mnt/host/lib ]; then
  cp -a /mnt/host/lib/. /lib/x86_64-linux-gnu/
  [ -e /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 ] &&
    ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
fi
ip link set lo up
[ -f /mnt/host/env ] && . /mnt/host/env

sh /mnt/host/test.sh >/mnt/host/guest.log 2>&1
status=$?
echo "init: test.sh exited $status"
verdict "$status"
