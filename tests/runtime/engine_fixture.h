#pragma once
// A whole engine built from journey source text, for tests: a JourneySet,
// NDJSON decoding, and runs through runtime::Simulate. Fails the test on
// any diagnostic or bad line.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "runtime/simulate/simulation.h"

namespace tutti::runtime::testing {

class EngineFixture {
 public:
  /// `sources` are (file name, text) pairs; `import "std/..."` reads the
  /// source tree's stdlib.
  explicit EngineFixture(const std::vector<std::pair<std::string, std::string>>& sources) {
    compiler::DiagnosticSink sink;
    set_ = JourneySet::FromText(sources, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    EXPECT_NE(set_, nullptr) << compiler::RenderText(sink.Sorted());
  }

  /// Decodes NDJSON text; bad lines fail the test.
  std::vector<Record> Decode(const std::string& ndjson, Accept accept) {
    std::istringstream in(ndjson);
    DecodeOptions options;
    options.accept = accept;
    DecodedFile f = DecodeFile(schemas(), in, options);
    for (const auto& e : f.errors) ADD_FAILURE() << e.ToString();
    return std::move(f.records);
  }

  /// Simulates `events` over `profiles` on a fresh engine; the decisions
  /// as NDJSON text.
  std::string Run(const std::vector<Record>& profiles, const std::vector<Record>& events,
                  std::optional<Instant> until = std::nullopt) {
    auto engine = set_->NewEngine();
    SimulationResult r = Simulate(*engine, profiles, events, until);
    std::string out;
    for (const auto& d : r.decisions) out += ToJson(d) + "\n";
    return out;
  }

  const JourneySet& set() const { return *set_; }
  const compiler::ir::Program& ir() const { return set_->ir(); }
  const SchemaTable& schemas() const { return set_->schemas(); }

 private:
  std::unique_ptr<JourneySet> set_;
};

}  // namespace tutti::runtime::testing
