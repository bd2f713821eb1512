#!/bin/bash
# Runs inside the systemd e2e VM (run-vm.sh --systemd: Debian bookworm root, systemd 252 as
# PID 1, pure cgroup v2) as test.sh, from adrg-e2e.service after multi-user.target. Installs
# the repo's shipped adrg.service unchanged (hardening included) with the adrg binary under
# test, and proves what systemd does with it. One line per check goes to result.txt:
#   PASS|FAIL <check> <details>
# and the exit status is the number of failed checks (0 = every check passed).
# The share (/mnt/host) holds bin/adrg (the binary under test) and files/adrg.service.
# No `set -e`: a failed check must not stop the later ones (the restore checks matter most).
set -u

H=/mnt/host
RESULT=$H/result.txt
X=/usr/local/sbin/e2e-helper
PORT=8765
CONF=/etc/adrg/config.yaml
DROPIN_DIR=/etc/systemd/system/adrg.service.d
FILES="cgroup.freeze cpu.weight io.weight cpu.max io.max memory.high memory.max"
UNIT_NAMES="bulk-spin bulk-sleep core-db"
TIER3="bulk-spin bulk-sleep"
# pass, fail, note, wait_for, $fails
# shellcheck source=tests/e2e/vm/guest/checks-lib.sh
. "$H/checks-lib.sh"
: >"$RESULT"

