#!/usr/bin/env bash
# Runs a fuzzer for a fixed time over a seed corpus made of project files.
# Usage: run_fuzzer.sh FUZZER SECONDS SEED_PATTERN DIR...
#   e.g. run_fuzzer.sh build-fuzz/tests/fuzz/parser_fuzzer 45 '*.tutti' journeys stdlib
set -euo pipefail
fuzzer=$(realpath -m "$1") seconds=$2 pattern=$3
shift 3
if [ ! -x "$fuzzer" ]; then
  echo "fuzzer not built: $fuzzer (run ./setup.sh test)" >&2
  exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for dir in "$@"; do
  find "$dir" -name "$pattern" -size -64k -exec cp --backup=numbered {} "$corpus/" \; 2>/dev/null || true
done
# NDJSON seeds: one line per file, so the fuzzer starts from real records.
if [ "$pattern" = '*.ndjson' ]; then
  for f in "$corpus"/*; do
    split -l 1 -a 4 "$f" "$corpus/line-$(basename "$f")-" && rm -f "$f"
  done
  ls "$corpus" | tail -n +400 | sed "s|^|$corpus/|" | xargs -r rm -f
fi
# Crash artefacts go to the temporary folder, not the source tree.
cd "$corpus"
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
          -print_final_stats=1 "$corpus"
