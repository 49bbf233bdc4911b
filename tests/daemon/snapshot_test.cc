// Snapshots, end to end: a clean stop writes one and the next start
// replays nothing; with snapshots every few inputs and the log before the
// older one dropped, SIGKILL at any moment still loses nothing and repeats
// nothing; a damaged snapshot is set aside for an older one; and when the
// log's start is gone and no snapshot can stand in for it, the daemon
// refuses to start, saying why, rather than start from a partial state;
// actions not yet delivered when a restored daemon stopped are delivered
// by the next; a snapshot that cannot be written is retried only after
// another snapshot_every inputs.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::vector<fs::path> Snapshots(const fs::path& data) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data / "snapshots", ec))
    if (e.path().filename().string().rfind("snapshot-", 0) == 0 && e.path().extension() == "") out.push_back(e.path());
  std::sort(out.rbegin(), out.rend());
  return out;
}


TEST(Snapshots, ACleanStopLeavesNothingToReplay) {
  fs::path dir = FreshDir("snapshot-stop");
  Json customer, journeys;
  {
    Daemon d(dir / "data");
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 150)).substr(0, 3), "200");
    d.WaitIdle();
    customer = d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp");
    journeys = d.GetJson("/v1/journeys");
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  ASSERT_EQ(Snapshots(dir / "data").size(), 1u);
  Daemon d(dir / "data");
  EXPECT_EQ(Metric(d, "tutti_input_log_replayed_total"), 0);
  EXPECT_EQ(Metric(d, "tutti_snapshot_restored_position"), Metric(d, "tutti_input_log_entries"));
  // Instances with their steps and timers, history, per-step counts.
  EXPECT_EQ(d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp"), customer);
  EXPECT_EQ(d.GetJson("/v1/journeys"), journeys);
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 150, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson");
}

TEST(Snapshots, CrashLoopWithSnapshotsAndADroppedLogLosesNothing) {
  fs::path dir = FreshDir("snapshot-crash");
  std::ofstream(dir / "config.json") << R"({"snapshot_every": 20, "tick_milliseconds": 20})";
  std::vector<std::string> config = {"--config", (dir / "config.json").string()};
  const size_t cuts[] = {0, 30, 55, 75, 140, 141, 200, kEvents};
  double replayed_at_most = 0, dropped = 0;
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    Daemon d(dir / "data", config);
    replayed_at_most = std::max(replayed_at_most, Metric(d, "tutti_input_log_replayed_total"));
    std::string r = d.Curl("POST", "/v1/events", EventSlice(dir, cuts[i], cuts[i + 1]));
    ASSERT_EQ(r.substr(0, 3), "200") << r;
    // Killed right after the acknowledgement, or once a snapshot is out.
    if (i % 2 == 1) {
      d.WaitIdle();
      WaitForSnapshots(d, 1);
    }
    dropped = std::max(dropped, Metric(d, "tutti_input_log_first"));
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data", config);
  EXPECT_GT(dropped, 0) << "no log entry was dropped";
  EXPECT_LT(replayed_at_most, 120) << "restarts replayed more than the log since a snapshot";
  std::string r = d.Curl("POST", "/v1/clock", "", kClockToTheEnd);
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson", true);
}

/// Flips bytes in the middle of `file`.
void Damage(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
  f.write("\xde\xad\xbe\xef", 4);
}

TEST(Snapshots, ADamagedSnapshotIsSetAsideForAnOlderOne) {
  fs::path dir = FreshDir("snapshot-damaged");
  std::ofstream(dir / "config.json") << R"({"snapshot_every": 40, "tick_milliseconds": 20})";
  std::vector<std::string> config = {"--config", (dir / "config.json").string()};
  Json customer;
  {
    Daemon d(dir / "data", config);
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 100)).substr(0, 3), "200");
    d.WaitIdle();
    WaitForSnapshots(d, 1);
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 100, 200)).substr(0, 3), "200");
    d.WaitIdle();
    WaitForSnapshots(d, 2);
    customer = d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp");
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  auto kept = Snapshots(dir / "data");
  ASSERT_EQ(kept.size(), 2u);  // the newest two
  Damage(kept[0]);
  {
    Daemon d(dir / "data", config);
    EXPECT_TRUE(fs::exists(kept[0].string() + ".damaged"));
    EXPECT_NE(ReadFile(dir / "data.out.err").find("a snapshot is damaged"), std::string::npos);
    EXPECT_EQ(Metric(d, "tutti_snapshots_unusable_total"), 1);
    EXPECT_GT(Metric(d, "tutti_input_log_replayed_total"), 0);
    EXPECT_EQ(d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp"), customer);
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 200, kEvents)).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
    d.WaitIdle();
    ExpectTheGoldenActions(dir / "data" / "actions.ndjson");
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  // With the log's start dropped and every snapshot damaged, nothing can
  // rebuild the state: the daemon says so and does not start.
  for (const fs::path& s : Snapshots(dir / "data")) Damage(s);
  std::string out = Shell(TuttiBinary() + " serve --journeys " + Source("journeys") + " --data " +
                          (dir / "data").string() + " --listen 127.0.0.1:0 --clock virtual 2>&1; echo exit=$?");
  EXPECT_NE(out.find("was dropped after a snapshot"), std::string::npos) << out;
  EXPECT_NE(out.find("--accept-data-loss"), std::string::npos) << out;
  EXPECT_EQ(out.find("exit=0"), std::string::npos) << out;
  // The operator accepts the loss: the daemon starts from the log that is
  // left, under the journeys of its folder, counted and reported.
  Daemon d(dir / "data", {"--config", (dir / "config.json").string(), "--accept-data-loss"});
  EXPECT_EQ(Metric(d, "tutti_data_loss_total{what=\"snapshot\"}"), 1);
  EXPECT_NE(d.GetJson("/readyz").value("data_loss", "").find("was dropped after a snapshot"), std::string::npos);
  EXPECT_GT(Metric(d, "tutti_input_log_replayed_total"), 0);
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 10)).substr(0, 3), "200");
}

