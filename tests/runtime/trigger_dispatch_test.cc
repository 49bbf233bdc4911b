// Trigger dispatch (compiler/jit/dispatch.h) against the interpreter: for
// every event, the native dispatch must report exactly the journeys whose
// trigger condition the interpreter finds true, and those whose condition
// fails with an error, with the same error. The journeys test one, two or
// three fields against literals (`==` either way round, `in` lists), a
// negation, a disjunction that cannot be indexed, an error left of the
// parts the tree decides, a condition too big to test inline (called
// instead), and nothing at all; the
// events leave an optional field unset and hold values no journey names,
// so every branch of the tree (a bucket, no bucket, the others) is taken.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "compiler/eval/evaluator.h"
#include "compiler/jit/dispatch.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {
namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;

std::string Pick(std::mt19937_64& rng, const char* prefix, int n) { return prefix + std::to_string(rng() % n); }

/// A trigger condition of kind `i % 10` with literals drawn from `rng`.
std::string Condition(int i, std::mt19937_64& rng) {
  auto q = [](const std::string& s) { return "\"" + s + "\""; };
  switch (i % 10) {
    case 0: return "e.brand == " + q(Pick(rng, "B", 5)) + " && e.specialty == " + q(Pick(rng, "S", 4)) +
                   " && e.units > " + std::to_string(rng() % 10);
    case 1: return "e.region == " + q(Pick(rng, "R", 3)) + " && e.score >= 0." + std::to_string(rng() % 10);
    case 2: return "e.brand in [" + q(Pick(rng, "B", 5)) + ", " + q(Pick(rng, "B", 5)) + "] && !(e.specialty == " +
                   q(Pick(rng, "S", 4)) + ")";
    case 3: return q(Pick(rng, "B", 5)) + " == e.brand && e.region in [" + q(Pick(rng, "R", 3)) +
                   "] && e.specialty == " + q(Pick(rng, "S", 4));
    case 4: return "e.brand == " + q(Pick(rng, "B", 5)) + " || e.region == " + q(Pick(rng, "R", 3));
    case 5: return "e.specialty in [" + q(Pick(rng, "S", 4)) + "] && 10 / e.units > 2";  // fails when units is 0
    case 6: return "e.brand == " + q(Pick(rng, "B", 5)) + " && e.region == " + q(Pick(rng, "R", 3));
    // An error left of the parts the tree decides: `&&` still gives it.
    case 7: return "10 / e.units > 2 && e.brand == " + q(Pick(rng, "B", 5)) + " && e.specialty in [" +
                   q(Pick(rng, "S", 4)) + ", " + q(Pick(rng, "S", 4)) + "]";
    // Too big to test inline: the dispatch calls the journey's code.
    case 8: {
      std::string units;
      for (int k = 0; k < 8; ++k) units += (k ? " || e.units == " : "e.units == ") + std::to_string(rng() % 12);
      return "e.region == " + q(Pick(rng, "R", 3)) + " && (" + units + ")";
    }
    default: return "";
  }
}

/// One journey per condition (j0, j1, ...; an empty condition: none),
/// each started by `event` of `schemas` and sending an e-mail, compiled.
std::unique_ptr<JourneySet> Compiled(const std::string& schemas, const std::string& event,
                                     const std::vector<std::string>& conditions) {
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", schemas}};
  for (size_t i = 0; i < conditions.size(); ++i) {
    std::string n = std::to_string(i);
    files.emplace_back("j" + n + ".tutti", "import \"schemas\"\njourney j" + n + " {\n  on " + event + " as e" +
                                               (conditions[i].empty() ? "" : " where " + conditions[i]) +
                                               "\n  send email \"hi\"\n}\n");
  }
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
  if (set != nullptr) EXPECT_TRUE(set->Compile().ok());
  return set;
}

/// The prescriptions the journeys of these tests listen to.
constexpr const char* kRxSchemas = R"(
profile hcp { id: string key }
event rx keyed by hcp { hcp: string, brand: string?, specialty: string, region: string, units: int, score: double }
channel email { kind message to hcp }
)";

