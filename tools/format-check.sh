#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format makes of it (ctest: format_check).
# Fix with: git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v clang-format >/dev/null || { echo "format-check: clang-format missing" >&2; exit 77; }
# Outside a git checkout (a source tarball) there is nothing tracked to check.
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null) || exit 77
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format-check: $(echo "$files" | wc -l) files as .clang-format wants them"
