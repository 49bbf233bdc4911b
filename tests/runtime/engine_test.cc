// The engine core's building blocks (local time, the timer queue) and its
// properties over generated workloads and the reference scenario: the same
// inputs give the same bytes; no customer ever exceeds a cap; nothing is
// sent inside quiet hours or without consent.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "runtime/engine/local_time.h"
#include "runtime/engine/timer_queue.h"
#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

using testing::EngineFixture;
using Json = nlohmann::json;

Instant At(const char* rfc3339) {
  return *ToInstant(compiler::eval::ParseTimestamp(rfc3339).AsTimestamp());
}

TEST(LocalTime, MinuteOfDayFollowsTheZone) {
  EXPECT_EQ(*(LocalMinuteOfDay(At("2026-03-02T14:05:00Z"), "America/New_York")), 9 * 60 + 5);
  EXPECT_EQ(*(LocalMinuteOfDay(At("2026-03-02T14:05:00Z"), "Pacific/Honolulu")), 4 * 60 + 5);
  EXPECT_EQ(*(LocalMinuteOfDay(At("2026-03-02T14:05:00Z"), "")), 14 * 60 + 5);
  EXPECT_EQ(LocalMinuteOfDay(0, "Mars/Olympus").status().message(), "unknown time zone \"Mars/Olympus\"");
}

TEST(LocalTime, MinuteOfDayKeepsUpWithTheOffsetAcrossDaylightSaving) {
  // New York leaves EST (-5) for EDT (-4) at 2026-03-08T07:00Z and comes
  // back at 2026-11-01T06:00Z. The offset found is kept for its span, so
  // the calls go back and forth across both ends of it, and the second
  // before and the second at each change.
  const char* kNy = "America/New_York";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-03-08T06:59:59Z"), kNy), 1 * 60 + 59);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-03-08T07:00:00Z"), kNy), 3 * 60);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-07-01T16:00:00Z"), kNy), 12 * 60);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-11-01T05:59:59Z"), kNy), 1 * 60 + 59);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-11-01T06:00:00Z"), kNy), 1 * 60);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-01-15T17:30:00Z"), kNy), 12 * 60 + 30);
    EXPECT_EQ(*LocalMinuteOfDay(At("2026-03-02T14:05:00Z"), "Europe/Berlin"), 15 * 60 + 5);
  }
}

TEST(LocalTime, NextLocalTimeIsNowOrLater) {
  // 09:00 in New York on 2 March is 14:00Z; at 14:00Z exactly, it is now.
  EXPECT_EQ(*(NextLocalTime(At("2026-03-02T13:00:00Z"), "America/New_York", 540)),
            At("2026-03-02T14:00:00Z"));
  EXPECT_EQ(*(NextLocalTime(At("2026-03-02T14:00:00Z"), "America/New_York", 540)),
            At("2026-03-02T14:00:00Z"));
  EXPECT_EQ(*(NextLocalTime(At("2026-03-02T14:00:01Z"), "America/New_York", 540)),
            At("2026-03-03T14:00:00Z"));
}

TEST(LocalTime, DaylightSavingGapAndRepeat) {
  // 8 March 2026: New York springs forward at 02:00 EST to 03:00 EDT, so
  // 02:30 does not exist; the first moment after the gap is 07:00Z.
  EXPECT_EQ(*(NextLocalTime(At("2026-03-08T05:00:00Z"), "America/New_York", 150)),
            At("2026-03-08T07:00:00Z"));
  // 08:00 local after the change is 12:00Z, not 13:00Z.
  EXPECT_EQ(*(NextLocalTime(At("2026-03-08T05:00:00Z"), "America/New_York", 480)),
            At("2026-03-08T12:00:00Z"));
  // 1 November 2026: 01:30 happens twice; the first is 05:30Z (EDT).
  EXPECT_EQ(*(NextLocalTime(At("2026-11-01T03:00:00Z"), "America/New_York", 90)),
            At("2026-11-01T05:30:00Z"));
}

