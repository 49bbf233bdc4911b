// Group commit, in process (runtime::Service without the network):
// requests staged in one turn of the event loop and logged in one write
// are applied, live, exactly as a replay of the log applies them.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/daemon/service.h"
#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;
using tutti::runtime::Accept;
using tutti::runtime::IngestResult;
using tutti::runtime::Service;
using tutti::runtime::ServiceOptions;

// Two journeys contend for one doctor at the same instant only: the lower
// priority's e-mail is suppressed when both are settled together.
constexpr const char* kJourneys = R"(profile hcp { id: string key }
channel email { kind message  to hcp }
policy contact { arbitrate by priority }
event launch_signal  keyed by hcp { hcp: string }
event nurture_signal keyed by hcp { hcp: string }
journey brand_launch { priority 80  on launch_signal  send email "launch" }
journey nurture { priority 40  on nurture_signal  send email "newsletter" }
)";

std::unique_ptr<Service> StartService(const ServiceOptions& options) {
  auto started = Service::Start(options);
  if (!started.ok()) ADD_FAILURE() << started.status().message();
  return started.ok() ? std::move(*started) : nullptr;
}

/// The action log's idempotency keys, in order.
std::vector<std::string> Actions(Service& s) {
  std::vector<std::string> keys;
  Json page = Json::parse(s.GetActions(0, tutti::runtime::ActionsQuery{}).body);
  for (const Json& a : page["actions"]) keys.push_back(a["journey"].get<std::string>() + " " + a["idempotency_key"].get<std::string>());
  return keys;
}

TEST(GroupCommit, BatchesCommittedTogetherReplayAsTheyRan) {
  fs::path dir = FreshDir("group-commit");
  std::ofstream(dir / "journeys.tutti") << kJourneys;
  std::ofstream(dir / "profiles.ndjson") << R"({"type": "hcp", "id": "ann"})" << "\n";
  ServiceOptions options;
  options.journeys = (dir / "journeys.tutti").string();
  options.stdlib_dir = Source("stdlib");
  options.data_dir = (dir / "data").string();
  options.profiles = (dir / "profiles.ndjson").string();
  options.jit = false;
  options.snapshot_every = 0;
  std::vector<std::string> live;
  {
    auto s = StartService(options);
    ASSERT_NE(s, nullptr);
    s->OnStaged([] {});  // committed below, together, as the server does after a turn
    // The first request is dated a day ahead of the wall clock; the
    // second, without a time, arrives in the same turn: it must come after
    // the first one's instant is settled, live and in a replay.
    std::string ahead = tutti::runtime::FormatInstant(tutti::runtime::SystemClock().Now() + 86400LL * 1000000000LL);
    std::vector<IngestResult> results;
    s->Stage(R"({"type": "launch_signal", "hcp": "ann", "at": ")" + ahead + "\"}", Accept::kEvents,
             [&](IngestResult r) { results.push_back(r); });
    s->Stage(R"({"type": "nurture_signal", "hcp": "ann"})", Accept::kEvents, [&](IngestResult r) { results.push_back(r); });
    s->Commit();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].accepted + results[1].accepted, 2u);
    live = Actions(*s);
    EXPECT_EQ(live.size(), 2u) << "the two e-mails are sent at different instants, so neither is suppressed";
  }
  auto replayed = StartService(options);
  ASSERT_NE(replayed, nullptr);
  EXPECT_EQ(Actions(*replayed), live);
}

}  // namespace
