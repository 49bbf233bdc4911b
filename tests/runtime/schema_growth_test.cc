// Records grow under running journeys: a reload may add optional fields
// (anywhere), events and profiles, and every record the engine holds moves
// to the new layout by field name; what stored records hold cannot be
// removed or retyped. Checked on the interpreter and on native code, and
// across a snapshot taken after the growth.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {
namespace {

constexpr const char* kBefore = R"tutti(
profile hcp { id: string key, name: string }
event enrolled keyed by hcp { hcp: string }
channel email { kind message  to hcp }
journey onboarding {
  on enrolled as e
  wait 2d
  send email "welcome {hcp.name}, enrolled for {e.hcp}"
}
)tutti";

// The same journey, word for word; an optional field in the middle of hcp
// and one at the end of enrolled; a new profile, event and journey.
constexpr const char* kAfter = R"tutti(
profile hcp { id: string key, tags: list<string>?, name: string }
profile account { id: string key, region: string }
event enrolled keyed by hcp { hcp: string, source: string? }
event clicked keyed by hcp { hcp: string, link: string }
channel email { kind message  to hcp }
channel letter { kind message  to hcp }
journey onboarding {
  on enrolled as e
  wait 2d
  send email "welcome {hcp.name}, enrolled for {e.hcp}"
}
journey tagging {
  reentry always
  on clicked as c
  if has(hcp.tags) {
    send letter "tagged {hcp.name}: {hcp.tags[0]}"
  } else {
    send letter "untagged {hcp.name} ({c.link})"
  }
}
)tutti";

class Growth : public ::testing::TestWithParam<bool> {
 protected:
  const JourneySet* Build(const std::string& text) {
    compiler::DiagnosticSink sink;
    sets_.push_back(JourneySet::FromText({{"j.tutti", text}}, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink));
    EXPECT_NE(sets_.back(), nullptr) << compiler::RenderText(sink.Sorted());
    if (GetParam()) EXPECT_TRUE(sets_.back()->Compile().ok());
    return sets_.back().get();
  }
  std::unique_ptr<Engine> NewEngine(const JourneySet& set) {
    EngineOptions options;
    options.interpret = !GetParam();
    return set.NewEngine(options);
  }
  static void Feed(Engine& engine, const JourneySet& set, const std::string& ndjson) {
    std::istringstream in(ndjson);
    DecodeOptions options;
    options.accept = Accept::kEither;
    DecodedFile f = DecodeFile(set.schemas(), in, options);
    for (const auto& e : f.errors) ADD_FAILURE() << e.ToString();
    for (const Record& r : f.records) {
      if (r.kind() == RecordKind::kProfile) engine.UpsertProfile(r);
      else engine.Ingest(r);
    }
  }
  static std::vector<std::string> Sent(Engine& engine, const char* until) {
    engine.AdvanceTo(*ToInstant(compiler::eval::ParseTimestamp(until).AsTimestamp()));
    engine.Flush();
    std::vector<std::string> out;
    for (const Decision& d : engine.TakeDecisions()) out.push_back(d.customer + " " + d.content);
    return out;
  }
  std::vector<std::unique_ptr<JourneySet>> sets_;
};

