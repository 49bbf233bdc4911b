// End to end: the real `tutti serve` binary on loopback, started by the
// test on a free port, driven with curl. The reference scenario over HTTP
// gives the same actions as `tutti simulate`; a daemon killed with SIGKILL
// and restarted on the same data folder loses nothing acknowledged and
// repeats nothing; bad requests are refused with a clear status while the
// daemon keeps serving; SIGTERM stops it cleanly.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

TEST(Daemon, ReferenceScenarioOverHttpMatchesSimulate) {
  fs::path dir = FreshDir("scenario");
  Daemon d(dir / "data");
  EXPECT_EQ(d.Curl("GET", "/healthz").substr(0, 3), "200");
  // In three batches, as a producer would send them.
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 100)).substr(0, 3), "200");
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 100, 200)).substr(0, 3), "200");
  // Mid-scenario, Dr. Castillo's journeys wait, and says until when.
  Json mid = d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp");
  size_t with_timer = 0;
  for (const Json& i : mid["instances"]) {
    EXPECT_NE(i["state"], "running") << i.dump();  // between requests, every instance waits
    with_timer += i.contains("next_timer");
  }
  EXPECT_GE(with_timer, 1u) << mid.dump();
  EXPECT_EQ(with_timer, mid["instances"].size()) << mid.dump();
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 200, kEvents)).substr(0, 3), "200");
  std::string r = d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'");
  EXPECT_EQ(r.substr(0, 3), "200") << r;
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson");
  // The action log over the API holds them too, with their delivery state.
  Json page = d.GetJson("/v1/actions?since=0&limit=5");
  ASSERT_EQ(page["actions"].size(), 5u);
  EXPECT_EQ(page["actions"][0]["delivery"], "delivered");
  EXPECT_EQ(page["next"], 5);
  // A cursor past everything, up to the last number there is: nothing, and
  // the daemon stays up.
  Json past = d.GetJson("/v1/actions?since=18446744073709551615");
  EXPECT_TRUE(past["actions"].empty());
  EXPECT_FALSE(past.contains("trimmed"));
  EXPECT_EQ(d.GetJson("/v1/actions?since=18446744073709551614&delivery=pending")["actions"].size(), 0u);
  // A customer's full picture and the account's history.
  Json castillo = d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp");
  EXPECT_EQ(castillo["record"]["name"], "Dr. Naomi Castillo");
  // Her actions in the action log, filtered to her: the ones her page
  // lists, oldest first.
  Json hers = d.GetJson("/v1/actions?customer=hcp-empire-00017&limit=100000")["actions"];
  ASSERT_FALSE(hers.empty());
  std::vector<std::string> logged, listed;
  for (auto it = hers.rbegin(); it != hers.rend() && logged.size() < 50; ++it) logged.push_back((*it)["idempotency_key"]);
  for (const Json& a : castillo["actions"]) listed.push_back(a["idempotency_key"]);
  EXPECT_EQ(logged, listed);
  for (const Json& a : hers) EXPECT_EQ(a["customer"], "hcp-empire-00017");
  EXPECT_EQ(d.Curl("GET", "/v1/actions?customer=" + std::string(1025, 'x')).substr(0, 3), "400");
  EXPECT_GT(castillo["history"].size(), 10u);
  EXPECT_FALSE(castillo.contains("history_next"));  // all of it on the first page
  // An account's history comes a page at a time (never whole on the event
  // loop); small pages and large ones walk through the same entries.
  Json empire = AllHistory(d, "/v1/accounts/empire-health/history", 1000);
  EXPECT_GT(empire.size(), 3091u);
  EXPECT_EQ(d.GetJson("/v1/accounts/empire-health/history")["history"].size(), 100u);
  EXPECT_EQ(AllHistory(d, "/v1/accounts/empire-health/history", 97), empire);
  EXPECT_EQ(AllHistory(d, "/v1/customers/hcp-empire-00017/history", 3), castillo["history"]);
  // Filters by kind, channel, journey and time pick the same entries as
  // the whole history filtered here, page after page.
  auto only = [&](const Json& all, auto keep) {
    Json out = Json::array();
    for (const Json& h : all)
      if (keep(h)) out.push_back(h);
    return out;
  };
  Json actions_only = only(empire, [](const Json& h) { return h["kind"] == "action"; });
  ASSERT_FALSE(actions_only.empty());
  EXPECT_EQ(AllHistory(d, "/v1/accounts/empire-health/history?kind=action", 300), actions_only);
  std::string channel = actions_only[0]["name"], journey = actions_only[0]["journey"];
  EXPECT_TRUE(actions_only[0].contains("version"));
  EXPECT_EQ(AllHistory(d, "/v1/accounts/empire-health/history?channel=" + channel, 40),
            only(empire, [&](const Json& h) { return h["kind"] != "event" && h["name"] == channel; }));
  EXPECT_EQ(AllHistory(d, "/v1/accounts/empire-health/history?journey=" + journey + "&kind=action", 400),
            only(empire, [&](const Json& h) { return h.value("journey", "") == journey && h["kind"] == "action"; }));
  std::string from = empire[empire.size() / 3]["at"], to = empire[2 * empire.size() / 3]["at"];
  Json window = AllHistory(d, "/v1/accounts/empire-health/history?from=" + from + "&to=" + to, 500);
  EXPECT_EQ(window, only(empire, [&](const Json& h) { return h["at"] >= from && h["at"] <= to; }));
  EXPECT_GT(window.size(), 100u);
  EXPECT_EQ(d.Curl("GET", "/v1/accounts/empire-health/history?from=yesterday").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/accounts/empire-health/history?kind=visit").substr(0, 3), "400");
  Json journeys = d.GetJson("/v1/journeys");
  EXPECT_EQ(journeys["journeys"].size(), 11u);
  // Each journey's analytics add up: the instances resting at its steps
  // are its active ones, a wait for an event was left no more often than
  // it was reached, and the actions by channel are the action log's.
  int64_t actions = 0;
  for (const Json& j : journeys["journeys"]) {
    int64_t resting = 0;
    for (const auto& [id, step] : j["steps"].items()) {
      resting += step["waiting_now"].get<int64_t>();
      if (step.contains("left_by_event"))
        EXPECT_LE(step["left_by_event"]["customers"].get<int64_t>() + step["left_by_timeout"]["customers"].get<int64_t>() +
                      step["waiting_now"].get<int64_t>(),
                  step["reached"].get<int64_t>())
            << j["name"] << " " << id;
    }
    EXPECT_EQ(resting, j["active"].get<int64_t>()) << j["name"];
    for (const auto& [channel, n] : j["actions"].items()) actions += n.get<int64_t>();
    if (j["name"] == "glidim_formulary_win") EXPECT_EQ(j["entered"], 3091);
  }
  EXPECT_EQ(actions, d.GetJson("/v1/actions?since=0&limit=100000")["actions"].size());
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_events_in_total 260"), std::string::npos) << metrics;
  // Request and store latencies, as histograms.
  EXPECT_NE(metrics.find("tutti_http_request_duration_seconds_count{route=\"/v1/events\"} 3"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tutti_store_write_duration_seconds_bucket{operation=\"append\",le=\"+Inf\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tutti_store_write_duration_seconds_count{operation=\"delivered\"}"), std::string::npos)
      << metrics;
  EXPECT_EQ(d.Kill(SIGTERM), 0);  // exited normally with status 0
}

TEST(Daemon, CrashLoopLosesNothingAndRepeatsNothing) {
  fs::path dir = FreshDir("crash");
  const size_t cuts[] = {0, 37, 90, 91, 150, 222, kEvents};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    Daemon d(dir / "data");
    std::string r = d.Curl("POST", "/v1/events", EventSlice(dir, cuts[i], cuts[i + 1]));
    ASSERT_EQ(r.substr(0, 3), "200") << r;
    d.Kill(SIGKILL);  // after the acknowledgement: everything in it must survive
  }
  Daemon d(dir / "data");
  std::string r = d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  d.WaitIdle();
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson", true);
}

