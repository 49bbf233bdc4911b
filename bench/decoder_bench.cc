// How fast NDJSON lines become records: each line read straight into its
// record (DecodeLine, records/direct_decoder.h) against the same line
// parsed into a JSON document first (DecodeThroughDocument, the reference
// it is held to), on the same lines in memory, the two alternating in one
// run. Lines from engine_bench's world (--write-world), whose journeys
// declare the schemas:
//
//   ./build/bench/engine_bench --throughput=1000/100000/1000000 --write-world=/tmp/world
//   taskset -c 1 ./build/bench/decoder_bench --world=/tmp/world --lines=200000 --repetitions=5
//
// Prints, per file, the median MB/s of each way over the repetitions and
// their ratio, and checks that both ways gave the same records.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/eval/value.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

namespace {

using namespace tutti;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Seconds to decode every line one way; `kept` counts the records.
template <typename Decode>
double Time(const std::vector<std::string>& lines, Decode decode, size_t& kept) {
  auto start = std::chrono::steady_clock::now();
  kept = 0;
  for (size_t i = 0; i < lines.size(); ++i) kept += decode(lines[i], i + 1).ok();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string world;
  size_t most = 200000;
  int repetitions = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--world=", 0) == 0) world = a.substr(8);
    else if (a.rfind("--lines=", 0) == 0) most = std::stoul(a.substr(8));
    else if (a.rfind("--repetitions=", 0) == 0) repetitions = std::max(1, std::stoi(a.substr(14)));
    else {
      std::fprintf(stderr, "usage: decoder_bench --world=DIR [--lines=N] [--repetitions=N]\n");
      return 2;
    }
  }
  if (world.empty()) {
    std::fprintf(stderr, "decoder_bench: --world=DIR is required (engine_bench --write-world=DIR writes one)\n");
    return 2;
  }
  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::Load({world + "/journeys"}, TUTTI_STDLIB_DIR, sink);
  if (set == nullptr) {
    std::fprintf(stderr, "decoder_bench: the world's journeys do not check\n");
    return 1;
  }
  const runtime::SchemaTable& schemas = set->schemas();
  for (const char* file : {"profiles.ndjson", "events.ndjson"}) {
    std::ifstream in(world + "/" + file);
    std::vector<std::string> lines;
    size_t bytes = 0;
    for (std::string line; lines.size() < most && std::getline(in, line);) {
      bytes += line.size() + 1;
      lines.push_back(std::move(line));
    }
    if (lines.empty()) {
      std::fprintf(stderr, "decoder_bench: no lines in %s/%s\n", world.c_str(), file);
      return 1;
    }
    std::vector<double> direct, document;
    size_t direct_kept = 0, document_kept = 0;
    for (int r = 0; r < repetitions; ++r) {
      direct.push_back(Time(lines, [&](const std::string& l, size_t n) { return runtime::DecodeLine(schemas, l, n); },
                            direct_kept));
      document.push_back(Time(
          lines, [&](const std::string& l, size_t n) { return runtime::DecodeThroughDocument(schemas, l, n); },
          document_kept));
    }
    // The same records both ways (a sample: every 97th line).
    for (size_t i = 0; i < lines.size(); i += 97) {
      runtime::DecodeResult a = runtime::DecodeLine(schemas, lines[i], 1), b = runtime::DecodeThroughDocument(schemas, lines[i], 1);
      if (a.ok() != b.ok() || (a.ok() && compiler::eval::DebugString(runtime::RecordValue(a.record())) !=
                                             compiler::eval::DebugString(runtime::RecordValue(b.record())))) {
        std::fprintf(stderr, "decoder_bench: the two ways differ on line %zu of %s\n", i + 1, file);
        return 1;
      }
    }
    double mb = static_cast<double>(bytes) / 1e6;
    std::printf("%-16s %8zu lines %7.1f MB  direct %7.1f MB/s  document %6.1f MB/s  ratio %.2fx  (records %zu / %zu)\n",
                file, lines.size(), mb, mb / Median(direct), mb / Median(document), Median(document) / Median(direct),
                direct_kept, document_kept);
  }
  return 0;
}