TEST(LocalTime, DailyRangesWrapPastMidnight) {
  EXPECT_TRUE(InDailyRange(20 * 60, 20 * 60, 8 * 60));
  EXPECT_TRUE(InDailyRange(3 * 60, 20 * 60, 8 * 60));
  EXPECT_FALSE(InDailyRange(8 * 60, 20 * 60, 8 * 60));
  EXPECT_FALSE(InDailyRange(12 * 60, 20 * 60, 8 * 60));
  EXPECT_TRUE(InDailyRange(12 * 60, 9 * 60, 17 * 60));
  EXPECT_FALSE(InDailyRange(17 * 60, 9 * 60, 17 * 60));
}

TEST(TimerQueue, OrdersByDueThenBySetting) {
  TimerQueue q;
  q.Push(30, 1, 0);
  q.Push(10, 2, 0);
  q.Push(30, 3, 0);
  q.Push(20, 4, 0);
  std::vector<uint32_t> order;
  while (!q.empty()) order.push_back(q.Pop().instance);
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 4, 1, 3}));
  EXPECT_EQ(sizeof(TimerEntry), 24u);
}

// ---------------------------------------------------------------- properties

constexpr const char* kStressJourneys = R"(
profile hcp { id: string key  name: string  timezone: string  consent: set<string>  decile: int  preferred_channel: string }
event ping keyed by hcp { hcp: string  kind: string  n: int }
event opened keyed by hcp { hcp: string }
channel email { kind message  to hcp  consent "email" }
channel sms { kind message  to hcp  consent "sms" }
channel letter { kind message  to hcp }
policy contact {
  quiet_hours 20:00-08:00 local for [email, sms, letter]
  cap email 2 per 7d
  cap [email, sms, letter] 1 per 1d
  cap any 4 per 30d
  require consent
  arbitrate by priority within 1d
  dedupe for [email, sms] within 30d
}
journey nurture {
  priority 60
  reentry after 3d
  on ping as p where p.kind == "a"
  send email "nurture-{p.n % 3}"
  wait up to 2d for opened as o
    timeout { send sms "nudge" }
  wait 1d
  if hcp.decile > 5 { send letter "vip-{p.n % 5}" } else { send email "standard" }
}
journey promo {
  priority 80
  on ping as p where p.kind == "b"
  choose best by engagement(hcp, option) {
    email -> send email "promo"
    sms -> send sms "promo-sms"
  }
  wait until 09:00 local
  send letter "promo-letter-{p.n % 4}"
}
journey reminder {
  priority 40
  reentry always
  on ping as p where p.kind == "c"
  split { 30% x -> send sms "r-x"  70% y -> send email "r-y-{p.n % 2}" }
  wait 36h
  send letter "r-late"
}
)";

const char* const kZones[] = {"America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo",
                              "Pacific/Honolulu", "Australia/Sydney", "UTC"};

std::string Profiles(std::mt19937& rng, int n) {
  std::string out;
  const char* consents[] = {"[]", "[\"email\"]", "[\"sms\"]", "[\"email\", \"sms\"]"};
  const char* channels[] = {"email", "sms"};
  for (int i = 0; i < n; ++i) {
    out += "{\"type\": \"hcp\", \"id\": \"h" + std::to_string(i) + "\", \"name\": \"H" + std::to_string(i) +
           "\", \"timezone\": \"" + kZones[rng() % 7] + "\", \"consent\": " + consents[rng() % 4] +
           ", \"decile\": " + std::to_string(1 + rng() % 10) + ", \"preferred_channel\": \"" +
           channels[rng() % 2] + "\"}\n";
  }
  return out;
}

std::string Events(std::mt19937& rng, int profiles, int n) {
  std::string out;
  Instant t = At("2026-02-20T00:00:00Z");
  const char* kinds[] = {"a", "b", "c", "a", "b", "c", "open"};
  for (int i = 0; i < n; ++i) {
    t += static_cast<Instant>(rng() % (3 * 3600)) * kNanosPerSecond;
    std::string hcp = "h" + std::to_string(rng() % profiles);
    std::string kind = kinds[rng() % 7];
    std::string at = FormatInstant(t);
    if (kind == "open") out += "{\"type\": \"opened\", \"hcp\": \"" + hcp + "\", \"at\": \"" + at + "\"}\n";
    else
      out += "{\"type\": \"ping\", \"hcp\": \"" + hcp + "\", \"kind\": \"" + kind + "\", \"n\": " +
             std::to_string(rng() % 100) + ", \"at\": \"" + at + "\"}\n";
  }
  return out;
}