TEST(Daemon, DeliveredActionsBeyondTheRetentionAreForgotten) {
  fs::path dir = FreshDir("retained");
  std::ofstream(dir / "config.json") << R"({"actions_retained": 40})";
  auto check = [&](Daemon& d, Json& page) {
    page = d.GetJson("/v1/actions?since=0&limit=100000");
    EXPECT_LE(page["actions"].size(), 40u);
    ASSERT_GT(page["trimmed"].get<int>(), 0) << "the reference scenario has more than 40 actions";
    // The oldest held action follows the trimmed ones.
    EXPECT_EQ(page["actions"][0]["seq"].get<int>(), page["trimmed"].get<int>() + 1);
    EXPECT_EQ(page["next"], page["actions"].back()["seq"]);
    std::string metrics = d.Curl("GET", "/metrics");
    auto at = metrics.find("\ntutti_outbox_entries ");
    ASSERT_NE(at, std::string::npos);
    EXPECT_LE(std::stoi(metrics.substr(at + 22)), 40);
  };
  Json before;
  {
    Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
    d.WaitIdle();
    check(d, before);
    d.Kill(SIGKILL);
  }
  // The replay trims as it goes and ends where the daemon was.
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  Json after;
  check(d, after);
  EXPECT_EQ(after, before);
  ExpectTheGoldenActions(dir / "data" / "actions.ndjson", true);
}

TEST(Daemon, EventsWithoutATimeKeepTheSameTimeAfterReplay) {
  fs::path dir = FreshDir("noat");
  std::ofstream(dir / "batch.ndjson")
      << R"({"type": "email_opened", "hcp": "hcp-empire-00017", "template": "a", "at": "2026-03-10T09:00:00Z"})" "\n"
      << R"({"type": "email_opened", "hcp": "hcp-empire-00017", "template": "b"})" "\n";
  Json before;
  {
    Daemon d(dir / "data");
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "batch.ndjson").string()).substr(0, 3), "200");
    before = d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp")["history"];
    d.Kill(SIGKILL);
  }
  // The second event, with no time of its own, took the engine's time,
  // which the first had moved to its own.
  ASSERT_EQ(before.size(), 2u) << before.dump();
  EXPECT_EQ(before[1]["at"], "2026-03-10T09:00:00Z");
  Daemon d(dir / "data");
  EXPECT_EQ(d.GetJson("/v1/customers/hcp-empire-00017?profile=hcp")["history"], before);
}

