#!/usr/bin/env bash
# Tutti beside other rule engines: runs ../shared/peerbench (CLIPS, GoRules
# Zen, json-rules-engine, nools, two hand-written C++ loops) with Tutti's
# driver (bench/peerbench_driver.cc) added through its PB_EXTRA list, in one
# session, on the same rules and events, every engine's per-rule counts
# checked against the harness's reference. shared/ is read-only, so the
# harness is copied out first.
#
#   bench/peerbench.sh [run.sh options]     e.g. -r 1, or -e "naive indexed tutti"
#   env: PB_DIR (default /tmp/tutti-peerbench): where the copy runs
#        BUILD (default build): the build holding bench/peerbench_driver
#
# Needs the harness's own set-up once (root): ../shared/peerbench/setup.sh
# installs libclips-dev and its npm packages. Results: $PB_DIR/results/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared/peerbench
dir=${PB_DIR:-/tmp/tutti-peerbench}
driver=$root/${BUILD:-build}/bench/peerbench_driver
[ -x "$driver" ] || { echo "build $driver first (cmake --build build --target peerbench_driver)" >&2; exit 1; }
[ -d "$shared" ] || { echo "no harness at $shared" >&2; exit 1; }

mkdir -p "$dir"
# The copy keeps its data/, build/, results/ and node_modules/ between runs.
cp -r "$shared/." "$dir/"
[ -d "$dir/node_modules/json-rules-engine" ] || (cd "$dir" && ./setup.sh)

# M per N as the harness chooses them for its fastest engines: about 1-10 s
# of evaluation each.
cat > "$dir/tutti.extra" <<EOF
# NAME  N  M  PROGRAM
tutti 100   1000000 $driver
tutti 1000  1000000 $driver
tutti 10000 200000  $driver
EOF
cd "$dir"
PB_EXTRA=tutti.extra ./run.sh "$@"
