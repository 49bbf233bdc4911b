#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds Tutti, and runs
#   ./setup.sh demo   the main job: check the reference journeys, play the
#                     reference scenario (examples/abc-pharma) through them,
#                     then serve it as a daemon on 127.0.0.1:8080
#   ./setup.sh test   every test (what .ci/run runs)
#   ./setup.sh build  just install and build
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-demo}

packages=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config antlr4 libantlr4-runtime-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
          libre2-dev libhowardhinnant-date-dev tzdata graphviz python3
          libboost-dev librocksdb-dev curl llvm-16-dev libssl-dev openssl librdkafka-dev nodejs chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes with NodeSource's nodejs, or as Debian's own package.
command -v npm > /dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The console's browser code (console/package-lock.json): the layout
# library built into the binary, and what its tests drive Chromium with.
if [[ ! -f console/node_modules/.package-lock.json || console/package-lock.json -nt console/node_modules/.package-lock.json ]]; then
  echo "== installing the console's npm packages (console/node_modules)"
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
fi

jobs=$(nproc)
echo "== building (build/)"
mkdir -p build
# The benchmarks (bench/, docs/performance.md) are built by `demo` and
# `build`; `test` leaves them out to keep CI within its time.
bench=ON
[[ $mode == test ]] && bench=OFF
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTUTTI_FUZZER_DIR="$PWD/build-fuzz" -DTUTTI_BUILD_BENCH=$bench > build/cmake.log
cmake --build build -j "$jobs"

case "$mode" in
  build) ;;
  demo)
    echo "== tutti check journeys stdlib examples"
    ./build/cli/tutti check journeys stdlib examples
    echo "== tutti simulate: the GLIDIM formulary win at Empire Health (examples/abc-pharma)"
    ./build/cli/tutti simulate --journeys journeys \
        --profiles examples/abc-pharma/profiles.ndjson --events examples/abc-pharma/events.ndjson \
        --until 2026-04-30T00:00:00Z > build/abc-pharma-decisions.ndjson
    echo "== Dr. Naomi Castillo's part of the story (hcp-empire-00017)"
    grep '"customer":"hcp-empire-00017"' build/abc-pharma-decisions.ndjson | cut -c1-240
    echo "== every decision: build/abc-pharma-decisions.ndjson ($(wc -l < build/abc-pharma-decisions.ndjson) lines)"
    echo "== tutti serve: the same journeys, profiles and events as a daemon on 127.0.0.1:8080 (Ctrl-C stops it)"
    rm -rf build/demo-data
    ./build/cli/tutti serve --journeys journeys --data build/demo-data --listen 127.0.0.1:8080 \
        --profiles examples/abc-pharma/profiles.ndjson --clock virtual &
    daemon=$!
    trap 'kill "$daemon" 2> /dev/null' INT TERM EXIT
    for _ in $(seq 300); do
      curl -sf 127.0.0.1:8080/readyz > /dev/null && break
      kill -0 "$daemon" 2> /dev/null || { echo "tutti serve stopped before it was ready" >&2; exit 1; }
      sleep 0.2
    done
    echo "== playing the scenario's events into it, and its clock to 2026-04-30"
    curl -sf -H 'Content-Type: application/x-ndjson' --data-binary @examples/abc-pharma/events.ndjson \
        127.0.0.1:8080/v1/events > /dev/null
    curl -sf -H 'Content-Type: application/json' -d '{"to": "2026-04-30T00:00:00Z"}' 127.0.0.1:8080/v1/clock > /dev/null
    echo "   the console: http://127.0.0.1:8080/console/ (docs/console.md says what each role does there):"
    echo "     the marketer    #/journeys/glidim_formulary_win (3,091 entered; #/journeys/last/30 for a window)"
    echo "     the rep, the KAM #/customers/hcp-empire-00017 (Dr. Naomi Castillo) and #/accounts/empire-health"
    echo "     the MSL, the call center  #/work"
    echo "     the director    #/director/empire-health"
    echo "     the operator    #/operator"
    echo "   in another terminal:"
    echo "     tail -f build/demo-data/actions.ndjson"
    echo "     curl -s localhost:8080/v1/customers/hcp-empire-00017 | head -c 600"
    echo "     curl -s 'localhost:8080/v1/actions?limit=1'            # then, with its idempotency_key:"
    echo "     curl -s localhost:8080/v1/decisions/KEY/why             # why it was sent: inputs, choices, policy"
    echo "   (docs/operations.md: every endpoint and setting)"
    wait "$daemon"
    ;;
  test)
    echo "== building the fuzzers, and the daemon its end-to-end tests run again, with clang, ASan and UBSan (build-fuzz/)"
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DTUTTI_FUZZ=ON > /dev/null
    cmake --build build-fuzz -j "$jobs" --target parser_fuzzer decoder_fuzzer engine_fuzzer http_fuzzer \
          stream_fuzzer peer_fuzzer config_fuzzer stored_fuzzer kafka_record_fuzzer lsp_fuzzer tutti
    echo "== running every test"
    # Twice as many tests as cores: the end-to-end tests spend most of their
    # time waiting (Kafka's rebalances, timers, restarts), and at one test
    # per core the cores stood idle a third of the time (docs/performance.md).
    cd build && ctest --output-on-failure -j "$((jobs * 2))"
    ;;
  *) echo "usage: $0 [demo|test|build]" >&2; exit 2 ;;
esac
