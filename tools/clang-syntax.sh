#!/usr/bin/env bash
# Compiles every translation unit of a configured build with clang in -fsyntax-only mode, with the
# project's warnings as errors: the code stays clean for both compilers without a second full
# build. Reads BUILD_DIR/compile_commands.json (default build-asan; any GCC build works),
# drops GCC-only and sanitizer flags, and runs one clang per core. With a REGEX, only the
# translation units whose path (relative to the checkout) matches it (tools/clang-tidy.sh checks
# the others more deeply).
#   tools/clang-syntax.sh [BUILD_DIR [REGEX]]
# Exit 77 when clang++ is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-asan}"
command -v clang++ >/dev/null || { echo "clang-syntax: no clang++" >&2; exit 77; }
[ -f "$build/compile_commands.json" ] || { echo "clang-syntax: $build/compile_commands.json missing (configure first)" >&2; exit 2; }
filter="${2:-}"
started=$(date +%s)
python3 - "$build/compile_commands.json" "$here" "$filter" <<'PY' | xargs -0 -P "$(nproc)" -n 1 bash -c 'eval "$0"'
import json, os, re, shlex, sys
root, pattern = sys.argv[2], sys.argv[3]
for entry in json.load(open(sys.argv[1])):
    if pattern and not re.search(pattern, os.path.relpath(entry["file"], root)):
        continue
    out, skip = [], False
    for arg in shlex.split(entry["command"])[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT"):
            skip = True
            continue
        if arg in ("-c", "-MD") or arg.startswith("-fsanitize"):
            continue
        out.append(arg)
    cmd = "cd %s && clang++ -fsyntax-only %s || { echo 'clang-syntax: FAILED %s' >&2; exit 255; }" % (
        shlex.quote(entry["directory"]), " ".join(shlex.quote(a) for a in out), entry["file"])
    sys.stdout.write(cmd + "\0")
PY
count=$(python3 -c 'import json, os, re, sys
print(sum(1 for e in json.load(open(sys.argv[1]))
          if not sys.argv[3] or re.search(sys.argv[3], os.path.relpath(e["file"], sys.argv[2]))))' \
  "$build/compile_commands.json" "$here" "$filter")
echo "clang-syntax: $count translation units clean with clang in $(($(date +%s) - started)) s"