TEST(Daemon, PausedJourneysStartNothingAcrossRestarts) {
  fs::path dir = FreshDir("pause");
  {
    Daemon d(dir / "data");
    EXPECT_EQ(d.Curl("POST", "/v1/journeys/glidim_formulary_win/pause").substr(0, 3), "200");
    EXPECT_EQ(d.Curl("POST", "/v1/journeys/no_such_journey/pause").substr(0, 3), "404");
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data");
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
  auto journey = [&](const std::string& name) {
    Json all = d.GetJson("/v1/journeys");
    for (const Json& j : all["journeys"])
      if (j["name"] == name) return j;
    return Json();
  };
  Json win = journey("glidim_formulary_win");
  ASSERT_TRUE(win.is_object());
  EXPECT_EQ(win["status"], "paused");
  EXPECT_EQ(win["entered"], 0);
  // The formulary win still reached the journeys that were not paused.
  EXPECT_EQ(journey("formulary_win_briefing")["entered"], 2);
  EXPECT_EQ(d.Curl("POST", "/v1/journeys/glidim_formulary_win/resume").substr(0, 3), "200");
  EXPECT_EQ(journey("glidim_formulary_win")["status"], "running");
}

TEST(Daemon, WebhookRetriesWithBackoffThenDelivers) {
  fs::path dir = FreshDir("webhook");
  Receiver receiver(dir / "received.txt", 2);
  ASSERT_NE(receiver.port(), 0);
  std::ofstream(dir / "config.json") << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:)"
                                     << receiver.port() << R"(/orders", "backoff_ms": 20, "max_attempts": 5}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
  d.WaitIdle();
  std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
  ASSERT_EQ(hooks.size(), 2u);  // the two sample-fulfilment orders of the scenario
  std::string received = ReadFile(dir / "received.txt");
  for (const Json& a : hooks) {
    EXPECT_EQ(a["delivery"], "delivered") << a.dump();
    std::string key = a["idempotency_key"];
    // Two 500s, then a 200, each attempt carrying the same key.
    EXPECT_NE(received.find(key + " 1 500"), std::string::npos) << received;
    EXPECT_NE(received.find(key + " 2 500"), std::string::npos) << received;
    EXPECT_NE(received.find(key + " 3 200"), std::string::npos) << received;
    EXPECT_EQ(received.find(key + " 4 "), std::string::npos) << "delivered twice: " << received;
  }
  // Each outcome came back to the engine as an event in the prescriber's history.
  for (const Json& a : hooks) {
    Json customer = d.GetJson("/v1/customers/" + a["to"].get<std::string>() + "?profile=hcp");
    EXPECT_NE(customer["history"].dump().find("\"action_delivered\""), std::string::npos) << customer.dump();
  }
  // Webhook actions do not go to the file sink.
  EXPECT_EQ(ReadFile(dir / "data" / "actions.ndjson").find("sample-fulfilment-order"), std::string::npos);
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_actions_total{channel=\"webhook\",outcome=\"delivered\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tutti_actions_total{channel=\"webhook\",outcome=\"retried\"} 4"), std::string::npos) << metrics;
}

/// The bench program's profiles for `n` prescribers h0, h1, ..., in `dir`.
std::string BenchProfiles(const fs::path& dir, int n) {
  std::ofstream profiles(dir / "profiles.ndjson");
  for (int i = 0; i < n; ++i)
    profiles << R"({"type": "hcp", "id": "h)" << i << R"(", "name": "n", "rep": "r", "timezone": "UTC"})" << "\n";
  return (dir / "profiles.ndjson").string();
}

TEST(Daemon, EachWebhookIsSentOnceOnTheSystemClock) {
  // Events more than a tick apart, on the system clock, against a receiver
  // that answers at once: every action is delivered once, and its outcome
  // comes back once (a delivery already final is never routed again).
  fs::path dir = FreshDir("webhook-once");
  Receiver receiver(dir / "received.txt", 0);
  ASSERT_NE(receiver.port(), 0);
  std::ofstream(dir / "config.json") << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:)" << receiver.port()
                                     << R"(/orders"}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string(), "--profiles", BenchProfiles(dir, 3), "--clock", "system"},
           Source("bench/daemon"));
  for (int i = 0; i < 6; ++i) {
    std::ofstream(dir / "hook.ndjson") << R"({"type": "hook", "hcp": "h)" << i % 3 << R"("})" << "\n";
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "hook.ndjson").string()).substr(0, 3), "200");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // several ticks
  }
  d.WaitIdle();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::map<std::string, int> requests;
  std::istringstream lines(ReadFile(dir / "received.txt"));
  for (std::string key, attempt, status; lines >> key >> attempt >> status;) ++requests[key];
  EXPECT_EQ(requests.size(), 6u);
  for (const auto& [key, n] : requests) EXPECT_EQ(n, 1) << key << " was sent " << n << " times";
  int outcomes = 0;
  for (int i = 0; i < 3; ++i) {
    std::string history = d.GetJson("/v1/customers/h" + std::to_string(i) + "?profile=hcp")["history"].dump();
    for (size_t at = history.find("action_delivered"); at != std::string::npos;
         at = history.find("action_delivered", at + 1))
      ++outcomes;
  }
  EXPECT_EQ(outcomes, 6);
  EXPECT_NE(d.Curl("GET", "/metrics").find("tutti_actions_total{channel=\"webhook\",outcome=\"delivered\"} 6"),
            std::string::npos);
}