struct Counts {
  size_t hits = 0;
  size_t errors = 0;
};

/// Dispatches the event `line` (of type `type`) natively and expects
/// exactly the journeys the interpreter finds true, and those whose
/// condition fails, with the same error.
void ExpectAgreement(const JourneySet& set, const std::string& type, const std::string& line, Counts& counts) {
  const Value now(compiler::eval::Timestamp{1772409600, 0});
  DecodeResult decoded = DecodeLine(set.schemas(), line, 1);
  ASSERT_TRUE(decoded.ok()) << line;
  Value event = RecordValue(decoded.record());

  std::map<uint32_t, std::string> want;  // journey -> "true" or the error
  compiler::eval::Activation act;
  act.Bind("now", now);
  act.Bind("e", event);
  const auto& journeys = set.ir().journeys;
  for (uint32_t j = 0; j < journeys.size(); ++j) {
    if (journeys[j].trigger->cond == nullptr) {
      want[j] = "true";
      continue;
    }
    Value v = compiler::eval::Evaluate(*journeys[j].trigger->cond, act, set.functions());
    if (v.IsError()) want[j] = v.ErrorMessage();
    else if (v.is(ValueKind::kBool) && v.AsBool()) want[j] = "true";
  }
  compiler::jit::TriggerHits found;
  ASSERT_TRUE(set.compiled()->Dispatch(type, event, now, &found));
  EXPECT_TRUE(std::is_sorted(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.journey < b.journey; }))
      << "hits out of journey order for " << line;
  std::map<uint32_t, std::string> got;
  for (const auto& h : found) {
    EXPECT_FALSE(got.count(h.journey)) << "journey " << h.journey << " reported twice for " << line;
    got[h.journey] = h.code == compiler::jit::kTrue ? "true"
                     : h.code == compiler::jit::kErrorValue ? found.ErrorOf(h).ErrorMessage()
                                                            : "?";
  }
  ASSERT_EQ(got, want) << line;
  for (const auto& [j, what] : want) (what == "true" ? counts.hits : counts.errors) += 1;
}

TEST(TriggerDispatch, ReportsWhatTheInterpreterFindsOnEveryEvent) {
  std::mt19937_64 rng(5);
  std::vector<std::string> conditions;
  // Enough journeys that some nodes hold more tests than one generated
  // function takes (dispatch.cc splits them).
  for (int i = 0; i < 400; ++i) conditions.push_back(Condition(i, rng));
  auto set = Compiled(kRxSchemas, "rx", conditions);
  ASSERT_TRUE(set != nullptr && set->compiled() != nullptr);
  const compiler::jit::CompiledExprs& native = *set->compiled();

  // The tree indexes brand, then region among the journeys without a
  // brand, and specialty under a brand.
  ASSERT_EQ(native.plans().size(), 1u);
  const compiler::jit::DispatchPlan& plan = native.plans()[0];
  EXPECT_EQ(plan.root.field, "brand");
  ASSERT_NE(plan.root.others, nullptr);
  EXPECT_EQ(plan.root.others->field, "region");
  size_t by_specialty = 0;
  for (const compiler::jit::DispatchNode& bucket : plan.root.buckets) by_specialty += bucket.field == "specialty";
  EXPECT_GT(by_specialty, 0u) << "no brand's journeys are indexed again by specialty";
  EXPECT_GE(plan.depth, 2u);
  EXPECT_TRUE(plan.root.tested.empty()) << "every journey is filed below the root";

  // Inline tests, their bail-outs, calls of the big conditions and parts
  // all occur.
  const compiler::jit::DispatchCode& code = native.report().dispatch;
  EXPECT_GT(code.functions, 1u);
  EXPECT_GT(code.inline_tests, 300u);
  EXPECT_GT(code.calls, 0u);
  EXPECT_GT(code.bail_outs, 0u);

  Counts counts;
  for (int k = 0; k < 3000; ++k) {
    std::string line = "{\"type\": \"rx\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\"";
    if (k % 7 != 0) line += ", \"brand\": \"" + Pick(rng, "B", 7) + "\"";  // B5, B6: no journey's
    line += ", \"specialty\": \"" + Pick(rng, "S", 5) + "\", \"region\": \"" + Pick(rng, "R", 4) +
            "\", \"units\": " + std::to_string(rng() % 12) + ", \"score\": 0." + std::to_string(rng() % 10) + "}";
    ASSERT_NO_FATAL_FAILURE(ExpectAgreement(*set, "rx", line, counts));
  }
  EXPECT_GT(counts.hits, 3000u);
  EXPECT_GT(counts.errors, 0u) << "no condition failed: the error path is not covered";
}

