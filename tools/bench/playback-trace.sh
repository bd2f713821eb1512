#!/usr/bin/env bash
# Lines up the player's late chunks with what adrg did just before each, on the clock both share
# (CLOCK_MONOTONIC: bench_playback's third column, `journalctl -o short-monotonic`'s stamp).
# The docker-vm benchmark leaves both on its share: playback-NAME.txt, playback-NAME-adrg.log.
#
#   tools/bench/playback-trace.sh RECORD ADRG_LOG [WINDOW_S=2] [LATE_MS=1]
#
# For every chunk late by more than LATE_MS: "late X ms at T s" and the adrg log lines of the
# WINDOW_S seconds before its deadline. Prints nothing else; asserts nothing.
set -euo pipefail
[ $# -ge 2 ] || {
  echo "usage: $0 RECORD ADRG_LOG [WINDOW_S] [LATE_MS]" >&2
  exit 2
}
awk -v window="${3:-2}" -v threshold="${4:-1}" '
  FNR == NR {
    # journalctl -o short-monotonic: "[ 1234.567890] host adrg[42]: message"
    if (match($0, /^\[ *[0-9]+\.[0-9]+\]/)) {
      stamp = substr($0, RSTART + 1, RLENGTH - 2) + 0
      n++
      at[n] = stamp
      text[n] = substr($0, RLENGTH + 2)
    }
    next
  }
  NF >= 3 && $2 + 0 > threshold {
    due = $3 / 1000
    printf "late %.1f ms at %.3f s (%.1f s into the play)\n", $2, due, $1 / 1000
    for (i = 1; i <= n; i++) {
      if (at[i] > due - window && at[i] <= due) printf "    %+7.3f s  %s\n", at[i] - due, text[i]
    }
  }
' "$2" "$1"
