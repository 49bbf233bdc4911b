// One shard per core, end to end: the reference scenario on three shards
// gives the golden actions and the same pictures of customers and accounts
// as on one; the data folder keeps the number of shards its log was written
// with, and a replay rebuilds the outbox in the same order; journeys that
// reach past their customers run on one shard, and a reload to such a
// version is refused on several; a batch decoded on every shard's thread
// keeps its lines' order and times.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

/// `--config FILE` for a config of `json`, written in `dir`.
std::vector<std::string> Config(const fs::path& dir, const std::string& name, const std::string& json) {
  std::ofstream(dir / name) << json;
  return {"--config", (dir / name).string()};
}

/// The idempotency keys of the action log, in its order.
std::vector<std::string> ActionOrder(Daemon& d) {
  std::vector<std::string> keys;
  Json page = d.GetJson("/v1/actions?limit=100000");
  for (const Json& a : page["actions"]) keys.push_back(a["idempotency_key"]);
  return keys;
}

/// An account's history as sorted lines: the order within an instant may
/// differ between shard counts, the entries may not.
/// A history's entries (every page), sorted.
std::vector<std::string> Entries(Daemon& d, const std::string& path) {
  std::vector<std::string> out;
  for (const Json& h : AllHistory(d, path, 1000)) out.push_back(h.dump());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Shards, ThreeShardsDecideAsOneAndKeepTheirNumber) {
  fs::path dir = FreshDir("shards");
  std::vector<std::string> one_history, one_castillo, one_empire;
  {
    Daemon one(dir / "one", Config(dir, "one.json", R"({"shards": 1})"));
    PlayTheScenario(one, dir);
    EXPECT_EQ(MetricText(one, "tutti_shards"), "1");
    one_history = Entries(one, "/v1/accounts/empire-health/history");
    one_castillo = Entries(one, "/v1/customers/hcp-empire-00017/history?profile=hcp");
    one_empire = Entries(one, "/v1/customers/empire-health/history?profile=account");
  }
  Daemon three(dir / "data", Config(dir, "three.json", R"({"shards": 3})"));
  PlayTheScenario(three, dir);
  EXPECT_EQ(MetricText(three, "tutti_shards"), "3");
  EXPECT_EQ(three.GetJson("/v1/journeys")["shards"], 3);
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson");
  // A customer's picture comes from their shard; an account's history is
  // gathered from every shard.
  EXPECT_EQ(Entries(three, "/v1/customers/hcp-empire-00017/history?profile=hcp"), one_castillo);
  EXPECT_EQ(Entries(three, "/v1/accounts/empire-health/history"), one_history);
  EXPECT_EQ(Entries(three, "/v1/customers/empire-health/history?profile=account"), one_empire);
  EXPECT_GT(one_history.size(), 3091u);
  // Per-journey counts add up over the shards.
  size_t entered = 0;
  Json journeys = three.GetJson("/v1/journeys");
  for (const Json& j : journeys["journeys"]) entered += j["entered"].get<size_t>();
  EXPECT_GT(entered, 3091u);
  std::vector<std::string> order = ActionOrder(three);
  three.Kill(SIGKILL);

  // The folder was written by 3 shards: a config asking for one is told so,
  // and the replay rebuilds the outbox in the very same order.
  Daemon again(dir / "data", Config(dir, "one.json", R"({"shards": 1})"));
  EXPECT_EQ(MetricText(again, "tutti_shards"), "3");
  EXPECT_NE(ReadFile(dir / "data.out.err").find("was written by 3 shards: running 3, not the 1 configured"),
            std::string::npos)
      << ReadFile(dir / "data.out.err");
  EXPECT_EQ(ActionOrder(again), order);
  // And from a snapshot (a clean stop writes one) the same.
  EXPECT_EQ(again.Kill(SIGTERM), 0);
  Daemon restored(dir / "data");
  EXPECT_EQ(MetricText(restored, "tutti_input_log_replayed_total"), "0");
  EXPECT_EQ(ActionOrder(restored), order);
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson", /*crashed=*/true);
}