TEST(Snapshots, ASnapshotPastTheLogsEndIsRefusedThenSetAside) {
  // An older copy of the log put back (or a log that lost its tail) under
  // a newer snapshot: the start refuses; with --accept-data-loss the
  // snapshot is set aside, never restored later once the log grows past it.
  fs::path dir = FreshDir("snapshot-past-log");
  {
    Daemon d(dir / "data");
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 60)).substr(0, 3), "200");
    d.WaitIdle();
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  fs::copy(dir / "data" / "log", dir / "log-then", fs::copy_options::recursive);
  {
    Daemon d(dir / "data");
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 60, 120)).substr(0, 3), "200");
    d.WaitIdle();
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  auto kept = Snapshots(dir / "data");
  ASSERT_EQ(kept.size(), 2u);
  fs::remove_all(dir / "data" / "log");
  fs::copy(dir / "log-then", dir / "data" / "log", fs::copy_options::recursive);
  std::string out = Shell(TuttiBinary() + " serve --journeys " + Source("journeys") + " --data " +
                          (dir / "data").string() + " --listen 127.0.0.1:0 --clock virtual --profiles " +
                          Source("examples/abc-pharma/profiles.ndjson") + " 2>&1; echo exit=$?");
  EXPECT_NE(out.find("acknowledged inputs are missing from the log"), std::string::npos) << out;
  EXPECT_EQ(out.find("exit=0"), std::string::npos) << out;
  Json journeys;
  {
    Daemon d(dir / "data", {"--accept-data-loss"});
    EXPECT_TRUE(fs::exists(kept[0].string() + ".stale"));
    EXPECT_TRUE(fs::exists(kept[1]));
    EXPECT_EQ(Metric(d, "tutti_data_loss_total{what=\"input_log\"}"), 1);
    EXPECT_NE(d.GetJson("/readyz").value("data_loss", "").find("set aside"), std::string::npos);
    // Other inputs than the lost ones take the log past the stale snapshot.
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 120, kEvents)).substr(0, 3), "200");
    d.WaitIdle();
    journeys = d.GetJson("/v1/journeys");
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data");
  EXPECT_EQ(d.GetJson("/v1/journeys"), journeys);
}

TEST(Snapshots, ActionsNotDeliveredBeforeACrashAreDeliveredAfterARestore) {
  fs::path dir = FreshDir("snapshot-undelivered");
  // Few actions held in memory, so that the snapshot's outbox is trimmed
  // and the undelivered ones outnumber what it holds.
  std::ofstream(dir / "config.json") << R"({"actions_retained": 5})";
  std::ofstream(dir / "full.json") << R"({"actions_retained": 5, "actions_file": "/dev/full"})";
  {
    Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 130)).substr(0, 3), "200");
    d.WaitIdle();
    EXPECT_EQ(d.Kill(SIGTERM), 0);  // a snapshot
  }
  {
    // The actions file cannot take anything: every action waits.
    Daemon d(dir / "data", {"--config", (dir / "full.json").string()});
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 130, kEvents)).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
    d.WaitIdle();
    EXPECT_GT(Metric(d, "tutti_outbox_pending"), 5);
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson", true);
}

TEST(Snapshots, ASnapshotThatCannotBeWrittenIsRetriedAfterMoreInputs) {
  fs::path dir = FreshDir("snapshot-failing");
  fs::create_directories(dir / "data");
  std::ofstream(dir / "data" / "snapshots") << "a file where the folder should be\n";
  std::ofstream(dir / "config.json") << R"({"snapshot_every": 40, "tick_milliseconds": 20})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  for (size_t from = 0; from < 120; from += 10) {
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, from, from + 10)).substr(0, 3), "200");
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // a few ticks
  }
  d.WaitIdle();
  std::string series = "tutti_snapshots_total{outcome=\"failed\"}";
  std::string metrics = d.Curl("GET", "/metrics");
  auto at = metrics.find(series + " ");
  ASSERT_NE(at, std::string::npos) << metrics;
  int failed = std::stoi(metrics.substr(at + series.size() + 1));
  EXPECT_GE(failed, 1);
  EXPECT_LE(failed, 3) << "one attempt per 40 inputs, not one per tick";
  // Inputs go on being taken, and nothing is lost.
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 120, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson");
}

}  // namespace
