#!/bin/bash
# Runs inside the systemd e2e VM (a debootstrap bookworm rootfs, systemd as PID 1, pure cgroup
# v2): setup.sh installs the prebuilt adrg twice, the second run changes nothing, the service is
# enabled and RUNNING (Type=notify READY reached, /status answers), then setup.sh --uninstall
# stops and removes it and keeps /etc/adrg. One line per check goes to result.txt:
#   PASS|FAIL <check> <details>
# and the exit status is the number of failed checks.
#
# The share (/mnt/host) must hold:
#   bin/adrg, bin/adrgctl                  the binaries (setup.sh --prebuilt; no compiler in TCG)
#   src/setup.sh, src/tools/packages.sh, src/integrations/systemd/adrg.service,
#   src/config/config.yaml, src/config/adrg.env, src/README.md
#                                          what setup.sh installs besides the binaries
# The rootfs has the runtime libraries already and no network: setup.sh runs with --no-deps.
# Run by hand (every check PASSed, ~4.5 min under TCG on a loaded host):
#   extras=build-asan/tools/adrgctl; for f in setup.sh tools/packages.sh \
#     integrations/systemd/adrg.service config/config.yaml config/adrg.env README.md; do
#     extras+=" $f:src/$f"; done
#   ADRG_BIN=build-asan/daemon/adrg tests/e2e/vm/run-vm.sh --systemd \
#     tests/e2e/vm/guest/setup-systemd-checks.sh $extras
set -u

H=/mnt/host
RESULT=$H/result.txt
LOG=$H/setup-checks.log
# pass, fail, wait_for, $fails
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
: >"$RESULT"
: >"$LOG"

check() { # check NAME DETAILS CMD...: PASS when CMD succeeds
  local name=$1 details=$2
  shift 2
  if "$@" >>"$LOG" 2>&1; then pass "$name" "$details"; else fail "$name" "$details"; fi
}
status_answers() { curl -sf --max-time 2 http://127.0.0.1:8765/status | grep -q '"version"'; }
has() { grep -q -- "$2" "$1"; }

# A private copy: setup.sh reads its sources relative to itself.
rm -rf /tmp/src && cp -r "$H/src" /tmp/src && chmod +x /tmp/src/setup.sh
SETUP="/tmp/src/setup.sh --no-deps --prebuilt $H/bin"

check systemd-is-pid1 "$(cat /proc/1/comm)" test -d /run/systemd/system

start=$(date +%s)
$SETUP >/tmp/first.txt 2>&1
rc=$?
cat /tmp/first.txt >>"$LOG"
check setup-first-run "rc=$rc, $(($(date +%s) - start)) s" test "$rc" -eq 0
check unit-enabled "$(systemctl is-enabled adrg.service 2>&1)" systemctl is-enabled --quiet adrg.service
check service-active "$(systemctl is-active adrg.service 2>&1)" systemctl is-active --quiet adrg.service
check status-answers "GET /status on 127.0.0.1:8765" wait_for 30 status_answers
check env-mode-0640 "$(stat -c %a /etc/adrg/adrg.env 2>&1)" test "$(stat -c %a /etc/adrg/adrg.env)" = 640
pid_before=$(systemctl show -p MainPID --value adrg.service)

# The user edits the config; the second run keeps the edit and changes nothing at all.
echo "# e2e: my edit" >>/etc/adrg/config.yaml
$SETUP >/tmp/second.txt 2>&1
rc=$?
cat /tmp/second.txt >>"$LOG"
check setup-second-run "rc=$rc" test "$rc" -eq 0
check setup-idempotent "$(tail -n1 /tmp/second.txt)" has /tmp/second.txt "done: nothing changed"
check config-edit-kept "/etc/adrg/config.yaml" has /etc/adrg/config.yaml "# e2e: my edit"
pid_after=$(systemctl show -p MainPID --value adrg.service)
check not-restarted "MainPID $pid_before -> $pid_after" \
  test "${pid_before:-0}" != 0 -a "$pid_before" = "$pid_after"
check still-active "$(systemctl is-active adrg.service 2>&1)" systemctl is-active --quiet adrg.service
check adrgctl-status "adrgctl status" /usr/bin/adrgctl status

/tmp/src/setup.sh --uninstall >/tmp/uninstall.txt 2>&1
rc=$?
cat /tmp/uninstall.txt >>"$LOG"
check uninstall-run "rc=$rc" test "$rc" -eq 0
check uninstall-cleanup-first "adrg --cleanup before removal" has /tmp/uninstall.txt "cleanup done"
check service-gone "$(systemctl is-active adrg.service 2>&1)" \
  bash -c '! systemctl is-active --quiet adrg.service'
check binaries-gone "/usr/sbin/adrg, /usr/bin/adrgctl" \
  bash -c '! test -e /usr/sbin/adrg && ! test -e /usr/bin/adrgctl'
check unit-gone "/usr/lib/systemd/system/adrg.service" \
  bash -c '! test -e /usr/lib/systemd/system/adrg.service'
check config-kept "/etc/adrg kept without --purge" test -f /etc/adrg/config.yaml

journalctl -u adrg.service --no-pager >>"$LOG" 2>&1
exit "$fails"