TEST(Shards, TheConfigSaysHowMany) {
  fs::path dir = FreshDir("shards-config");
  std::string out = RefusedStart(dir, "many", {{"shards", 1000}});
  EXPECT_NE(out.find("many.json.shards: must be a whole number from 0 to 256"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
  out = RefusedStart(dir, "words", {{"shards", "two"}});
  EXPECT_NE(out.find("words.json.shards: must be a whole number from 0 to 256"), std::string::npos) << out;
}

TEST(Shards, JourneysThatReachPastTheirCustomersRunOnOne) {
  fs::path dir = FreshDir("shards-one");
  fs::copy(Source("journeys"), dir / "journeys", fs::copy_options::recursive);
  // A case opened for a fixed prescriber, whoever's journey opens it.
  const char* reaching = R"(import "std/events"
journey open_for_someone {
  on rx_written as rx
  emit case_created { hcp: "hcp-empire-00017", case_id: "c", topic: "general", summary: "s", source: "x", urgent: false }
}
)";
  {
    Daemon d(dir / "data", Config(dir, "two.json", R"({"shards": 2})"), (dir / "journeys").string());
    EXPECT_EQ(MetricText(d, "tutti_shards"), "2");
    std::ofstream(dir / "journeys" / "open_for_someone.tutti") << reaching;
    std::string r = d.Curl("POST", "/v1/journeys/reload");
    EXPECT_EQ(r.substr(0, 3), "409") << r;
    EXPECT_NE(r.find("this version must run on one shard, and the daemon runs 2: journey open_for_someone, emit@4: "
                     "emits case_created with hcp: \\\"hcp-empire-00017\\\""),
              std::string::npos)
        << r;
    EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 20)).substr(0, 3), "200");  // still serving
  }
  // A new data folder started on them runs one shard, and says why.
  Daemon d(dir / "fresh", Config(dir, "two.json", R"({"shards": 2})"), (dir / "journeys").string());
  EXPECT_EQ(MetricText(d, "tutti_shards"), "1");
  EXPECT_NE(ReadFile(dir / "fresh.out.err").find("running on one shard, not 2: journey open_for_someone"),
            std::string::npos)
      << ReadFile(dir / "fresh.out.err");
  PlayTheScenario(d, dir);
}

TEST(Shards, ABatchIsDecodedOnEveryShardAndKeepsItsOrder) {
  // 100 lines, decoded in parallel: the third is bad, the fifth comes
  // later than the batch, and the lines after it without `at` arrive at its
  // time, not the batch's, as they would one by one.
  fs::path dir = FreshDir("shards-decode");
  Daemon d(dir / "data", Config(dir, "two.json", R"({"shards": 2})"));
  std::string body;
  for (int i = 1; i <= 100; ++i) {
    std::string hcp = "hcp-empire-0" + std::to_string(1000 + i);
    if (i == 3) body += "{\"type\": \"email_opened\", \"hcp\": 3}\n";
    else if (i == 5) body += "{\"type\": \"email_opened\", \"hcp\": \"" + hcp + "\", \"template\": \"t\", \"at\": \"2026-05-01T10:00:00Z\"}\n";
    else body += "{\"type\": \"email_opened\", \"hcp\": \"" + hcp + "\", \"template\": \"t\"}\n";
  }
  std::ofstream(dir / "batch.ndjson") << body;
  std::string r = d.Curl("POST", "/v1/events", (dir / "batch.ndjson").string());
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  Json reply = Json::parse(r.substr(4));
  EXPECT_EQ(reply["accepted"], 99);
  EXPECT_EQ(reply["results"][2]["status"], "refused");
  EXPECT_EQ(reply["results"][2]["line"], 3);
  EXPECT_NE(reply["results"][2]["error"].get<std::string>().find("line 3"), std::string::npos) << r;
  auto first_at = [&](int i) {
    Json c = d.GetJson("/v1/customers/hcp-empire-0" + std::to_string(1000 + i) + "?profile=hcp");
    for (const Json& h : c["history"])
      if (h["name"] == "email_opened") return h["at"].get<std::string>();
    return std::string("none");
  };
  EXPECT_EQ(first_at(5), "2026-05-01T10:00:00Z");
  EXPECT_EQ(first_at(6), "2026-05-01T10:00:00Z");
  EXPECT_EQ(first_at(100), "2026-05-01T10:00:00Z");
  EXPECT_NE(first_at(4), "2026-05-01T10:00:00Z");
  // (at the virtual clock's start: it never moved before this batch)
  EXPECT_NE(first_at(4), "none");
}

}  // namespace