/// Checks every action in `decisions` against the program's caps, quiet
/// hours and consent, given each customer's time zone and consent.
void CheckPolicyHolds(const compiler::ir::Program& program, const std::string& decisions,
                      const std::map<std::string, std::pair<std::string, std::set<std::string>>>& customers) {
  std::map<std::string, std::vector<std::pair<Instant, std::string>>> sends;  // recipient -> (at, channel)
  std::istringstream in(decisions);
  std::string line;
  size_t actions = 0;
  while (std::getline(in, line)) {
    Json d = Json::parse(line);
    // Sends, and tasks (a contact with the journey's customer, under their
    // channel or "task"; never held by quiet hours, with no consent topic).
    bool task = d["decision"] == "action" && d.value("kind", "") == "task";
    if (d["decision"] != "action" || (!d.contains("channel") && !task)) continue;
    ++actions;
    std::string to = task ? d["customer"] : d["to"], channel = d.value("channel", "task");
    Instant at = At(d["at"].get<std::string>().c_str());
    sends[to].emplace_back(at, channel);
    auto c = customers.find(to);
    if (c == customers.end() || task) continue;
    const auto& ch = program.channels.at(channel);
    if (!ch.consent.empty()) EXPECT_TRUE(c->second.second.count(ch.consent)) << "no consent: " << line;
    for (const auto& r : program.rules) {
      if (r.kind != compiler::ast::PolicyClauseKind::kQuietHours || !r.Covers(channel)) continue;
      int minute = *(LocalMinuteOfDay(at, r.local ? c->second.first : ""));
      EXPECT_FALSE(InDailyRange(minute, r.from_minute, r.until_minute)) << "inside quiet hours: " << line;
    }
  }
  EXPECT_GT(actions, 0u);
  for (const auto& r : program.rules) {
    if (r.kind != compiler::ast::PolicyClauseKind::kCap) continue;
    for (const auto& [to, list] : sends) {
      std::vector<Instant> times;
      for (const auto& [at, channel] : list) {
        auto ch = program.channels.find(channel);
        bool task = ch == program.channels.end() || ch->second.kind == compiler::ir::ChannelKind::kTask;
        bool covered = (r.any_channel && !task && ch->second.kind == compiler::ir::ChannelKind::kMessage) ||
                       r.Lists(channel) || (task && r.Lists("task"));
        if (covered) times.push_back(at);
      }
      for (size_t i = 0; i < times.size(); ++i) {
        int64_t in_window = 0;
        for (size_t k = 0; k <= i; ++k) in_window += times[k] > times[i] - r.window_millis * kNanosPerMilli;
        EXPECT_LE(in_window, r.count) << to << " exceeds '" << r.text << "' at " << FormatInstant(times[i]);
      }
    }
  }
}

class GeneratedWorkload : public ::testing::TestWithParam<int> {};

TEST_P(GeneratedWorkload, DeterministicAndWithinPolicy) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"stress.tutti", kStressJourneys}});
  std::mt19937 rng(GetParam());
  const int kProfiles = 40;
  std::string profile_text = Profiles(rng, kProfiles);
  std::string event_text = Events(rng, kProfiles, 1500);
  auto profiles = f.Decode(profile_text, Accept::kProfiles);
  auto events = f.Decode(event_text, Accept::kEvents);
  std::string first = f.Run(profiles, events);
  std::string second = f.Run(profiles, events);
  ASSERT_EQ(first, second) << "the same inputs must give the same bytes";

  std::map<std::string, std::pair<std::string, std::set<std::string>>> customers;
  for (const Record& p : profiles) {
    std::set<std::string> consent;
    for (const auto& v : p.Get("consent")->AsList()) consent.insert(v.AsString());
    customers[p.key.AsString()] = {p.Get("timezone")->AsString(), consent};
  }
  CheckPolicyHolds(f.ir(), first, customers);
  // The policy had work to do.
  EXPECT_NE(first.find("\"suppressed\""), std::string::npos);
  EXPECT_NE(first.find("\"deferred\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GeneratedWorkload, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

// The reference scenario's golden output obeys the default policy.
TEST(ReferenceScenario, GoldenOutputIsWithinPolicy) {
  std::string dir = std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma/";
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"main.tutti", "import \"std/policy\"\nimport \"std/events\"\n"}});
  std::ifstream profile_file(dir + "profiles.ndjson");
  DecodeOptions options;
  options.accept = Accept::kProfiles;
  DecodedFile profiles = DecodeFile(f.schemas(), profile_file, options);
  ASSERT_TRUE(profiles.errors.empty());
  std::map<std::string, std::pair<std::string, std::set<std::string>>> customers;
  for (const Record& p : profiles.records) {
    if (p.type() != "hcp") continue;
    std::set<std::string> consent;
    for (const auto& v : p.Get("consent")->AsList()) consent.insert(v.AsString());
    customers[p.key.AsString()] = {p.Get("timezone")->AsString(), consent};
  }
  std::ifstream golden(dir + "expected.ndjson");
  std::stringstream decisions;
  decisions << golden.rdbuf();
  CheckPolicyHolds(f.ir(), decisions.str(), customers);
}

