// Fuzzes the engine core behind the edge: any bytes, read as NDJSON
// events, run through the reference journeys (journeys/) over a slice of
// the abc-pharma profiles (accounts, staff and the first prescribers).
// Whatever decodes must be processed, and time run to the end, without a
// crash, a leak or an exception: nothing a producer sends may take the
// engine down.
//
// It is also the differential test of the two engines on journeys: every
// input runs through the interpreter and through the JIT's native code,
// and any difference in the decisions (bytes of their JSON) aborts, so
// libFuzzer keeps the input. Such an input belongs in tests/scenarios as a
// regression case once understood.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

namespace {

using namespace tutti;

struct World {
  std::unique_ptr<runtime::JourneySet> set;
  std::vector<runtime::Record> profiles;

  World() {
    compiler::DiagnosticSink sink;
    std::string src = TUTTI_SOURCE_DIR;
    set = runtime::JourneySet::Load({src + "/journeys"}, src + "/stdlib", sink);
    if (set == nullptr) std::abort();
    if (!set->Compile().ok()) std::abort();
    std::ifstream in(src + "/examples/abc-pharma/profiles.ndjson");
    std::string line;
    for (size_t n = 1; std::getline(in, line) && n <= 80; ++n) {
      auto r = runtime::DecodeLine(set->schemas(), line, n);
      if (r.ok()) profiles.push_back(std::move(r.record()));
    }
  }
};

const World& TheWorld() {
  static const World* world = new World();
  return *world;
}

}  // namespace

namespace {

/// The decisions of one engine over the input, as JSON lines.
std::string Run(const World& w, const runtime::DecodedFile& events, bool interpret) {
  runtime::EngineOptions options;
  options.interpret = interpret;
  auto engine_ptr = w.set->NewEngine(options);
  runtime::Engine& engine = *engine_ptr;
  for (const auto& p : w.profiles) engine.UpsertProfile(p);
  for (const auto& e : events.records) engine.Ingest(e);
  // Run every timer, but stop a pathological input after a bounded number.
  for (int i = 0; i < 100000; ++i) {
    auto due = engine.NextDue();
    if (!due) break;
    engine.AdvanceTo(*due);
  }
  engine.Flush();
  std::string out;
  for (const auto& d : engine.TakeDecisions()) out += runtime::ToJson(d) + "\n";
  if (!interpret && engine.interpreted_fallbacks() != 0) {
    std::fprintf(stderr, "engine_fuzzer: the JIT fell back to the interpreter %llu times\n",
                 static_cast<unsigned long long>(engine.interpreted_fallbacks()));
    std::abort();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const World& w = TheWorld();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  runtime::DecodeOptions options;
  options.accept = runtime::Accept::kEvents;
  runtime::DecodedFile events = runtime::DecodeFile(w.set->schemas(), in, options);
  std::string interpreted = Run(w, events, true);
  std::string native = Run(w, events, false);
  if (interpreted != native) {
    std::fprintf(stderr, "engine_fuzzer: the engines disagree\n--- interpreter\n%s--- jit\n%s", interpreted.c_str(),
                 native.c_str());
    std::abort();
  }
  return 0;
}
