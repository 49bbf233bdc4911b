#!/usr/bin/env bash
# Runs the parser fuzzer for a fixed time, seeded with every .tutti file of
# the project. Usage: run_parser_fuzzer.sh FUZZER SOURCE_DIR SECONDS
set -euo pipefail
fuzzer=$1 source=$2 seconds=$3
if [ ! -x "$fuzzer" ]; then
  echo "fuzzer not built: $fuzzer (run ./setup.sh test)" >&2
  exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
find "$source/journeys" "$source/stdlib" "$source/tests/golden" "$source/tests/errors" \
     -name '*.tutti' -exec cp {} "$corpus/" \; 2>/dev/null || true
# Keep crash artefacts out of the source tree.
cd "$corpus"
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
          -print_final_stats=1 "$corpus"