// A wait that would end past 2262 stops its instance with an error; it
// used to overflow and fire at once.
TEST(Waits, PastTheEnginesTimeRangeAreErrorsNotImmediate) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"w.tutti", R"(profile hcp { id: string key  timezone: string }
event ping keyed by hcp { hcp: string }
channel letter { kind message  to hcp }
journey too_far {
  on ping
  wait 86500d
  send letter "too-far"
}
journey far {
  on ping
  wait 86000d
  send letter "far"
}
journey due_too_far {
  on ping
  task "rep-1" "call" due 86500d
  send letter "after-task"
}
)"}});
  auto profiles = f.Decode("{\"type\": \"hcp\", \"id\": \"h1\", \"timezone\": \"UTC\"}\n", Accept::kProfiles);
  auto events = f.Decode("{\"type\": \"ping\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\"}\n", Accept::kEvents);
  std::string out = f.Run(profiles, events);
  EXPECT_EQ(out.find("too-far"), std::string::npos) << out;
  EXPECT_NE(out.find("\"decision\":\"error\",\"journey\":\"too_far\""), std::string::npos) << out;
  EXPECT_NE(out.find("past the engine's time range"), std::string::npos) << out;
  EXPECT_NE(out.find("{\"at\":\"2261-"), std::string::npos) << "86000d from 2026 is kept:\n" << out;
  EXPECT_NE(out.find("\"decision\":\"error\",\"journey\":\"due_too_far\""), std::string::npos) << out;
}

// Two splits with the same labels draw independently, and a customer who
// enters again draws again; the same input always draws the same.
TEST(Splits, DrawPerSplitAndPerEntry) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"s.tutti", R"(profile hcp { id: string key }
event ping keyed by hcp { hcp: string }
channel letter { kind message  to hcp }
journey twice {
  reentry always
  on ping
  split {
    50% a -> send letter "first-a"
    50% b -> send letter "first-b"
  }
  split {
    50% a -> send letter "second-a"
    50% b -> send letter "second-b"
  }
}
)"}});
  std::string profiles, events;
  for (int i = 0; i < 200; ++i) {
    std::string id = "h" + std::to_string(i);
    profiles += "{\"type\": \"hcp\", \"id\": \"" + id + "\"}\n";
    for (const char* at : {"2026-03-02T10:00:00Z", "2026-03-09T10:00:00Z"})
      events += "{\"type\": \"ping\", \"hcp\": \"" + id + "\", \"at\": \"" + at + "\"}\n";
  }
  auto p = f.Decode(profiles, Accept::kProfiles);
  auto e = f.Decode(events, Accept::kEvents);
  std::string out = f.Run(p, e);
  EXPECT_EQ(out, f.Run(p, e));
  // Per customer and entry: the arm of each split.
  std::map<std::string, std::string> arms;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("decision", "") != "action") continue;
    std::string key = j["customer"].get<std::string>() + "@" + j["at"].get<std::string>().substr(0, 10);
    std::string t = j["template"];
    arms[key] += t.substr(0, t.find('-')) == "first" ? "1" + t.substr(t.size() - 1) : "2" + t.substr(t.size() - 1);
  }
  ASSERT_EQ(arms.size(), 400u);
  int splits_agree = 0, entries_agree = 0;
  for (int i = 0; i < 200; ++i) {
    std::string id = "h" + std::to_string(i);
    const std::string& w1 = arms[id + "@2026-03-02"];
    const std::string& w2 = arms[id + "@2026-03-09"];
    splits_agree += w1[1] == w1[3];
    entries_agree += w1 == w2;
  }
  EXPECT_GT(splits_agree, 70);  // about 100 of 200 when independent; 200 before
  EXPECT_LT(splits_agree, 130);
  EXPECT_LT(entries_agree, 90);  // about 50 of 200 (both arms the same); 200 before
}

