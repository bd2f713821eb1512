#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy, every finding an error) over every production
# translation unit of a configured build, one clang-tidy per core; clang parses each with the
# build's own flags, so clang's warnings count too. The tests' translation units go through
# clang -fsyntax-only (tools/clang-syntax.sh): same warnings, a third of the time.
#   tools/clang-tidy.sh [BUILD_DIR]          (default build-asan; any GCC build works)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Installed here, not listed in packages.sh (as fuzz.sh's clang): the Dockerfile copies that file
# before its package layers, so an edit there rebuilds the image's apt layers in CI.
# shellcheck source=tools/packages.sh
source "$here/tools/packages.sh"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
install_missing clang-tidy
build="${1:-$here/build-asan}"
tidy=$(command -v clang-tidy || command -v clang-tidy-14)
[ -f "$build/compile_commands.json" ] || { echo "clang-tidy: $build/compile_commands.json missing (configure first)" >&2; exit 2; }
started=$(date +%s)
# Production = not under tests/ (the fuzzers' harnesses live in tests/ too).
mapfile -t units < <(python3 - "$build/compile_commands.json" "$here" <<'PY'
import json, os, sys
seen = set()
for entry in json.load(open(sys.argv[1])):
    rel = os.path.relpath(entry["file"], sys.argv[2])
    if not rel.startswith("tests/") and rel not in seen:
        seen.add(rel)
        print(entry["file"])
PY
)
status=0
# -Wno-unknown-warning-option: the build's GCC-only warning flags mean nothing to clang.
# "N warnings generated" counts what the header filter and the check list then drop: noise.
# Any line left fails the run: clang-tidy 14 exits 0 on a .clang-tidy it cannot parse.
findings="$build/clang-tidy.log"
set +e
printf '%s\0' "${units[@]}" | xargs -0 -P "$(nproc)" -n 1 \
  "$tidy" -p="$build" -quiet --extra-arg=-Wno-unknown-warning-option 2>&1 |
  grep -v ' warnings\? generated\.$' >"$findings"
tidy_status=${PIPESTATUS[1]}
set -e
[ "$tidy_status" -eq 0 ] || status=1
if [ -s "$findings" ]; then
  cat "$findings"
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "clang-tidy: FAILED (findings above)" >&2
  exit 1
fi
echo "clang-tidy: ${#units[@]} production translation units clean in $(($(date +%s) - started)) s"
"$here/tools/clang-syntax.sh" "$build" '^tests/'
