// The history journal on its own: entries written from event notes and
// decisions, paged with cursors and filters, rewritten rather than doubled
// by a replay, and damaged values refused.

#include "runtime/daemon/history_journal.h"

#include <deque>
#include <filesystem>

#include <gtest/gtest.h>

#include "compiler/eval/value.h"

namespace tutti::runtime {
namespace {

namespace fs = std::filesystem;
using compiler::eval::Value;

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tutti-journal-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

/// A record of `fields`, in their order (its shape lives as long as the test).
Value MakeRecord(std::vector<std::pair<std::string, Value>> fields) {
  static std::deque<compiler::eval::RecordShape> shapes;
  compiler::eval::RecordShape& shape = shapes.emplace_back();
  shape.type_name = "event";
  auto record = std::make_shared<compiler::eval::Record>();
  record->shape = &shape;
  for (auto& [name, value] : fields) {
    shape.fields.push_back(name);
    record->values.push_back(std::move(value));
  }
  return Value(std::shared_ptr<const compiler::eval::Record>(std::move(record)));
}

Instant Minute(int m) { return 1'770'000'000'000'000'000 + m * 60'000'000'000LL; }

EventNote Opened(int minute, const std::string& hcp, uint32_t ordinal = 0) {
  EventNote e;
  e.at = Minute(minute);
  e.type = "email_opened";
  e.record = MakeRecord({{"hcp", Value(hcp)}, {"template", Value("glidim-intro")}, {"at", Value(int64_t{1})}});
  e.profile = "hcp";
  e.customer = hcp;
  e.ordinal = ordinal;
  e.account = "empire-health";
  e.account_ordinal = ordinal;
  e.input = static_cast<uint64_t>(minute);
  return e;
}

Decision Sent(int minute, const std::string& hcp, const std::string& channel, DecisionKind kind = DecisionKind::kAction) {
  Decision d;
  d.kind = kind;
  d.at = Minute(minute);
  d.journey = channel == "email" ? "glidim_email_nurture" : "rep_follow_up";
  d.version = 3;
  d.customer = hcp;
  d.owner_profile = "hcp";
  d.owner = hcp;
  d.owner_account = "empire-health";
  d.recipient = hcp;
  d.step = "send@26";
  d.cause = "formulary_win";
  d.channel = channel;
  d.action = "send";
  d.content = "glidim-formulary-intro";
  if (kind == DecisionKind::kAction) d.idempotency_key = "k-" + hcp + "-" + std::to_string(minute);
  if (kind == DecisionKind::kSuppressed) {
    d.policy = "contact";
    d.rule = "cap email 2 per 7d";
    d.rule_at = "std/policy.tutti:19:3";
    d.reason = hcp + " was already contacted 2 times";
  }
  if (kind == DecisionKind::kDeferred) d.until = Minute(minute + 60);
  return d;
}

std::unique_ptr<HistoryJournal> OpenOrDie(const fs::path& dir) {
  auto opened = HistoryJournal::Open(dir.string());
  EXPECT_TRUE(opened.ok()) << opened.status().message();
  return std::move(*opened);
}

/// Every entry of a customer, `limit` a page, and how many pages it took.
std::vector<nlohmann::ordered_json> All(const HistoryJournal& j, const std::string& profile, const std::string& key,
                                        size_t limit, const HistoryFilter& filter = {}, size_t* pages = nullptr) {
  std::vector<nlohmann::ordered_json> out;
  std::string after;
  for (size_t n = 1;; ++n) {
    auto page = j.PageAfter(profile, key, after, filter, limit, 100000);
    EXPECT_TRUE(page.ok());
    EXPECT_LE(page->entries.size(), limit);
    for (auto& e : page->entries) out.push_back(e);
    if (pages) *pages = n;
    if (page->next.empty()) break;
    after = page->next;
  }
  return out;
}

TEST(HistoryJournal, EntriesCarryTheirDetailsInTimeOrder) {
  auto j = OpenOrDie(FreshDir("details"));
  ASSERT_TRUE(j->fresh());
  ASSERT_TRUE(j->SetSince(INT64_MIN).ok());
  ASSERT_TRUE(j->Add({Opened(1, "hcp-1")}, {Sent(2, "hcp-1", "email"), Sent(3, "hcp-1", "email", DecisionKind::kSuppressed),
                                             Sent(4, "hcp-1", "email", DecisionKind::kDeferred)},
                     1)
                  .ok());
  auto all = All(*j, "hcp", "hcp-1", 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]["kind"], "event");
  EXPECT_EQ(all[0]["fields"]["template"], "glidim-intro");
  EXPECT_FALSE(all[0]["fields"].contains("at"));
  EXPECT_EQ(all[0]["input"], 1);
  EXPECT_EQ(all[1]["kind"], "action");
  EXPECT_EQ(all[1]["template"], "glidim-formulary-intro");
  EXPECT_EQ(all[1]["step"], "send@26");
  EXPECT_EQ(all[1]["version"], 3);
  EXPECT_EQ(all[1]["idempotency_key"], "k-hcp-1-2");
  EXPECT_EQ(all[2]["kind"], "suppressed");
  EXPECT_EQ(all[2]["rule"], "cap email 2 per 7d");
  EXPECT_EQ(all[2]["rule_at"], "std/policy.tutti:19:3");
  EXPECT_EQ(all[2]["reason"], "hcp-1 was already contacted 2 times");
  EXPECT_EQ(all[3]["kind"], "deferred");
  EXPECT_EQ(all[3]["until"], FormatInstant(Minute(64)));
  EXPECT_EQ(all[0].begin().key(), "at");
  EXPECT_EQ(all[0]["at"], FormatInstant(Minute(1)));
  // The account's copy says whose each entry is.
  auto account = All(*j, "account", "empire-health", 10);
  ASSERT_EQ(account.size(), 4u);
  for (const auto& e : account) EXPECT_EQ(e["customer"], "hcp-1");
  EXPECT_TRUE(All(*j, "hcp", "hcp-2", 10).empty());
}

TEST(HistoryJournal, PagesAndFiltersSeeEveryEntryOnce) {
  auto j = OpenOrDie(FreshDir("pages"));
  std::vector<EventNote> events;
  std::vector<Decision> decisions;
  for (int m = 0; m < 50; ++m) {
    // Two events at each instant: their places tell them apart.
    events.push_back(Opened(m, "hcp-1", 0));
    events.push_back(Opened(m, "hcp-1", 1));
    decisions.push_back(Sent(m, "hcp-1", m % 2 ? "email" : "rep_visit"));
    decisions.push_back(Sent(m, "hcp-1", "email", m % 5 ? DecisionKind::kDeferred : DecisionKind::kSuppressed));
  }
  ASSERT_TRUE(j->Add(events, decisions, 1).ok());
  size_t pages = 0;
  auto whole = All(*j, "hcp", "hcp-1", 1000);
  ASSERT_EQ(whole.size(), 200u);
  auto paged = All(*j, "hcp", "hcp-1", 7, {}, &pages);
  EXPECT_EQ(paged, whole);
  EXPECT_EQ(pages, 29u);
  HistoryFilter email;
  email.channel = "email";
  auto emails = All(*j, "hcp", "hcp-1", 3, email);
  EXPECT_EQ(emails.size(), 25u + 50u);
  for (const auto& e : emails) EXPECT_EQ(e["name"], "email");
  HistoryFilter suppressed;
  suppressed.kind = "suppressed";
  EXPECT_EQ(All(*j, "hcp", "hcp-1", 4, suppressed).size(), 10u);
  HistoryFilter journey;
  journey.journey = "rep_follow_up";
  EXPECT_EQ(All(*j, "hcp", "hcp-1", 4, journey).size(), 25u);
  HistoryFilter window;
  window.from = Minute(10);
  window.to = Minute(19);
  window.kind = "event";
  auto events_in = All(*j, "hcp", "hcp-1", 6, window);
  ASSERT_EQ(events_in.size(), 20u);
  EXPECT_EQ(events_in.front()["at"], FormatInstant(Minute(10)));
  EXPECT_EQ(events_in.back()["at"], FormatInstant(Minute(19)));
  // A page scans at most so many entries the filter refuses, and says
  // where to go on.
  HistoryFilter late;
  late.kind = "suppressed";
  late.from = Minute(40);
  auto first = j->PageAfter("hcp", "hcp-1", "", late, 100, 3);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->entries.empty());
  EXPECT_FALSE(first->next.empty());
}

TEST(HistoryJournal, AReplayRewritesEntriesAndTheStartIsKept) {
  fs::path dir = FreshDir("replay");
  {
    auto j = OpenOrDie(dir);
    ASSERT_TRUE(j->SetSince(Minute(0)).ok());
    for (int pass = 0; pass < 3; ++pass)
      j->Post({Opened(1, "hcp-1"), Opened(1, "hcp-1", 1)},
              {Sent(2, "hcp-1", "email"), Sent(2, "hcp-1", "email", DecisionKind::kDeferred)}, 7);
    ASSERT_TRUE(j->Sync().ok());
    EXPECT_EQ(j->failures(), 0u);
  }
  auto j = OpenOrDie(dir);
  EXPECT_FALSE(j->fresh());
  EXPECT_EQ(j->since(), Minute(0));
  EXPECT_EQ(j->next(), 7u);  // a replay need not write the inputs before 7 again
  EXPECT_EQ(All(*j, "hcp", "hcp-1", 100).size(), 4u);
  EXPECT_EQ(All(*j, "account", "empire-health", 100).size(), 4u);
}

TEST(HistoryJournal, SendsWithoutAKeyAtOneStepAndInstantAreKeptApart) {
  auto j = OpenOrDie(FreshDir("apart"));
  std::vector<Decision> held;
  // Put off for two instances of one journey, two versions, two
  // recipients of one task step; held back by the policy with the keys
  // they would have had.
  for (int i = 0; i < 2; ++i) {
    Decision d = Sent(5, "hcp-1", "email", DecisionKind::kDeferred);
    d.entry = static_cast<uint32_t>(i);
    held.push_back(d);
    d.version = 4;
    held.push_back(d);
    d.recipient = "rep-" + std::to_string(i);
    held.push_back(d);
    Decision s = Sent(5, "hcp-1", "email", DecisionKind::kSuppressed);
    s.held_key = "would-be-" + std::to_string(i);
    held.push_back(s);
  }
  ASSERT_TRUE(j->Add({}, held, 1).ok());
  EXPECT_EQ(All(*j, "hcp", "hcp-1", 100).size(), held.size());
}

TEST(HistoryJournal, FieldsAreBoundedAndDamageIsRefused) {
  std::vector<std::pair<std::string, Value>> fields;
  fields.emplace_back("hcp", Value(std::string("hcp-1")));
  fields.emplace_back("note", Value(std::string(5000, 'x')));
  for (int i = 0; i < 200; ++i) fields.emplace_back("f" + std::to_string(i), Value(std::string(30, 'y')));
  bool cut = false;
  auto kept = BoundedFields(MakeRecord(std::move(fields)), &cut);
  EXPECT_TRUE(cut);
  EXPECT_EQ(kept["hcp"], "hcp-1");
  EXPECT_FALSE(kept.contains("note"));
  EXPECT_LE(kept.dump().size(), HistoryJournal::kFieldsBytes);

  HistoryJournal::Stored good{'a', "email", "glidim_email_nurture", R"({"kind":"action"})"};
  auto back = HistoryJournal::Decode(HistoryJournal::Encode(good));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->channel, "email");
  EXPECT_EQ(back->journey, "glidim_email_nurture");
  for (std::string bad : {std::string(), std::string("x\0\0{}", 5), std::string("a\0", 2), std::string("a\0\0[1]", 6),
                          std::string("a\0\0{\"kind\":", 11), "a\0\0" + std::string(100, '[')})
    EXPECT_EQ(HistoryJournal::Decode(bad).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tutti::runtime