// A bounced e-mail scores below an untried channel: engagement() keeps its
// negative scores (it used to clamp them to 0, so every option tied and the
// first, e-mail, won).
TEST(ChooseBest, AFailingChannelLosesToAnUntriedOne) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"b.tutti", R"(profile hcp { id: string key  preferred_channel: string }
event email_bounced keyed by hcp { hcp: string }
event nudge keyed by hcp { hcp: string }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
journey next_best {
  on nudge
  choose best by engagement(hcp, option) {
    email -> send email "by-email"
    sms -> send sms "by-sms"
  }
}
)"}});
  auto profiles = f.Decode("{\"type\": \"hcp\", \"id\": \"h1\", \"preferred_channel\": \"none\"}\n", Accept::kProfiles);
  auto events = f.Decode("{\"type\": \"email_bounced\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\"}\n"
                         "{\"type\": \"nudge\", \"hcp\": \"h1\", \"at\": \"2026-03-03T10:00:00Z\"}\n",
                         Accept::kEvents);
  std::string out = f.Run(profiles, events);
  EXPECT_NE(out.find("by-sms"), std::string::npos) << out;
  EXPECT_EQ(out.find("by-email"), std::string::npos) << out;
}

// `otherwise` in choose best: taken when no option scores 0 or more.
TEST(ChooseBest, OtherwiseWhenNoOptionIsAcceptable) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"o.tutti", R"(profile hcp { id: string key  preferred_channel: string }
event email_bounced keyed by hcp { hcp: string }
event nudge keyed by hcp { hcp: string  bar: double }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
journey next_best {
  reentry always
  on nudge as n
  choose best by engagement(hcp, option) - n.bar {
    email -> send email "by-email"
    sms -> send sms "by-sms"
    otherwise -> send sms "none-acceptable"
  }
}
)"}});
  auto profiles = f.Decode("{\"type\": \"hcp\", \"id\": \"h1\", \"preferred_channel\": \"none\"}\n", Accept::kProfiles);
  auto events = f.Decode("{\"type\": \"email_bounced\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\"}\n"
                         "{\"type\": \"nudge\", \"hcp\": \"h1\", \"bar\": 0.0, \"at\": \"2026-03-03T10:00:00Z\"}\n"
                         "{\"type\": \"nudge\", \"hcp\": \"h1\", \"bar\": 0.1, \"at\": \"2026-03-04T10:00:00Z\"}\n",
                         Accept::kEvents);
  std::string out = f.Run(profiles, events);
  auto sms = out.find("by-sms"), none = out.find("none-acceptable");
  ASSERT_NE(sms, std::string::npos) << out;  // sms scores 0 on the 3rd: acceptable
  ASSERT_NE(none, std::string::npos) << out;  // -0.1 on the 4th: none is
  EXPECT_LT(sms, none);
  EXPECT_EQ(out.find("by-email"), std::string::npos) << out;
}

// A suppression names its rule as the marketer wrote it, and where.
TEST(Policy, SuppressionsQuoteTheRuleAsWrittenWithItsPlace) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", R"(profile hcp { id: string key  timezone: string }
event ping keyed by hcp { hcp: string }
channel email { kind message  to hcp }
policy contact {
  cap [email]   1 per 1w  // one a week
}
journey twice {
  reentry always
  on ping
  send email "hello"
}
)"}});
  auto profiles = f.Decode("{\"type\": \"hcp\", \"id\": \"h1\", \"timezone\": \"UTC\"}\n", Accept::kProfiles);
  auto events = f.Decode("{\"type\": \"ping\", \"hcp\": \"h1\", \"at\": \"2026-03-02T10:00:00Z\"}\n"
                         "{\"type\": \"ping\", \"hcp\": \"h1\", \"at\": \"2026-03-03T10:00:00Z\"}\n",
                         Accept::kEvents);
  std::string out = f.Run(profiles, events);
  EXPECT_NE(out.find("\"rule\":\"cap [email] 1 per 1w\",\"rule_at\":\"p.tutti:5:3\""), std::string::npos) << out;
}

}  // namespace
}  // namespace tutti::runtime