prop() { systemctl show -p "$1" --value adrg.service; }
props() { systemctl show -p ActiveState,SubState,Result,NRestarts,ExecMainStatus,MainPID adrg.service | tr '\n' ' '; }
prop_is() { [ "$(prop "$1")" = "$2" ]; }
healthy() { curl -sf --max-time 2 "http://127.0.0.1:$PORT/healthz" >/dev/null; }
status_json() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/status"; }
trigger() {
  curl -sf --max-time 5 -X POST -H 'Content-Type: application/json' \
    -d "{\"event\":\"$1\"}" "http://127.0.0.1:$PORT/trigger" >/dev/null
}
is_frozen() { grep -q "^frozen $2\$" "$UNITS/$1/cgroup.events"; }
all_frozen() { # VALUE UNIT...
  local v=$1 u
  shift
  for u in "$@"; do is_frozen "$u" "$v" || return 1; done
}
frozen_summary() {
  local u out=""
  for u in $UNIT_NAMES; do out="$out $u:$(sed -n 's/^frozen //p' "$UNITS/$u/cgroup.events")"; done
  echo "frozen$out"
}
# Journal lines of adrg.service since a cursor (journalctl --cursor-file keeps our place).
journal_since() { journalctl -u adrg.service --no-pager -o cat --after-cursor="$1" 2>/dev/null; }
cursor() { journalctl -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p'; }
journal_has() { journal_since "$1" | grep -qF -- "$2"; }

# A snapshot (snapshot.sh, below) holds every governed file and cgroup.events of every unit:
# all byte-exact as recorded before adrg ever ran means nothing frozen, nothing throttled.
originals_back() { # CHECK_NAME SNAPSHOT_DIR [DETAILS]
  local bad="" u f
  for u in $UNIT_NAMES; do
    for f in $FILES cgroup.events; do
      if ! cmp -s "$2/$u.$f" "/run/adrg-e2e/orig/$u.$f"; then
        bad="$bad $u/$f=[$(tr '\n' ' ' <"$2/$u.$f")]want[$(tr '\n' ' ' <"/run/adrg-e2e/orig/$u.$f")]"
      fi
    done
  done
  if [ -z "$bad" ]; then
    pass "$1" "every file of $UNIT_NAMES byte-exact, none frozen${3:+; $3}"
  else
    fail "$1" "$bad${3:+; $3}"
  fi
}
live_originals_back() { # CHECK_NAME [DETAILS]
  rm -rf /run/adrg-e2e/now
  sh /run/adrg-e2e/snapshot.sh /run/adrg-e2e/now
  originals_back "$1" /run/adrg-e2e/now "${2:-}"
}

# ------------------------------------------------------------------ the machine
note "systemd $(systemctl --version | head -1), kernel $(uname -r)"
if [ "$(cat /proc/1/comm)" = systemd ] && [ -d /run/systemd/system ] &&
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  pass pid1 "PID 1 is $(readlink /proc/1/exe), $(systemctl --version | head -1), pure cgroup v2"
else
  fail pid1 "PID 1 is $(cat /proc/1/comm), /sys/fs/cgroup is $(stat -f -c %T /sys/fs/cgroup)"
fi

# ------------------------------------------------------------------ adrg installed as shipped
install_shipped_unit
# Every start of the ASan build costs seconds under TCG (relocations): one --version only.
missing=$(ldd /usr/sbin/adrg | grep "not found")
if [ -z "$missing" ] && version=$(/usr/sbin/adrg --version); then
  pass libraries "adrg runs on the image's Debian libraries: $version"
else
  fail libraries "$missing"
fi

# ------------------------------------------------------------------ workloads
# Plain cgroups adrg governs through general.cgroup_units_root. They live in a delegated
# subtree (Delegate=yes), the systemd way for a cgroup tree that systemd does not manage: the
# supervisor shell moves to its own leaf, units/ holds one cgroup per governed unit.
mkdir -p /run/adrg-e2e/orig
cat >/run/adrg-e2e/workload.sh <<EOF
#!/bin/sh
R=/sys/fs/cgroup\$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir -p \$R/supervisor && echo \$\$ >\$R/supervisor/cgroup.procs
echo "+cpu +io +memory +pids" >\$R/cgroup.subtree_control
mkdir -p \$R/units && echo "+cpu +io +memory +pids" >\$R/units/cgroup.subtree_control
for u in $UNIT_NAMES; do mkdir -p \$R/units/\$u; done
# Values a user may have set themselves: adrg must put back exactly these.
echo 250 >\$R/units/bulk-spin/cpu.weight
echo "150000 100000" >\$R/units/bulk-spin/cpu.max
echo 943718400 >\$R/units/bulk-sleep/memory.high
sh -c 'echo \$\$ >\$0/cgroup.procs && exec nice -n 19 $X spin' \$R/units/bulk-spin &
sh -c 'echo \$\$ >\$0/cgroup.procs && exec sleep infinity' \$R/units/bulk-sleep &
sh -c 'echo \$\$ >\$0/cgroup.procs && exec sleep infinity' \$R/units/core-db &
echo \$R/units >/run/adrg-e2e/units
wait
EOF
systemd-run --unit=e2e-workload -p Delegate=yes /bin/sh /run/adrg-e2e/workload.sh >/dev/null 2>&1
workload_up() {
  [ -s /run/adrg-e2e/units ] || return 1
  local u
  for u in $UNIT_NAMES; do grep -q "populated 1" "$(cat /run/adrg-e2e/units)/$u/cgroup.events" || return 1; done
}
if ! wait_for 30 workload_up; then
  fail workload "delegated cgroups not populated: $(systemctl status e2e-workload 2>&1 | tail -5)"
  exit 1
fi
UNITS=$(cat /run/adrg-e2e/units)
# snapshot.sh DIR: copies of the governed files (cgroup files report st_size 0, so they are
# compared as copies) plus, when run as an ExecStopPost, systemd's verdict on the main process.
cat >/run/adrg-e2e/snapshot.sh <<EOF
#!/bin/sh
mkdir -p "\$1"
for u in $UNIT_NAMES; do
  for f in $FILES cgroup.events; do cat "$UNITS/\$u/\$f" >"\$1/\$u.\$f"; done
done
echo "SERVICE_RESULT=\${SERVICE_RESULT:-} EXIT_CODE=\${EXIT_CODE:-} EXIT_STATUS=\${EXIT_STATUS:-}" >"\$1/service-result"
EOF
sh /run/adrg-e2e/snapshot.sh /run/adrg-e2e/orig
pass workload "delegated cgroups $UNITS: $UNIT_NAMES populated"

# No thermal zone in the VM: a fake one at 40 °C (below every stage) proves the sensor path.
mkdir -p /etc/adrg/thermal/thermal_zone0 /etc/adrg/no-hwmon
echo 40000 >/etc/adrg/thermal/thermal_zone0/temp
# Default state, journal, log and unix socket paths: they exercise the unit's StateDirectory,
# RuntimeDirectory, LogsDirectory and ReadWritePaths under ProtectSystem=strict.
cat >$CONF <<EOF
general:
  poll_interval_seconds: 1
  docker_socket: ""
  cgroup_units_root: $UNITS
  thermal_root: /etc/adrg/thermal
  hwmon_root: /etc/adrg/no-hwmon
  http_server: {enabled: true, host: 127.0.0.1, port: $PORT}
tiers:
  0: {name: Core, containers: ["core-*"]}
  3: {name: Bulk, containers: ["bulk-*"], cpu_weight: 10, io_weight: 10}
media_mode:
  enabled: false
EOF

# ------------------------------------------------------------------ (a) start: Type=notify
note "systemctl start"
# No daemon-reload: a unit file systemd has never seen is loaded when first named.
t0=$(date +%s.%N)
systemctl start adrg.service
rc=$?
t1=$(date +%s.%N)
# No waiting here: with Type=notify, `systemctl start` returns only once READY=1 arrived, so
# the API must answer at once and the status text (sent only with READY=1) must be there.
st=$(props)
text=$(prop StatusText)
if [ $rc -eq 0 ] && prop_is Type notify && prop_is ActiveState active && prop_is SubState running &&
  healthy && [ "${text#governing}" != "$text" ]; then
  pass start_notify "systemctl start returned after $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s; $st; StatusText='$text'; /healthz answered at once"
else
  fail start_notify "rc=$rc $st Type=$(prop Type) StatusText='$text'; $(systemctl status adrg --no-pager 2>&1 | tail -15)"
fi
if s=$(status_json) && echo "$s" | grep -q '"version"'; then
  pass status_api "/status answers ($(echo "$s" | wc -c) bytes)"
else
  fail status_api "GET /status failed"
fi
# The default state, journal and log paths are writable under the unit's hardening, and the
# unix socket exists in RuntimeDirectory.
if wait_for 20 test -s /var/log/adrg/adrg.log && wait_for 20 test -S /run/adrg/adrg.sock &&
  curl -sf --max-time 5 --unix-socket /run/adrg/adrg.sock http://adrg/healthz >/dev/null; then
  pass hardened_paths "log /var/log/adrg/adrg.log written, unix socket /run/adrg/adrg.sock answers"
else
  fail hardened_paths "log: $(ls -l /var/log/adrg 2>&1) socket: $(ls -l /run/adrg 2>&1)"
fi
if wait_for 20 test "$(cat "$UNITS/bulk-spin/cpu.weight")" = 10; then
  pass baseline "tier-3 cpu.weight=10 applied to bulk-spin (was $(cat /run/adrg-e2e/orig/bulk-spin.cpu.weight))"
else
  fail baseline "bulk-spin cpu.weight=$(cat "$UNITS/bulk-spin/cpu.weight")"
fi

# ------------------------------------------------------------------ (b) trigger freezes tier 3
note "tier3_pause"
if trigger tier3_pause && wait_for 30 all_frozen 1 $TIER3 && is_frozen core-db 0; then
  pass freeze_tier3 "POST /trigger tier3_pause: $(frozen_summary)"
else
  fail freeze_tier3 "$(frozen_summary)"
fi
trigger tier3_resume
if wait_for 30 all_frozen 0 $UNIT_NAMES; then
  pass thaw_tier3 "tier3_resume: $(frozen_summary)"
else
  fail thaw_tier3 "$(frozen_summary)"
fi

# ------------------------------------------------------------------ (e) reload
note "reload"
c=$(cursor)
pid=$(prop MainPID)
n=$(prop NRestarts)
trigger tier3_pause
wait_for 30 all_frozen 1 $TIER3 || fail reload "tier3_pause did not freeze before the reload"
systemctl reload adrg.service
rc=$?
if [ $rc -eq 0 ] && wait_for 30 journal_has "$c" "reloading /etc/adrg/config.yaml" &&
  wait_for 30 prop_is SubState running && [ "$(prop MainPID)" = "$pid" ] &&
  [ "$(prop NRestarts)" = "$n" ] && healthy && all_frozen 1 $TIER3; then
  pass reload "systemctl reload (SIGHUP): same MainPID $pid, $(props), tier 3 still frozen"
else
  fail reload "rc=$rc pid $pid now $(prop MainPID); $(props); $(frozen_summary); $(journal_since "$c" | tail -n 10 | tr '\n' '|')"
fi

# ------------------------------------------------------------------ (d) stop
note "stop"
c=$(cursor)
systemctl stop adrg.service
rc=$?
if [ $rc -eq 0 ] && prop_is ActiveState inactive && prop_is Result success &&
  prop_is ExecMainStatus 0; then
  pass stop "systemctl stop: $(props)"
else
  fail stop "rc=$rc $(props); $(journal_since "$c" | tail -n 15 | tr '\n' '|')"
fi
live_originals_back restore_after_stop

# ------------------------------------------------------------------ (c) watchdog
# A drop-in adds the hidden fault flag (the loop stalls 600 s after the first trigger), a short
# WatchdogSec, and one more ExecStopPost after the shipped one: a snapshot of every governed
# file once `adrg --cleanup` has run and before Restart= starts the next adrg (which applies
# the tier weights again), with systemd's SERVICE_RESULT. Writable under the unit's hardening
# only in adrg's own /run/adrg.
note "watchdog"
AFTER=/run/adrg/e2e-after-cleanup
rm -rf "$AFTER"
exec_start=$(sed -n 's/^ExecStart=//p' /etc/systemd/system/adrg.service)
cat >"$DROPIN_DIR/fault.conf" <<EOF
[Service]
ExecStart=
ExecStart=$exec_start --fault-stall-seconds 600
WatchdogSec=3s
ExecStopPost=/bin/sh /run/adrg-e2e/snapshot.sh $AFTER
EOF
systemctl daemon-reload
c=$(cursor)
systemctl start adrg.service
n0=$(prop NRestarts)
pid0=$(prop MainPID)
# The answer may or may not get out before the loop stalls: the freeze is what counts.
trigger tier3_pause
if wait_for 30 all_frozen 1 $TIER3; then
  stalled_frozen=1
else
  stalled_frozen=0
fi
# systemd kills the stalled adrg (SIGABRT), runs both ExecStopPost lines, waits RestartSec and
# starts a new adrg.
restarted_by_systemd() {
  [ "$(prop NRestarts)" -gt "$n0" ] && prop_is ActiveState active && [ "$(prop MainPID)" != "$pid0" ]
}
if wait_for 150 restarted_by_systemd && wait_for 30 healthy; then
  restarted=1
else
  restarted=0
fi
if [ -f "$AFTER/service-result" ]; then
  originals_back restore_after_watchdog "$AFTER" "snapshot after ExecStopPost's adrg --cleanup: $(cat "$AFTER/service-result")"
else
  fail restore_after_watchdog "no snapshot from ExecStopPost: $(ls -la /run/adrg 2>&1 | tr '\n' ' ')"
fi
journal_since "$c" >/run/adrg-e2e/watchdog.journal
jh() { grep -qF -- "$1" /run/adrg-e2e/watchdog.journal; }
# Lines systemd 252 writes for a watchdog kill, and the cleanup's own line.
if [ $stalled_frozen -eq 1 ] && jh "fault injection: stalling" && jh "Watchdog timeout" &&
  grep -q "SERVICE_RESULT=watchdog" "$AFTER/service-result" 2>/dev/null &&
  jh "Failed with result 'watchdog'" && jh "cleanup done" && [ $restarted -eq 1 ]; then
  pass watchdog "tier 3 frozen, loop stalled, systemd: '$(grep -m1 -F "Watchdog timeout" /run/adrg-e2e/watchdog.journal)' / '$(grep -m1 -F "Failed with result" /run/adrg-e2e/watchdog.journal)'; ExecStopPost: '$(grep -m1 -F "cleanup done" /run/adrg-e2e/watchdog.journal)'; restarted: $(props)"
else
  fail watchdog "frozen_before_stall=$stalled_frozen restarted=$restarted $(props); journal: $(tail -n 25 /run/adrg-e2e/watchdog.journal | tr '\n' '|')"
fi

# The restarted adrg (fault flag still on, no trigger since) stops cleanly too.
systemctl stop adrg.service
live_originals_back restore_after_final_stop "$(props)"

check_sanitizers
note "done: $fails failed"
exit $fails
