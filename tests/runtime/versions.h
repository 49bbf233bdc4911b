#pragma once
// One engine through a series of versions of its journeys, for the reload
// and migration tests: every version is checked (and compiled, for the
// JIT) over the same records, and outlives the engine.

#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {

inline constexpr const char* kRecords = R"(
profile hcp   { id: string key, name: string, rep: string }
profile staff { id: string key, name: string }
channel email { kind message  to hcp }
event enrolled      keyed by hcp { hcp: string }
event unsubscribed  keyed by hcp { hcp: string }
)";

/// One engine through a series of versions of its journeys.
class Versions {
 public:
  Versions(const std::string& journeys, bool jit) : jit_(jit) {
    engine_ = Build(journeys)->NewEngine();
    Feed(R"({"type":"hcp","id":"hcp-1","name":"Dr. One","rep":"r"})"
         "\n"
         R"({"type":"hcp","id":"hcp-2","name":"Dr. Two","rep":"r"})",
         Accept::kProfiles);
  }

  /// Reloads to `journeys`; the report, or the engine's refusal.
  Result<Engine::ReloadReport> Reload(const std::string& journeys) {
    const JourneySet* next = Build(journeys);
    return engine_->Reload(next->ir(), next->schemas(), next->functions(), next->native());
  }

  /// Events (or profiles) as NDJSON, each at its `at`.
  void Feed(const std::string& ndjson, Accept accept = Accept::kEvents) {
    std::istringstream in(ndjson);
    DecodeOptions options;
    options.accept = accept;
    DecodedFile f = DecodeFile(sets_.back()->schemas(), in, options);
    for (const auto& e : f.errors) ADD_FAILURE() << e.ToString();
    for (const Record& r : f.records) {
      if (accept == Accept::kProfiles) engine_->UpsertProfile(r);
      else engine_->Ingest(r);
    }
  }

  /// The decisions since the last call, one line each:
  /// "customer journey vVERSION kind content".
  std::vector<std::string> Decisions(const char* until) {
    engine_->AdvanceTo(*ToInstant(compiler::eval::ParseTimestamp(until).AsTimestamp()));
    engine_->Flush();
    std::vector<std::string> out;
    for (const Decision& d : engine_->TakeDecisions())
      out.push_back(d.customer + " " + d.journey + " v" + std::to_string(d.version) + " " +
                    DecisionKindName(d.kind) + " " + (d.kind == DecisionKind::kError ? d.reason : d.content));
    EXPECT_EQ(engine_->interpreted_fallbacks(), 0u);
    return out;
  }

  Engine& engine() { return *engine_; }

 private:
  const JourneySet* Build(const std::string& journeys) {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText({{"records.tutti", kRecords}, {"journeys.tutti", journeys}},
                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
    if (jit_) EXPECT_TRUE(set->Compile().ok());
    sets_.push_back(std::move(set));
    return sets_.back().get();
  }

  bool jit_;
  std::vector<std::unique_ptr<JourneySet>> sets_;  // every version outlives the engine
  std::unique_ptr<Engine> engine_;
};

/// A journey on `enrolled` with `head` (metadata, exits) and `body`.
inline std::string Journey(const std::string& name, const std::string& body, const std::string& head = "") {
  return "import \"records\"\njourney " + name + " {\n" + head + "  on enrolled\n" + body + "}\n";
}

inline std::string Enrolled(const char* hcp, const char* at) {
  return std::string(R"({"type":"enrolled","hcp":")") + hcp + R"(","at":")" + at + "\"}";
}

}  // namespace tutti::runtime