TEST_P(Growth, OptionalFieldsNewEventsAndProfilesAreANormalReload) {
  const JourneySet* before = Build(kBefore);
  const JourneySet* after = Build(kAfter);
  auto engine = NewEngine(*before);
  Feed(*engine, *before,
       R"({"type":"hcp","id":"hcp-1","name":"Dr. One"})" "\n"
       R"({"type":"enrolled","hcp":"hcp-1","at":"2026-03-02T10:00:00Z"})");
  auto report = engine->Reload(after->ir(), after->schemas(), after->functions(), after->native());
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->unchanged, std::vector<std::string>{"onboarding"});
  EXPECT_EQ(report->carried_over, 1u);
  std::string saved = engine->Save();

  auto go_on = [&](Engine& e) {
    std::vector<std::string> out;
    // The waiting instance reads hcp.name, now in another slot, and the
    // event it holds, now a field longer.
    for (auto& s : Sent(e, "2026-03-05T00:00:00Z")) out.push_back(s);
    Feed(e, *after, R"({"type":"clicked","hcp":"hcp-1","link":"l1","at":"2026-03-05T10:00:00Z"})");
    for (auto& s : Sent(e, "2026-03-05T10:00:00Z")) out.push_back(s);
    // The new field, and the new profile, once records carry them.
    Feed(e, *after,
         R"({"type":"hcp","id":"hcp-1","name":"Dr. One","tags":["kol"]})" "\n"
         R"({"type":"account","id":"acme","region":"east"})" "\n"
         R"({"type":"clicked","hcp":"hcp-1","link":"l2","at":"2026-03-06T10:00:00Z"})");
    for (auto& s : Sent(e, "2026-03-06T10:00:00Z")) out.push_back(s);
    return out;
  };
  const std::vector<std::string> expected{"hcp-1 welcome Dr. One, enrolled for hcp-1", "hcp-1 untagged Dr. One (l1)",
                                          "hcp-1 tagged Dr. One: kol"};
  EXPECT_EQ(go_on(*engine), expected);
  // A snapshot taken after the growth restores into an engine that took
  // the same versions, and goes on the same way.
  auto restored = NewEngine(*before);
  ASSERT_TRUE(restored->Reload(after->ir(), after->schemas(), after->functions(), after->native()).ok());
  Status status = restored->Restore(saved);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(go_on(*restored), expected);
}

TEST_P(Growth, WhatStoredRecordsHoldCannotBeTakenAwayOrRetyped) {
  const JourneySet* before = Build(kBefore);
  auto engine = NewEngine(*before);
  Feed(*engine, *before, R"({"type":"hcp","id":"hcp-1","name":"Dr. One"})");
  auto refusal = [&](const std::string& records) {
    std::string text = records + "channel email { kind message  to hcp }\n";
    const JourneySet* next = Build(text);
    if (next == nullptr) return std::string("(does not check)");
    auto r = engine->Reload(next->ir(), next->schemas(), next->functions(), next->native());
    return r.ok() ? std::string("(taken)") : r.status().message();
  };
  const std::string tail = ". Records may gain optional fields, and the journeys new events and profiles; what stored "
                           "profiles and waiting instances hold cannot be taken away or retyped";
  EXPECT_EQ(refusal("profile hcp { id: string key }\nevent enrolled keyed by hcp { hcp: string }\n"),
            "the records cannot grow into the new version's: profile 'hcp' no longer has field 'name' (stored "
            "records and running journeys hold it)" + tail);
  EXPECT_EQ(refusal("profile hcp { id: string key, name: int }\nevent enrolled keyed by hcp { hcp: string }\n"),
            "the records cannot grow into the new version's: profile 'hcp': field 'name' changed from string to int" +
                tail);
  EXPECT_EQ(refusal("profile hcp { id: string key, name: string, decile: int }\n"
                    "event enrolled keyed by hcp { hcp: string }\n"),
            "the records cannot grow into the new version's: profile 'hcp' has a new field 'decile' that is not "
            "optional: records already stored lack it (declare it 'decile: int?')" + tail);
  EXPECT_EQ(refusal("profile hcp { id: string key, name: string }\n"),
            "the records cannot grow into the new version's: event 'enrolled' is no longer declared" + tail);
  // A required field made optional, fields in another order: taken.
  EXPECT_EQ(refusal("profile hcp { name: string?, id: string key }\nevent enrolled keyed by hcp { hcp: string }\n"),
            "(taken)");
}

INSTANTIATE_TEST_SUITE_P(Engines, Growth, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Jit" : "Interpreter"; });

}  // namespace
}  // namespace tutti::runtime