TEST(TriggerDispatch, ManySmallBucketsShareParts) {
  // 60 brands of two journeys each: too many tests for one function, so
  // runs of buckets go to parts that switch on the bucket again.
  std::vector<std::string> conditions;
  for (int i = 0; i < 120; ++i)
    conditions.push_back("e.brand == \"B" + std::to_string(i / 2) + "\" && e.units > " + std::to_string(i % 5));
  auto set = Compiled(kRxSchemas, "rx", conditions);
  ASSERT_TRUE(set != nullptr && set->compiled() != nullptr);
  EXPECT_GE(set->compiled()->report().dispatch.functions, 3u);
  Counts counts;
  for (int b = 0; b < 62; ++b)
    for (int units = 0; units < 6; ++units)
      ASSERT_NO_FATAL_FAILURE(ExpectAgreement(*set, "rx",
                                              "{\"type\": \"rx\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\", "
                                              "\"brand\": \"B" + std::to_string(b) + "\", \"specialty\": \"S\", "
                                              "\"region\": \"R\", \"units\": " + std::to_string(units) + ", \"score\": 0.5}",
                                              counts));
  // Journey i wants units > i % 5: 24 journeys per bound, units 0 to 5.
  EXPECT_EQ(counts.hits, 24u * (5 + 4 + 3 + 2 + 1));
}

TEST(TriggerDispatch, HitsAreSortedIntoJourneyOrderAfterWhatWasThere) {
  // A few runs (merged) and many (sorted), each after hits already held,
  // which stay as they were; an error stays with its hit.
  for (const std::vector<uint32_t>& journeys :
       {std::vector<uint32_t>{4, 9, 12, 1, 3, 20, 2, 5}, std::vector<uint32_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 10}}) {
    compiler::jit::TriggerHits hits;
    hits.Add(50, compiler::jit::kTrue, nullptr);
    for (uint32_t j : journeys) {
      Value error = Value::Error("in journey " + std::to_string(j));
      hits.Add(j, j % 3 == 0 ? compiler::jit::kErrorValue : compiler::jit::kTrue, &error);
    }
    hits.SortFrom(1);
    std::vector<uint32_t> order;
    for (const auto& h : hits) {
      order.push_back(h.journey);
      if (h.code == compiler::jit::kErrorValue)
        EXPECT_EQ(hits.ErrorOf(h).ErrorMessage(), "in journey " + std::to_string(h.journey));
    }
    std::vector<uint32_t> want = journeys;
    std::sort(want.begin(), want.end());
    want.insert(want.begin(), 50);
    EXPECT_EQ(order, want);
  }
}

