// `tutti simulate` as a stream: decisions handed on in batches that end at
// an instant's end are the decisions of one run held whole, and the writer
// that prints them keeps their order and tells a failed write.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "runtime/simulate/decision_writer.h"
#include "runtime/simulate/simulation.h"

namespace tutti::runtime {
namespace {

/// The reference scenario (examples/abc-pharma over journeys/).
struct Scenario {
  std::unique_ptr<JourneySet> set;
  std::vector<Record> profiles, events;
  Instant until = 0;
};

const Scenario& ReferenceScenario() {
  static const Scenario* scenario = [] {
    auto* s = new Scenario;
    const std::string root = TUTTI_SOURCE_DIR;
    compiler::DiagnosticSink sink;
    s->set = JourneySet::Load({root + "/journeys"}, root + "/stdlib", sink);
    EXPECT_NE(s->set, nullptr) << compiler::RenderText(sink.Sorted());
    DecodeOptions options;
    options.accept = Accept::kProfiles;
    s->profiles = DecodeFile(s->set->schemas(), root + "/examples/abc-pharma/profiles.ndjson", options).records;
    options.accept = Accept::kEvents;
    s->events = DecodeFile(s->set->schemas(), root + "/examples/abc-pharma/events.ndjson", options).records;
    s->until = *ParseInstant("2026-04-30T00:00:00Z");
    return s;
  }();
  return *scenario;
}

std::string Lines(const std::vector<Decision>& decisions) {
  std::string out;
  for (const Decision& d : decisions) out += ToJson(d) + "\n";
  return out;
}

TEST(Simulate, DecisionsHandedOnAtEveryInstantAreTheRunsDecisions) {
  const Scenario& s = ReferenceScenario();
  ASSERT_NE(s.set, nullptr);
  auto whole_engine = s.set->NewEngine();
  SimulationResult whole = Simulate(*whole_engine, s.profiles, s.events, s.until);
  ASSERT_GT(whole.decisions.size(), 5000u);
  EXPECT_EQ(whole.decided, whole.decisions.size());

  auto engine = s.set->NewEngine();
  std::vector<Decision> joined;
  size_t batches = 0;
  SimulationResult streamed = Simulate(
      *engine, s.profiles, s.events, s.until,
      [&](std::vector<Decision> batch) {
        ++batches;
        for (Decision& d : batch) joined.push_back(std::move(d));
      },
      /*batch=*/1);
  EXPECT_TRUE(streamed.decisions.empty());
  EXPECT_EQ(streamed.decided, whole.decisions.size());
  EXPECT_EQ(streamed.events_processed, whole.events_processed);
  EXPECT_GT(batches, 50u);
  EXPECT_EQ(Lines(joined), Lines(whole.decisions));
}

TEST(Simulate, AnEngineWithoutAnOutboxDecidesTheSame) {
  const Scenario& s = ReferenceScenario();
  ASSERT_NE(s.set, nullptr);
  auto with = s.set->NewEngine();
  EngineOptions options;
  options.outbox = false;
  auto without = s.set->NewEngine(options);
  std::string a = Lines(Simulate(*with, s.profiles, s.events, s.until).decisions);
  std::string b = Lines(Simulate(*without, s.profiles, s.events, s.until).decisions);
  EXPECT_EQ(a, b);
  EXPECT_GT(with->outbox().size(), 1000u);
  EXPECT_EQ(without->outbox().size(), 0u);
  EXPECT_EQ(without->work().open().size(), with->work().open().size());
}

TEST(DecisionWriter, WritesEveryBatchInOrder) {
  const Scenario& s = ReferenceScenario();
  ASSERT_NE(s.set, nullptr);
  auto engine = s.set->NewEngine();
  std::vector<Decision> all = Simulate(*engine, s.profiles, s.events, s.until).decisions;
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    DecisionWriter writer(file, /*max_waiting=*/2);
    for (size_t at = 0; at < all.size(); at += 97)
      writer.Write(std::vector<Decision>(all.begin() + static_cast<std::ptrdiff_t>(at),
                                         all.begin() + static_cast<std::ptrdiff_t>(std::min(at + 97, all.size()))));
    writer.Write({});
    EXPECT_TRUE(writer.Finish());
    EXPECT_TRUE(writer.Finish());
  }
  std::rewind(file);
  std::string written;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, file)) > 0;) written.append(buf, n);
  std::fclose(file);
  EXPECT_EQ(written, Lines(all));
}

TEST(DecisionWriter, AFailedWriteIsToldAndTheRunGoesOn) {
  const Scenario& s = ReferenceScenario();
  ASSERT_NE(s.set, nullptr);
  std::FILE* full = std::fopen("/dev/full", "w");
  if (full == nullptr) GTEST_SKIP() << "no /dev/full here";
  auto engine = s.set->NewEngine();
  DecisionWriter writer(full, /*max_waiting=*/1);
  SimulationResult r = Simulate(*engine, s.profiles, s.events, s.until,
                                [&](std::vector<Decision> batch) { writer.Write(std::move(batch)); }, 64);
  EXPECT_GT(r.decided, 5000u);
  EXPECT_FALSE(writer.Finish());
  std::fclose(full);
}

}  // namespace
}  // namespace tutti::runtime