TEST(Daemon, WebhooksReuseAKeptConnectionAndSurviveItsClosing) {
  // A receiver that keeps connections open (HTTP/1.1) and closes those
  // idle for 0.3 s: back-to-back deliveries share connections, and after
  // the receiver closed them each delivery still goes out once.
  fs::path dir = FreshDir("webhook-keep-alive");
  Receiver receiver(dir / "received.txt", 0, "tests/daemon/webhook_receiver.py", "keep-alive");
  ASSERT_NE(receiver.port(), 0);
  std::ofstream(dir / "config.json") << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:)" << receiver.port()
                                     << R"(/orders", "concurrency": 1}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string(), "--profiles", BenchProfiles(dir, 3), "--clock", "system"},
           Source("bench/daemon"));
  std::string batch;
  for (int i = 0; i < 12; ++i) batch += R"({"type": "hook", "hcp": "h)" + std::to_string(i % 3) + "\"}\n";
  std::ofstream(dir / "batch.ndjson") << batch;
  ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "batch.ndjson").string()).substr(0, 3), "200");
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the kept connection is closed by now
    std::ofstream(dir / "hook.ndjson") << R"({"type": "hook", "hcp": "h0"})" << "\n";
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "hook.ndjson").string()).substr(0, 3), "200");
  }
  std::string delivered = "tutti_actions_total{channel=\"webhook\",outcome=\"delivered\"} 15";
  for (int i = 0; i < 100 && d.Curl("GET", "/metrics").find(delivered) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(d.Curl("GET", "/metrics").find(delivered), std::string::npos);
  std::map<std::string, int> requests;
  std::set<std::string> ports;
  std::istringstream lines(ReadFile(dir / "received.txt"));
  for (std::string key, attempt, status, port; lines >> key >> attempt >> status >> port;) {
    ++requests[key];
    ports.insert(port);
  }
  EXPECT_EQ(requests.size(), 15u);
  for (const auto& [key, n] : requests) EXPECT_EQ(n, 1) << key << " was sent " << n << " times";
  EXPECT_LE(ports.size(), 6u) << "the twelve of the batch did not share connections";
  EXPECT_GE(ports.size(), 4u) << "a closed connection was used again";
}

TEST(Daemon, SigtermWaitsForTheAttemptsUnderWay) {
  // A receiver that takes 1.5 s to answer: the stop waits for its answer
  // and records it, so that the next start does not send it again.
  fs::path dir = FreshDir("sigterm-in-flight");
  Receiver receiver("tests/daemon/hostile_peer.py", (dir / "received.txt").string() + " slow-200 1.5");
  ASSERT_NE(receiver.port(), 0);
  std::ofstream(dir / "config.json") << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:)" << receiver.port()
                                     << R"(/orders"}}})";
  std::vector<std::string> args = {"--config", (dir / "config.json").string(), "--profiles", BenchProfiles(dir, 1),
                                   "--clock", "system"};
  {
    Daemon d(dir / "data", args, Source("bench/daemon"));
    std::ofstream(dir / "hook.ndjson") << R"({"type": "hook", "hcp": "h0"})" << "\n";
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "hook.ndjson").string()).substr(0, 3), "200");
    for (int i = 0; i < 100 && ReadFile(dir / "received.txt").empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_FALSE(ReadFile(dir / "received.txt").empty()) << "no attempt started";
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  Daemon d(dir / "data", args, Source("bench/daemon"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // an attempt made again would be seen by now
  std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0]["delivery"], "delivered") << hooks[0].dump();
  std::string received = ReadFile(dir / "received.txt");
  EXPECT_EQ(std::count(received.begin(), received.end(), '\n'), 1) << received;
  EXPECT_NE(d.GetJson("/v1/customers/h0?profile=hcp")["history"].dump().find("action_delivered"), std::string::npos);
}

