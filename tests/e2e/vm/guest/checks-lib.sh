# shellcheck shell=bash
# Sourced by the systemd VM's guest scripts (run-vm.sh puts it on the share as
# /mnt/host/checks-lib.sh): one verdict line per check and bounded waits. Set RESULT (the
# result.txt path) before calling pass/fail; $fails counts the failures (the exit status).
fails=0

pass() { echo "PASS $*" | tee -a "$RESULT"; }
fail() {
  echo "FAIL $*" | tee -a "$RESULT"
  fails=$((fails + 1))
}

# wait_for SECONDS CMD...: poll CMD every 100 ms until it succeeds or the deadline passes.
wait_for() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.1
  done
}