namespace tutti::runtime {
namespace {

// History reaches back about 400 days (a month's slack: it is trimmed a
// month at a time), so a long engine run does not grow without bound.
TEST(History, IsTrimmedToTheRetention) {
  EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"h.tutti", R"(
profile hcp { id: string key  timezone: string }
event ping keyed by hcp { hcp: string  last: bool }
channel letter { kind message  to hcp }
journey count {
  on ping as p where p.last
  send letter "seen-{interactions(hcp, 'ping', 1000d)}"
}
)"}});
  auto profiles = f.Decode("{\"type\": \"hcp\", \"id\": \"h1\", \"timezone\": \"UTC\"}\n", Accept::kProfiles);
  std::string events;
  Instant t = At("2025-01-01T12:00:00Z");
  for (int i = 0; i < 60; ++i, t += 10 * kNanosPerDay)
    events += "{\"type\": \"ping\", \"hcp\": \"h1\", \"last\": " + std::string(i == 59 ? "true" : "false") +
              ", \"at\": \"" + FormatInstant(t) + "\"}\n";
  std::string out = f.Run(profiles, f.Decode(events, Accept::kEvents));
  auto at = out.find("seen-");
  ASSERT_NE(at, std::string::npos) << out;
  int seen = std::stoi(out.substr(at + 5));
  EXPECT_GE(seen, 40);  // 400 days at one ping every 10 days, the last one included
  EXPECT_LE(seen, 44);  // plus at most a month of slack
}

}  // namespace
}  // namespace tutti::runtime

namespace tutti::runtime {
namespace {

TEST(JourneySetCompile, ChangingOneJourneyRecompilesOnlyIt) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tutti-journey-cache-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Each journey's code differs (an int literal is part of the code; a
  // string literal, like a message's text, lives among the constants).
  auto journey = [](int i, int days) {
    return "import \"std/events\"\nimport \"std/channels\"\njourney j" + std::to_string(i) +
           " {\n  on rx_written as e where e.brand == \"B\" && e.days_supply > " + std::to_string(days) +
           "\n  send email \"hello {hcp.id}\"\n}\n";
  };
  auto compile = [&](int third_days) {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText({{"a.tutti", journey(1, 10)}, {"b.tutti", journey(2, 20)},
                                     {"c.tutti", journey(3, third_days)}},
                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
    compiler::jit::JitOptions options;
    options.cache_dir = dir.string();
    EXPECT_TRUE(set->Compile(options).ok());
    return set->compiled()->report();
  };
  auto cold = compile(30);
  EXPECT_EQ(cold.modules, 4u);  // three journeys and the dispatch
  EXPECT_EQ(cold.modules_from_cache, 0u);
  EXPECT_TRUE(compile(30).from_cache);
  // One condition changed: that journey and the dispatch (which calls it
  // by a name derived from its code) compile; the two others load.
  auto changed = compile(35);
  EXPECT_EQ(changed.modules, 4u);
  EXPECT_EQ(changed.modules_from_cache, 2u);
  fs::remove_all(dir);
}

TEST(JourneySetLoad, DiagnosticsOutliveAFailedLoad) {
  // The set is never returned when the journeys do not check; the sink's
  // diagnostics point into its sources and must still render.
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText({{"bad.tutti", "journey broken {\n  on no_such_event\n}\n"}},
                                  std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  ASSERT_EQ(set, nullptr);
  std::string text = compiler::RenderText(sink.Sorted());
  EXPECT_NE(text.find("bad.tutti:2:"), std::string::npos) << text;
  EXPECT_NE(text.find("on no_such_event"), std::string::npos) << text;
}

}  // namespace
}  // namespace tutti::runtime