TEST(Daemon, AJourneysFileNameThatIsNotUtf8IsRefused) {
  // The log keeps each version's files by name as JSON: such a name is
  // refused with the reason, at the start and at a reload, not a crash.
  fs::path dir = FreshDir("not-utf8-name");
  fs::create_directories(dir / "journeys");
  fs::copy(Source("bench/daemon/waiting.tutti"), dir / "journeys" / "waiting.tutti");
  std::string out = Shell(TuttiBinary() + " serve --journeys " + (dir / "journeys").string() +
                          " --data " + (dir / "data").string() + " --listen 127.0.0.1:0 --clock virtual 2>&1 & pid=$!; " +
                          "sleep 1; mv " + (dir / "journeys" / "waiting.tutti").string() + " " +
                          (dir / "journeys").string() + "/$(printf 'w\\377.tutti'); kill -HUP $pid; sleep 1; " +
                          "kill -TERM $pid; wait $pid; echo exit=$?");
  EXPECT_NE(out.find("not UTF-8"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
  std::string start = Shell(TuttiBinary() + " serve --journeys " + (dir / "journeys").string() +
                            " --data " + (dir / "data2").string() + " --listen 127.0.0.1:0 --clock virtual 2>&1; echo exit=$?");
  EXPECT_NE(start.find("not UTF-8"), std::string::npos) << start;
  EXPECT_EQ(start.find("exit=0"), std::string::npos) << start;
}

TEST(Daemon, SmtpRelayDeliversAfterATemporaryFailure) {
  fs::path dir = FreshDir("smtp");
  Receiver relay(dir / "relayed.txt", 1, "tests/daemon/smtp_relay.py");
  ASSERT_NE(relay.port(), 0);
  std::ofstream(dir / "config.json") << R"({"smtp": {"service_email": {"relay": "127.0.0.1:)" << relay.port()
                                     << R"(", "from": "service@abc-pharma.example", "backoff_ms": 20,
                                              "rate_per_second": 4}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
  d.WaitIdle();
  std::vector<Json> mails = FinalWebhookActions(d, "service_email");
  // Eight attempts at most four a second: the last starts 1.75 s after the first.
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 1.7);
  ASSERT_EQ(mails.size(), GoldenActionsOn("service_email"));  // the scenario's service e-mails
  std::string relayed = ReadFile(dir / "relayed.txt");
  for (const Json& a : mails) {
    EXPECT_EQ(a["delivery"], "delivered") << a.dump();
    std::string key = a["idempotency_key"];
    // 451 once, then accepted, and no more: each line is "KEY RCPT ATTEMPT STATUS".
    std::vector<std::string> attempts;
    std::istringstream lines(relayed);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(key + " ", 0) == 0) attempts.push_back(line.substr(line.rfind(' ', line.size() - 5) + 1));
    EXPECT_EQ(attempts, (std::vector<std::string>{"1 451", "2 250"})) << relayed;
  }
  EXPECT_NE(relayed.find("naomi.castillo@"), std::string::npos) << relayed;
  // Each is a real message: the content the engine rendered, parsed back by
  // Python's MIME parser, with the action's key as its Message-ID.
  std::string read = Shell("python3 " + Source("tests/daemon/read_mail.py") + " " +
                           (dir / "relayed.txt.mail").string());
  std::istringstream parsed(read);
  size_t messages = 0;
  for (std::string line; std::getline(parsed, line); ++messages) {
    Json m = Json::parse(line);
    EXPECT_EQ(m["defects"], Json::array()) << line;
    EXPECT_EQ(m["content_type"], "text/plain") << line;
    EXPECT_EQ(m["list_unsubscribe"], "<mailto:service@abc-pharma.example?subject=unsubscribe>") << line;
    std::string id = m["message_id"];
    bool known = false;
    for (const Json& a : mails) known |= id == "<" + a["idempotency_key"].get<std::string>() + "@tutti>";
    EXPECT_TRUE(known) << line;
    EXPECT_EQ(m["text"].get<std::string>().rfind("Dear ", 0), 0u) << line;
    EXPECT_EQ(m["text"].get<std::string>().find('{'), std::string::npos) << line;
  }
  EXPECT_EQ(messages, mails.size()) << read;
}

TEST(Daemon, AMessageTheRelayTookIsDeliveredEvenIfItHangsUpBeforeQuit) {
  fs::path dir = FreshDir("smtp-hang-up");
  Receiver relay(dir / "relayed.txt", 0, "tests/daemon/smtp_relay.py", "hang-up");
  ASSERT_NE(relay.port(), 0);
  std::ofstream(dir / "config.json") << R"({"smtp": {"service_email": {"relay": "127.0.0.1:)" << relay.port()
                                     << R"(", "from": "service@abc-pharma.example", "backoff_ms": 20}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  PlayTheScenario(d, dir);
  std::vector<Json> mails = FinalWebhookActions(d, "service_email");
  ASSERT_EQ(mails.size(), GoldenActionsOn("service_email"));
  std::string relayed = ReadFile(dir / "relayed.txt");
  for (const Json& a : mails) {
    EXPECT_EQ(a["delivery"], "delivered") << a.dump();
    // Taken once ("KEY RCPT 1 250"): not sent again for want of an answer to QUIT.
    std::string key = a["idempotency_key"];
    EXPECT_NE(relayed.find(key + " "), std::string::npos) << relayed;
    EXPECT_EQ(relayed.find(key + " ", relayed.find(key) + 1), std::string::npos) << relayed;
  }
}

TEST(Daemon, WebhookThatNeverAnswersIsDeadLetteredAndStaysSo) {
  fs::path dir = FreshDir("deadletter");
  // Port 1 on loopback: nothing listens, connections are refused.
  std::ofstream(dir / "config.json")
      << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:1/orders", "backoff_ms": 10, "max_attempts": 3}}})";
  {
    Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
    PlayTheScenario(d, dir);
    std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
    ASSERT_EQ(hooks.size(), 2u);
    for (const Json& a : hooks) {
      EXPECT_EQ(a["delivery"], "dead_letter") << a.dump();
      Json customer = d.GetJson("/v1/customers/" + a["to"].get<std::string>() + "?profile=hcp");
      EXPECT_NE(customer["history"].dump().find("\"action_failed\""), std::string::npos) << customer.dump();
    }
    std::string metrics = d.Curl("GET", "/metrics");
    EXPECT_NE(metrics.find("tutti_actions_total{channel=\"webhook\",outcome=\"dead_letter\"} 2"), std::string::npos)
        << metrics;
    d.Kill(SIGKILL);
  }
  // After a crash the dead letters are still dead letters, not retried.
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
  ASSERT_EQ(hooks.size(), 2u);
  for (const Json& a : hooks) EXPECT_EQ(a["delivery"], "dead_letter") << a.dump();
}

/// How many lines of a webhook_receiver.py log show `key` answered 200
/// (`status` "200"), or at all (`status` empty).
size_t TimesDelivered(const fs::path& log, const std::string& key, std::string_view status = "200") {
  size_t n = 0;
  std::istringstream lines(ReadFile(log));
  for (std::string k, attempt, answer; lines >> k >> attempt >> answer;)
    n += k == key && (status.empty() || answer == status);
  return n;
}