TEST(TriggerDispatch, InListsOnSeveralFieldsDoNotMultiplyThePlan) {
  // Filed under every literal of every list, two such journeys would be
  // tested in 50^4 places; the plan keeps to three copies per trigger.
  std::string list;
  for (int k = 0; k < 50; ++k) list += (k ? ", \"v" : "\"v") + std::to_string(k) + "\"";
  std::string cond;
  for (const char* f : {"a", "b", "c", "d"}) cond += std::string(cond.empty() ? "" : " && ") + "e." + f + " in [" + list + "]";
  auto set = Compiled(R"(
profile hcp { id: string key }
event ev keyed by hcp { hcp: string, a: string, b: string, c: string, d: string }
channel email { kind message to hcp }
)", "ev", {cond, cond});
  ASSERT_TRUE(set != nullptr && set->compiled() != nullptr);
  const compiler::jit::CompiledExprs& native = *set->compiled();
  ASSERT_EQ(native.plans().size(), 1u);
  EXPECT_LE(native.plans()[0].copies, 6u);
  EXPECT_LE(native.plans()[0].filed, 8u);

  const Value now(compiler::eval::Timestamp{1772409600, 0});
  auto hits = [&](const std::string& d) {
    DecodeResult decoded = DecodeLine(set->schemas(),
                                      R"({"type": "ev", "hcp": "h1", "at": "2026-03-02T10:00:00Z", "a": "v3", "b": "v49", "c": "v0", "d": ")" +
                                          d + "\"}",
                                      1);
    EXPECT_TRUE(decoded.ok());
    compiler::jit::TriggerHits found;
    native.Dispatch("ev", RecordValue(decoded.record()), now, &found);
    return found.size();
  };
  EXPECT_EQ(hits("v7"), 2u);
  EXPECT_EQ(hits("v50"), 0u);
}

// The table the native dispatch looks an event's field up in: every
// literal finds its own bucket, whatever its length (the hash reads eight
// bytes at a time), and nothing else finds one.
TEST(TriggerDispatch, LiteralsThatDifferInTheirLastBytesDoNotCrowdOneSlot) {
  // A hash that carried the second word's last bytes only upwards put
  // all of these in one run of slots.
  for (const char* format : {"hcp-empire-%05d", "brand-glid-%04d", "region-%08d", "%016d"}) {
    compiler::jit::BucketTable table;
    char text[32];
    for (int i = 0; i < 1000; ++i) {
      std::snprintf(text, sizeof text, format, i);
      table.Add(text);
    }
    EXPECT_LE(table.LongestProbe(), 16u) << format;
  }
}

TEST(TriggerDispatch, TheBucketTableFindsEveryLiteralAndNothingElse) {
  compiler::jit::BucketTable table;
  EXPECT_EQ(table.Find("P1"), -1);
  std::vector<std::string> literals = {"", "a", "abcdefg", "abcdefgh", "abcdefghi", std::string("a\0b", 3),
                                       std::string(16, 'x'), std::string(17, 'x'), "hcp-empire-00017"};
  for (int i = 0; i < 5000; ++i) literals.push_back("P" + std::to_string(i));
  // Texts that differ in one byte, at each place of each length around
  // the two words a short one is read as (and a NUL where a pad would be).
  for (size_t n = 1; n <= 20; ++n)
    for (size_t at = 0; at < n; ++at) {
      literals.push_back(std::string(n, 'q'));
      literals.back()[at] = 'r';
      literals.push_back(std::string(n, 'q'));
      literals.back()[at] = '\0';
    }
  for (size_t i = 0; i < literals.size(); ++i) {
    auto [bucket, added] = table.Add(literals[i]);
    EXPECT_TRUE(added) << i;
    EXPECT_EQ(bucket, static_cast<int32_t>(i));
  }
  EXPECT_EQ(table.Add("P42"), std::make_pair(static_cast<int32_t>(9 + 42), false));
  for (size_t i = 0; i < literals.size(); ++i) {
    ASSERT_EQ(table.Find(literals[i]), static_cast<int32_t>(i)) << i;
    ASSERT_EQ(table.literals()[i], literals[i]);
  }
  const std::vector<std::string> absent = {"P5000", "P-1", "abcdefgh ", "ABCDEFG", std::string(18, 'x'),
                                           std::string("a\0c", 3)};
  for (const std::string& text : absent) EXPECT_EQ(table.Find(text), -1) << text;
  EXPECT_LE(table.LongestProbe(), 16u);
  for (size_t n = 1; n <= 20; ++n)
    for (size_t at = 0; at < n; ++at) {
      std::string text(n, 'q');
      text[at] = 's';
      EXPECT_EQ(table.Find(text), -1) << text;
      text[at] = 'r';
      text.push_back('\0');  // a literal with one more byte, a NUL
      EXPECT_EQ(table.Find(text), -1) << n << " " << at;
    }
}

}  // namespace
}  // namespace tutti::runtime
