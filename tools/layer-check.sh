#!/usr/bin/env bash
# Fails when a source file includes a header from a layer above its own (ctest: layer_check).
# The layers, bottom up; a file may include its own layer and any below it:
#   0 core/         the foundation: reactor, clock, fs, HTTP client, JSON, log
#   1 config/
#   2 sensors/      what is observed (PSI, thermal, cgroup events, the cgroup inventory)
#   3 enforcers/    pure policy: tiers, the rules and the planner
#   4 actuator/     plan -> effects: journaled writes, relief, restore
#   5 integrations/ Docker, HTTP API, media, downloads, notifications, systemd
#   6 jobs/         the job runner (the cgroupd half)
#   7 daemon/       the wiring: Governor, run modes, CLI, main
#   8 tools/        adrgctl and the benchmarks
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

layer_of() {
  case "$1" in
    core/*) echo 0 ;;
    config/*) echo 1 ;;
    sensors/*) echo 2 ;;
    enforcers/*) echo 3 ;;
    actuator/*) echo 4 ;;
    integrations/*) echo 5 ;;
    jobs/*) echo 6 ;;
    daemon/*) echo 7 ;;
    tools/*) echo 8 ;;
    *) echo -1 ;;
  esac
}

bad=0
checked=0
while IFS= read -r file; do
  from=$(layer_of "$file")
  [ "$from" -ge 0 ] || continue
  while IFS= read -r header; do
    to=$(layer_of "$header")
    [ "$to" -ge 0 ] || continue
    checked=$((checked + 1))
    if [ "$to" -gt "$from" ]; then
      echo "layer-check: $file (layer $from) includes $header (layer $to): upward" >&2
      bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find core config sensors enforcers actuator integrations jobs daemon tools -name '*.cpp' -o -name '*.h')

if [ "$bad" -gt 0 ]; then
  echo "layer-check: $bad upward include(s); see the layers at the top of $0" >&2
  exit 1
fi
echo "layer-check: $checked includes between layers, none upward"
