// The reference scenario (examples/abc-pharma/README.md), checked on the
// golden decisions of `tutti simulate` (examples/abc-pharma/expected.ndjson,
// itself compared byte for byte by scenario_test.cc): the story's
// outcomes, stated as a marketer would check them.

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::json;

std::string Dir() { return std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma/"; }

std::vector<Json> ReadNdjson(const std::string& path) {
  std::ifstream in(path);
  std::vector<Json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(Json::parse(line));
  return out;
}

class AbcPharma : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    decisions_ = new std::vector<Json>(ReadNdjson(Dir() + "expected.ndjson"));
    profiles_ = new std::map<std::string, Json>();
    for (Json& p : ReadNdjson(Dir() + "profiles.ndjson"))
      if (p["type"] == "hcp") (*profiles_)[p["id"]] = p;
  }
  static void TearDownTestSuite() {
    delete decisions_;
    delete profiles_;
  }

  /// Decisions matching every key/value of `filter`.
  static std::vector<Json> Where(const Json& filter) {
    std::vector<Json> out;
    for (const Json& d : *decisions_) {
      bool ok = true;
      for (const auto& [k, v] : filter.items()) ok &= d.contains(k) && d[k] == v;
      if (ok) out.push_back(d);
    }
    return out;
  }

  static std::vector<Json>* decisions_;
  static std::map<std::string, Json>* profiles_;
};

std::vector<Json>* AbcPharma::decisions_ = nullptr;
std::map<std::string, Json>* AbcPharma::profiles_ = nullptr;

TEST_F(AbcPharma, FormularyWinReachesEveryEmpirePrescriber) {
  // Each of the 3,091 gets an action or a recorded suppression from the
  // formulary-win journey or the nurture it starts, and nobody else does.
  std::set<std::string> reached, elsewhere;
  std::map<std::string, int> options;
  for (const Json& d : *decisions_) {
    std::string j = d["journey"];
    if (j != "glidim_formulary_win" && j != "glidim_email_nurture") continue;
    std::string c = d["customer"];
    if (profiles_->at(c)["account"] != "empire-health") elsewhere.insert(c);
    if (d["decision"] == "action" || d["decision"] == "suppressed") reached.insert(c);
    if (j == "glidim_formulary_win" && d["decision"] == "action")
      ++options[d.contains("channel") ? d["channel"].get<std::string>() : d["kind"].get<std::string>()];
  }
  size_t empire = 0;
  for (const auto& [id, p] : *profiles_) empire += p["account"] == "empire-health";
  EXPECT_EQ(empire, 3091u);
  EXPECT_EQ(reached.size(), 3091u);
  EXPECT_TRUE(elsewhere.empty()) << *elsewhere.begin();
  // About 770 remote details and 550 visit tasks (the rest: the nurture).
  EXPECT_NEAR(options["remote_detail"], 770, 60);
  EXPECT_NEAR(options["rep_task"], 550, 60);  // visit tasks go via rep_task
}

TEST_F(AbcPharma, NurtureOnlyWithConsentAndNoSeeNeverGetsARep) {
  for (const Json& d : Where({{"journey", "glidim_email_nurture"}, {"step", "send@25"}})) {
    const Json& p = profiles_->at(d["customer"]);
    EXPECT_NE(std::find(p["consent"].begin(), p["consent"].end(), "email"), p["consent"].end()) << d;
  }
  for (const Json& d : Where({{"journey", "glidim_formulary_win"}, {"kind", "task"}}))
    EXPECT_NE(profiles_->at(d["customer"])["segment"], "no_see") << d;
}

TEST_F(AbcPharma, StoryPrescribersGetTheRightOption) {
  // Dr. Castillo: the e-mail nurture; Drs Lee and Okafor: visit tasks for Michael.
  EXPECT_EQ(Where({{"journey", "glidim_email_nurture"}, {"customer", "hcp-empire-00017"},
                   {"template", "glidim-formulary-intro"}, {"decision", "action"}}).size(), 1u);
  for (const char* id : {"hcp-empire-00018", "hcp-empire-00019"}) {
    auto tasks = Where({{"journey", "glidim_formulary_win"}, {"customer", id}, {"kind", "task"}});
    ASSERT_EQ(tasks.size(), 1u) << id;
    EXPECT_EQ(tasks[0]["assignee"], "michael");
  }
}