TEST(Daemon, ADeadLetterRetriedIsDeliveredOnceAndTheRetryOutlivesACrash) {
  fs::path dir = FreshDir("retry");
  // Each key's first 3 attempts fail and 2 are allowed: both webhooks are
  // dead-lettered, and a retry (2 more) delivers each.
  Receiver receiver(dir / "received.txt", 3);
  ASSERT_NE(receiver.port(), 0);
  std::ofstream(dir / "config.json") << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:)" << receiver.port()
                                     << R"(/orders", "backoff_ms": 5000, "max_attempts": 2}}})";
  const std::vector<std::string> args = {"--config", (dir / "config.json").string()};
  std::string first, second;
  {
    Daemon d(dir / "data", args);
    PlayTheScenario(d, dir);
    std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
    ASSERT_EQ(hooks.size(), 2u);
    Json dead = d.GetJson("/v1/actions?delivery=dead_letter");
    ASSERT_EQ(dead["actions"].size(), 2u) << dead.dump();
    first = dead["actions"][0]["idempotency_key"];
    second = dead["actions"][1]["idempotency_key"];
    EXPECT_EQ(d.GetJson("/v1/actions?delivery=delivered&limit=100000")["actions"].dump().find(first),
              std::string::npos);
    EXPECT_EQ(d.Curl("GET", "/v1/actions?delivery=lost").substr(0, 3), "400");
    EXPECT_EQ(d.Curl("POST", "/v1/actions/no-such-key/retry", "", "-d '{}'").substr(0, 3), "404");
    EXPECT_EQ(d.Curl("GET", "/v1/actions/" + first + "/retry").substr(0, 3), "405");

    std::string retried = d.Curl("POST", "/v1/actions/" + first + "/retry", "", "-d '{}'");
    EXPECT_EQ(retried.substr(0, 3), "202") << retried;
    for (int i = 0; i < 300 && TimesDelivered(dir / "received.txt", first) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(d.Curl("POST", "/v1/actions/" + first + "/retry", "", "-d '{}'").substr(0, 3), "409");
    hooks = FinalWebhookActions(d, "webhook");
    for (const Json& a : hooks) EXPECT_EQ(a["delivery"], a["idempotency_key"] == first ? "delivered" : "dead_letter");
    // The journey hears the outcome of the retry too.
    Json customer = d.GetJson("/v1/customers/" + hooks[0]["customer"].get<std::string>());
    EXPECT_NE(customer["history"].dump().find("\"action_delivered\""), std::string::npos) << customer.dump();
    EXPECT_NE(d.Curl("GET", "/metrics").find(R"(tutti_actions_total{channel="webhook",outcome="dead_letter_retried"} 1)"),
              std::string::npos);
    EXPECT_EQ(d.Kill(SIGTERM), 0);  // a snapshot that holds the second as a dead letter
  }
  {
    // The second retried, and the daemon killed while its first attempt
    // waits out its backoff.
    Daemon d(dir / "data", args);
    std::string retried = d.Curl("POST", "/v1/actions/" + second + "/retry", "", "-d '{}'");
    EXPECT_EQ(retried.substr(0, 3), "202") << retried;
    // Killed once that attempt has reached the receiver (its third): an
    // attempt the daemon records and is killed before making counts
    // against the retry's budget, as it must (it cannot tell).
    for (int i = 0; i < 300 && TimesDelivered(dir / "received.txt", second, "") < 3; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(TimesDelivered(dir / "received.txt", second, ""), 3u);
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data", args);
  std::vector<Json> hooks = FinalWebhookActions(d, "webhook");
  ASSERT_EQ(hooks.size(), 2u);
  for (const Json& a : hooks) EXPECT_EQ(a["delivery"], "delivered") << a.dump();
  EXPECT_EQ(TimesDelivered(dir / "received.txt", first), 1u);
  EXPECT_EQ(TimesDelivered(dir / "received.txt", second), 1u);
}

TEST(Daemon, StreamingIngestAcknowledgesEachBatch) {
  fs::path dir = FreshDir("stream");
  std::ofstream(dir / "config.json") << R"({"stream_listen": "127.0.0.1:0", "ingest_token": "in-secret"})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  ASSERT_NE(d.StreamPort(), 0);
  {
    Connection c(d.StreamPort());
    ASSERT_TRUE(c.connected());
    c.Send("{\"token\": \"wrong\"}\n");
    EXPECT_NE(c.ReadLine().find("token"), std::string::npos);
  }
  Connection c(d.StreamPort());
  ASSERT_TRUE(c.connected());
  std::string events = ReadFile(EventSlice(dir, 0, 100));
  c.Send("{\"token\": \"in-secret\"}\n" + events + "{\"type\": \"email_opened\", \"hcp\": 7}\n");
  // The batches the daemon forms depend on how the bytes arrive; add up
  // the acknowledgements until every line is answered.
  size_t accepted = 0, refused = 0, last = 0;
  std::string errors;
  while (last < 102) {
    Json ack = Json::parse(c.ReadLine(), nullptr, false);
    ASSERT_TRUE(ack.is_object());
    accepted += ack["accepted"].get<size_t>();
    refused += ack["refused"].get<size_t>();
    last = ack["lines"][1];
    errors += ack["errors"].dump();
  }
  EXPECT_EQ(accepted, 100u);
  EXPECT_EQ(refused, 1u);
  EXPECT_NE(errors.find("\"line\":102"), std::string::npos) << errors;  // counted from the token line
  c.Send(ReadFile(EventSlice(dir, 100, kEvents)));
  accepted = 0;
  while (last < 102 + kEvents - 100) {
    Json ack = Json::parse(c.ReadLine(), nullptr, false);
    ASSERT_TRUE(ack.is_object());
    accepted += ack["accepted"].get<size_t>();
    last = ack["lines"][1];
  }
  EXPECT_EQ(accepted, kEvents - 100);
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_events_in_total 260"), std::string::npos) << metrics;
}

TEST(Daemon, ThousandIdleConnectionsDoNotStopService) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;  // room for the connections (the daemon raises its own)
  ::setrlimit(RLIMIT_NOFILE, &files);
  fs::path dir = FreshDir("idle");
  std::ofstream(dir / "config.json") << R"({"idle_timeout_seconds": 2})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  std::vector<std::unique_ptr<Connection>> idle;
  int http_port = 0;
  {
    // The HTTP port, from the daemon's first line.
    std::string out = ReadFile(dir / "data.out");
    http_port = std::stoi(out.substr(out.find("listening on 127.0.0.1:") + 23));
  }
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<Connection>(http_port));
    if (i % 100 == 0) idle.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // a slow client, never finishing
  }
  EXPECT_EQ(d.Curl("GET", "/healthz").substr(0, 3), "200");
  // The idle and slow ones are closed after the timeout.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(idle[0]->ReadLine(), "");
  EXPECT_EQ(idle[1]->ReadLine(), "");
  EXPECT_EQ(d.Curl("GET", "/healthz").substr(0, 3), "200");
}

