# shellcheck shell=bash
# Sourced by every VM guest script (run-vm.sh puts it on the share as /mnt/host/checks-lib.sh):
# one verdict line per check, bounded waits, and starting/stopping adrg by hand (the busybox
# guests, where adrg is not a service). Set RESULT (the result.txt path) before calling
# pass/fail; $fails counts the failures (the exit status). start_adrg needs ADRG, CONF, PORT
# and H.
fails=0

pass() { echo "PASS $*" | tee -a "$RESULT"; }
fail() {
  echo "FAIL $*" | tee -a "$RESULT"
  fails=$((fails + 1))
}
note() { echo "--- $(cut -d' ' -f1 /proc/uptime)s $*"; }

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or the deadline passes.
wait_for() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.05
  done
}

healthy() { wget -q -O /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; }
log_has() { grep -q -- "$1" "$ADRG_LOG"; }

ADRG_PID=""
# start_adrg LOG_NAME: adrg in the background, its log on the share; true once /healthz answers.
start_adrg() {
  ADRG_LOG=$H/$1
  "$ADRG" --config "$CONF" --log-level debug >"$ADRG_LOG" 2>&1 &
  ADRG_PID=$!
  wait_for 60 healthy
}
# stop_adrg: SIGTERM and wait; returns adrg's exit status.
stop_adrg() {
  kill -TERM "$ADRG_PID"
  wait "$ADRG_PID"
}

# cpu_share_within CGROUP SECONDS LOW HIGH: the cgroup's share of the whole machine's CPU over
# SECONDS (e2e-helper cpu-share, from cpu.stat) goes to $share; true when LOW <= share <= HIGH.
cpu_share_within() {
  share=$(/bin/e2e-helper cpu-share "$1" "$2")
  awk -v s="$share" -v lo="$3" -v hi="$4" 'BEGIN { exit !(s >= lo && s <= hi) }'
}

# ------------------------------------------------------------------ systemd guests
# (run-vm.sh --systemd: the Debian root has curl and journalctl.)

# install_shipped_unit: the adrg under test as /usr/sbin/adrg and the repo's adrg.service
# unchanged (the share's files/adrg.service), plus the harness' own drop-in for the emulator and
# the build under test (CI's ASan build); the shipped unit's lines stay as they are otherwise:
# - the sanitizer settings;
# - a longer stop budget: every start and exit of the ASan build costs ~10 s under TCG on a
#   loaded host (relocating its ~110 MB, the leak check at exit), and TimeoutStopSec covers
#   adrg's exit plus ExecStopPost's `adrg --cleanup` together. The shipped 20 s is sized for a
#   native build, where both take milliseconds; 20 s was seen to be just too short here.
install_shipped_unit() {
  install -m 0755 "$H/bin/adrg" /usr/sbin/adrg
  install -m 0644 "$H/files/adrg.service" /etc/systemd/system/adrg.service
  mkdir -p /etc/systemd/system/adrg.service.d
  {
    echo "[Service]"
    for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
      [ -n "${!var:-}" ] && echo "Environment=$var=${!var}"
    done
    echo "TimeoutStopSec=120s"
  } >/etc/systemd/system/adrg.service.d/e2e-harness.conf
}

# check_sanitizers: a sanitizer report anywhere in adrg.service's journal is a failure even when
# every check passed. Saves that journal to the share as adrg-journal.txt.
check_sanitizers() {
  if journalctl -u adrg.service --no-pager -o cat |
    grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" >/run/adrg-e2e/san.txt; then
    fail sanitizers "$(head -c 2000 /run/adrg-e2e/san.txt | tr '\n' '|')"
  else
    pass sanitizers "no sanitizer report in adrg.service's journal"
  fi
  journalctl -u adrg.service --no-pager -o short-monotonic >"$H/adrg-journal.txt" 2>&1
}