TEST_F(AbcPharma, TheBriefingNotifiesMarketingOnce) {
  std::multiset<std::string> told;
  for (const Json& d : Where({{"journey", "formulary_win_briefing"}, {"decision", "action"}}))
    told.insert(d["assignee"].get<std::string>());
  // GLIDIM at Empire: Benjamin and Peter (Leopold recorded it himself);
  // CARDIVEX at Northwind: Olivia, Peter and Nadia (Hannah recorded it).
  EXPECT_EQ(told, (std::multiset<std::string>{"benjamin", "nadia", "olivia", "peter", "peter"}));
}

TEST_F(AbcPharma, CastillosReplyBecomesACaseForElizabeth) {
  auto tasks = Where({{"journey", "case_follow_up"}, {"customer", "hcp-empire-00017"}, {"kind", "task"}});
  ASSERT_FALSE(tasks.empty());
  EXPECT_EQ(tasks[0]["at"], "2026-03-05T14:20:00Z");
  EXPECT_EQ(tasks[0]["assignee"], "elizabeth");
  EXPECT_NE(tasks[0]["text"].get<std::string>().find("email-hcp-empire-00017-1772720400"), std::string::npos);
  // Her survey would be a third promotional e-mail in 7 days.
  auto survey = Where({{"customer", "hcp-empire-00017"}, {"template", "case-satisfaction-survey"}});
  ASSERT_EQ(survey.size(), 1u);
  EXPECT_EQ(survey[0]["decision"], "suppressed");
  EXPECT_EQ(survey[0]["rule"], "cap email 2 per 7d");
}

TEST_F(AbcPharma, MedicalQuestionGoesToPriyanka) {
  auto tasks = Where({{"journey", "medical_question_routing"}, {"kind", "task"}});
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["assignee"], "priyanka");
  // Answered in time: Elizabeth hears it is closed; Dr. Osei is not bothered.
  auto notes = Where({{"journey", "medical_question_routing"}, {"kind", "notify"}});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]["assignee"], "elizabeth");
}

TEST_F(AbcPharma, VisitRequestBecomesATaskForMichael) {
  auto tasks = Where({{"journey", "colleague_visit_request"}, {"kind", "task"}});
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["assignee"], "michael");
  EXPECT_NE(tasks[0]["text"].get<std::string>().find("with 2 colleague(s)"), std::string::npos);
  EXPECT_EQ(Where({{"journey", "colleague_visit_request"}, {"template", "thank-you-for-your-time"},
                   {"decision", "action"}}).size(), 1u);
}

TEST_F(AbcPharma, TwoWayEmail) {
  // Dr. Abigail Nair asks for a call back; Eleanor Friedman, NP for a visit.
  EXPECT_EQ(Where({{"customer", "hcp-empire-01953"}, {"channel", "call_center_case"},
                   {"template", "glidim-callback-request"}}).size(), 1u);
  auto visit = Where({{"customer", "hcp-empire-00472"}, {"journey", "glidim_email_nurture"}, {"kind", "task"}});
  ASSERT_EQ(visit.size(), 1u);
  EXPECT_EQ(visit[0]["assignee"], "michael");
  // Dr. Rebecca Cohen's out-of-office holds her nurture for a week.
  auto away = Where({{"customer", "hcp-empire-00702"}, {"template", "glidim-while-you-were-away"},
                     {"decision", "action"}});
  ASSERT_EQ(away.size(), 1u);
}

TEST_F(AbcPharma, EveryActionCarriesAUniqueIdempotencyKey) {
  std::set<std::string> keys;
  size_t actions = 0;
  for (const Json& d : *decisions_) {
    if (d["decision"] != "action") continue;
    ++actions;
    ASSERT_TRUE(d.contains("idempotency_key")) << d;
    keys.insert(d["idempotency_key"].get<std::string>());
  }
  EXPECT_EQ(keys.size(), actions);
}

}  // namespace