TEST(Daemon, SendsAreSettledWhenTheirBatchIsAcknowledged) {
  // On the system clock a batch's instant ends when it is applied: its
  // sends are judged and in the outbox by the acknowledgement, not at the
  // next tick (here ten minutes away).
  fs::path dir = FreshDir("settle");
  std::ofstream(dir / "config.json") << R"({"tick_milliseconds": 600000})";
  std::ofstream(dir / "profile.json") << R"({"type":"hcp","id":"h1","name":"H","rep":"r","timezone":"UTC"})";
  std::ofstream(dir / "ping.json") << R"({"type":"ping","hcp":"h1"})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string(), "--clock", "system"}, Source("bench/daemon"));
  ASSERT_EQ(d.Curl("POST", "/v1/profiles", (dir / "profile.json").string()).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "ping.json").string()).substr(0, 3), "200");
  Json actions = d.GetJson("/v1/actions")["actions"];
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["channel"], "email");
  EXPECT_EQ(actions[0]["template"], "pong");
  EXPECT_EQ(actions[0]["delivery"], "delivered");
}

TEST(Daemon, InputsDuringATimerStormAreAppliedAfterIt) {
  // 20,000 instances wait 30 days; a clock jump makes every timer due at
  // once. The jump and an event posted right after it are acknowledged
  // once logged; the timers fire in slices between requests, and the
  // event is applied after them, in log order, as a replay applies it.
  fs::path dir = FreshDir("storm");
  std::string profiles, events;
  for (int i = 0; i < 2000; ++i)
    profiles += R"({"type":"hcp","id":"h)" + std::to_string(i) + R"(","name":"H","rep":"r","timezone":"UTC"})" "\n";
  for (int i = 0; i < 20000; ++i)
    events += R"({"type":"rx_written","hcp":"h)" + std::to_string(i % 2000) +
              R"(","brand":"W","amount":20.0,"at":"2026-03-02T00:00:00Z"})" "\n";
  std::ofstream(dir / "profiles.ndjson") << profiles;
  std::ofstream(dir / "events.ndjson") << events;
  std::ofstream(dir / "ping.json") << R"({"type":"ping","hcp":"h7"})";
  std::vector<std::string> keys;
  auto all_actions = [&](Daemon& d) {
    Json page = d.GetJson("/v1/actions?since=0&limit=100000");
    std::vector<std::string> out;
    for (const Json& a : page["actions"]) out.push_back(a["idempotency_key"]);
    return std::make_pair(out, page["actions"]);
  };
  {
    Daemon d(dir / "data", {}, Source("bench/daemon"));
    ASSERT_EQ(d.Curl("POST", "/v1/profiles", (dir / "profiles.ndjson").string()).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "events.ndjson").string()).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-02T00:00:00Z\"}'").substr(0, 3), "200");
    d.WaitIdle();
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "ping.json").string()).substr(0, 3), "200");
    for (int i = 0; i < 600; ++i) {
      std::string metrics = d.Curl("GET", "/metrics");
      if (metrics.find("\ntutti_timers_pending 0\n") != std::string::npos &&
          metrics.find("\ntutti_inputs_unapplied 0\n") != std::string::npos)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // On a virtual clock the ping's e-mail is settled when time moves on.
    ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-02T00:01:00Z\"}'").substr(0, 3), "200");
    d.WaitIdle();
    auto [list, actions] = all_actions(d);
    ASSERT_EQ(actions.size(), 20001u);
    for (size_t i = 0; i < 20000; ++i) EXPECT_EQ(actions[i]["kind"], "task") << actions[i].dump();
    EXPECT_EQ(actions[20000]["template"], "pong") << "the event comes after the timers due before it";
    keys = list;
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data", {}, Source("bench/daemon"));
  EXPECT_EQ(all_actions(d).first, keys);
}

