#pragma once
// The reference scenario (journeys/, examples/abc-pharma) as the cluster's
// tests play it: its events in time order, the actions one engine makes
// from it (what `tutti simulate` makes), and the actions a cluster wrote
// to tutti.actions, each named the same way so that the two compare.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/cluster/kafka.h"
#include "runtime/engine/journey_set.h"
#include "runtime/simulate/simulation.h"

namespace tutti::testing {

inline const std::string kScenarioUntil = "2026-04-30T00:00:00Z";

inline std::string ScenarioFile(const std::string& name) {
  std::ifstream in(std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The scenario's events, one NDJSON line each, in time order (as one
/// engine takes them: Simulate sorts them too).
inline std::vector<std::string> ScenarioEvents() {
  std::vector<std::pair<std::string, std::string>> events;
  std::istringstream in(ScenarioFile("events.ndjson"));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) events.emplace_back(nlohmann::json::parse(line).value("at", ""), line);
  std::stable_sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> lines;
  for (auto& [at, line] : events) lines.push_back(line);
  return lines;
}

inline std::string JoinLines(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += lines[i] + "\n";
  return out;
}

inline runtime::Instant ScenarioEnd() {
  return *runtime::ToInstant(compiler::eval::ParseTimestamp(kScenarioUntil).AsTimestamp());
}

/// The actions one engine makes from the scenario: "KEY CUSTOMER CONTENT".
/// With `reload`: after the first `reload_after` events (and the clock
/// moved to the last of them), the engine takes version `reload` over.
inline std::multiset<std::string> OneEnginesActions(const runtime::JourneySet& set,
                                                    const runtime::JourneySet* reload = nullptr,
                                                    size_t reload_after = 0) {
  using namespace runtime;
  std::istringstream profiles(ScenarioFile("profiles.ndjson"));
  std::istringstream events(JoinLines(ScenarioEvents(), 0, ScenarioEvents().size()));
  DecodedFile p = DecodeFile(set.schemas(), profiles, {Accept::kProfiles});
  DecodedFile e = DecodeFile(set.schemas(), events, {Accept::kEvents});
  auto engine = set.NewEngine();
  std::vector<Decision> decisions;
  if (reload == nullptr) {
    decisions = Simulate(*engine, p.records, e.records, ScenarioEnd()).decisions;
  } else {
    // As Simulate does, with the reload between the two halves.
    for (const Record& r : p.records) engine->UpsertProfile(r);
    for (size_t i = 0; i < e.records.size(); ++i) {
      if (i == reload_after) {
        EXPECT_TRUE(engine->Reload(reload->ir(), reload->schemas(), reload->functions(), reload->native()).ok());
      }
      engine->Ingest(e.records[i]);
    }
    while (auto due = engine->NextDue()) {
      if (*due > ScenarioEnd()) break;
      engine->AdvanceTo(*due);
    }
    engine->AdvanceTo(ScenarioEnd());
    engine->Flush();
    decisions = engine->TakeDecisions();
  }
  std::multiset<std::string> keys;
  for (const Decision& d : decisions)
    if (d.kind == DecisionKind::kAction) keys.insert(d.idempotency_key + " " + d.customer + " " + d.content);
  return keys;
}

/// Every record of `topic`'s partitions up to their ends, read again until
/// at least `at_least` came (or 60 s went by) and then once more 300 ms
/// later if the ends moved: what is read is what the cluster has, with no
/// quiet polls to wait out.
inline std::vector<runtime::cluster::Record> ReadTopic(const runtime::cluster::KafkaSettings& kafka,
                                                       const std::string& topic, int partitions, size_t at_least) {
  using namespace std::chrono_literals;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<int64_t> last_ends;
  for (;;) {
    std::vector<runtime::cluster::Record> records;
    std::vector<int64_t> ends;
    for (int p = 0; p < partitions; ++p) {
      auto reader = runtime::cluster::Reader::Open(kafka, topic, p, 0);
      EXPECT_TRUE(reader.ok());
      if (!reader.ok()) continue;
      auto end = (*reader)->End(10s);
      EXPECT_TRUE(end.ok()) << end.status().message();
      if (!end.ok()) continue;
      ends.push_back(*end);
      if (*end == 0) continue;  // nothing written there yet
      Status read = (*reader)->ReadTo(*end, 30s, [&](const runtime::cluster::Record& r) { records.push_back(r); });
      EXPECT_TRUE(read.ok()) << read.message();
    }
    bool settled = records.size() >= at_least && ends == last_ends;
    if (settled || std::chrono::steady_clock::now() > deadline) return records;
    last_ends = std::move(ends);
    std::this_thread::sleep_for(records.size() >= at_least ? 300ms : 200ms);
  }
}

/// Every action in the actions topic, named as OneEnginesActions names
/// them: at least `at_least` of them unless fewer come in a minute.
inline std::multiset<std::string> WrittenActions(const runtime::cluster::KafkaSettings& kafka, int partitions,
                                                 size_t at_least) {
  std::multiset<std::string> keys;
  for (const runtime::cluster::Record& r : ReadTopic(kafka, "tutti.actions", partitions, at_least)) {
    nlohmann::json j = nlohmann::json::parse(r.value);
    EXPECT_EQ(j["partition"], r.partition);
    const nlohmann::json& a = j["action"];
    keys.insert(a["idempotency_key"].get<std::string>() + " " + a["customer"].get<std::string>() + " " +
                a.value("template", a.value("text", "")));
  }
  return keys;
}

}  // namespace tutti::testing