TEST(Daemon, ConcurrentRequestsAreAllLoggedAndApplied) {
  // Requests that arrive together share one synced write (group commit);
  // each is still answered for itself, and nothing is lost or repeated.
  fs::path dir = FreshDir("group");
  Daemon d(dir / "data");
  std::string cmd;
  for (size_t i = 0; i < 40; ++i)
    cmd += "curl -s -H 'Content-Type: application/x-ndjson' -o " + (dir / ("reply-" + std::to_string(i))).string() +
           " --data-binary @" +
           EventSlice(dir, i * 5, i * 5 + 5) + " http://127.0.0.1:" + std::to_string(d.port()) + "/v1/events & ";
  Shell(cmd + "wait");
  for (size_t i = 0; i < 40; ++i) {
    std::string reply = ReadFile(dir / ("reply-" + std::to_string(i)));
    EXPECT_NE(reply.find("\"accepted\":5"), std::string::npos) << reply;
  }
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("\ntutti_events_in_total 200\n"), std::string::npos) << metrics;
  auto at = metrics.find("\ntutti_input_log_commits_total ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_LE(std::stoi(metrics.substr(at + 31)), 40);
}

TEST(Daemon, ABounceReportedLaterReachesTheJourneys) {
  fs::path dir = FreshDir("bounce");
  Daemon d(dir / "data");
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
  d.WaitIdle();
  std::string key, hcp;
  Json page = d.GetJson("/v1/actions?since=0&limit=100000");
  for (const Json& a : page["actions"])
    if (a.value("channel", "") == "email") {
      key = a["idempotency_key"];
      hcp = a["to"];
      break;
    }
  ASSERT_FALSE(key.empty()) << "the scenario sends e-mails";
  std::ofstream(dir / "outcomes.ndjson") << R"({"idempotency_key": ")" << key
                                         << R"(", "outcome": "bounced", "reason": "mailbox full"})" << "\n"
                                         << R"({"idempotency_key": "no-such-key", "outcome": "bounced"})" << "\n"
                                         << R"({"idempotency_key": ")" << key << R"(", "outcome": "lost"})" << "\n"
                                         << "not json\n";
  std::string r = d.Curl("POST", "/v1/outcomes", (dir / "outcomes.ndjson").string());
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  Json reply = Json::parse(r.substr(4));
  EXPECT_EQ(reply["accepted"], 1);
  EXPECT_EQ(reply["refused"], 3);
  EXPECT_NE(r.find("line 2: no action with idempotency key 'no-such-key'"), std::string::npos) << r;
  EXPECT_NE(r.find("line 3: 'outcome' must be"), std::string::npos) << r;
  EXPECT_NE(r.find("line 4: expected"), std::string::npos) << r;
  Json customer = d.GetJson("/v1/customers/" + hcp + "?profile=hcp");
  EXPECT_NE(customer["history"].dump().find("\"action_bounced\""), std::string::npos) << customer.dump();
  // Nothing acceptable: 400.
  std::ofstream(dir / "bad.ndjson") << R"({"idempotency_key": "no-such-key", "outcome": "failed"})" << "\n";
  EXPECT_EQ(d.Curl("POST", "/v1/outcomes", (dir / "bad.ndjson").string()).substr(0, 3), "400");
}

TEST(Daemon, BadRequestsAreRefusedAndCounted) {
  fs::path dir = FreshDir("bad");
  std::ofstream(dir / "config.json")
      << R"({"max_body_bytes": 4096, "ingest_token": "in-secret", "admin_token": "ad-secret"})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  const std::string in = "-H 'Authorization: Bearer in-secret'";
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  // No token, the wrong token.
  EXPECT_EQ(d.Curl("POST", "/v1/events", write("a.ndjson", "{}")).substr(0, 3), "401");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys", "", in).substr(0, 3), "401");
  EXPECT_EQ(d.Curl("POST", "/v1/actions/some-key/retry", "", "-d '{}'").substr(0, 3), "401");
  // Malformed JSON, an unknown type: nothing acceptable.
  std::string r = d.Curl("POST", "/v1/events", write("b.ndjson", "{\"type\": \"formulary_win\", \n"), in);
  EXPECT_EQ(r.substr(0, 3), "400") << r;
  EXPECT_NE(r.find("malformed JSON"), std::string::npos) << r;
  r = d.Curl("POST", "/v1/events", write("c.ndjson", "{\"type\": \"formulary_wim\"}\n"), in);
  EXPECT_EQ(r.substr(0, 3), "400");
  EXPECT_NE(r.find("formulary_win"), std::string::npos) << "a did-you-mean: " << r;
  // One good line and one bad: the good one is taken.
  r = d.Curl("POST", "/v1/events",
             write("d.ndjson", "{\"type\": \"email_opened\", \"hcp\": \"hcp-empire-00017\", \"template\": \"t\", "
                               "\"at\": \"2026-03-01T00:00:00Z\"}\n{\"type\": \"email_opened\", \"hcp\": 7}\n"),
             in);
  EXPECT_EQ(r.substr(0, 3), "200") << r;
  EXPECT_NE(r.find("\"accepted\":1,\"refused\":1"), std::string::npos) << r;
  // Too big a body, a wrong method, an unknown path.
  EXPECT_EQ(d.Curl("POST", "/v1/events", write("e.ndjson", std::string(5000, ' ')), in).substr(0, 3), "413");
  EXPECT_EQ(d.Curl("DELETE", "/v1/events", "", in).substr(0, 3), "405");
  EXPECT_EQ(d.Curl("GET", "/nowhere").substr(0, 3), "404");
  // Still serving, and counting.
  EXPECT_EQ(d.Curl("GET", "/healthz").substr(0, 3), "200");
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_events_refused_total 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tutti_events_in_total 1"), std::string::npos) << metrics;
}

}  // namespace
