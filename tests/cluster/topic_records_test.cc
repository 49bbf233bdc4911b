// What the cluster's topics hold (runtime/cluster/topic_records.h): inputs
// read with limits, whatever another producer wrote; Tutti's own records
// read back as written.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/source/diagnostic.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/engine/journey_set.h"

namespace tutti::runtime::cluster {
namespace {

class TopicRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    compiler::DiagnosticSink sink;
    set_ = JourneySet::FromText({{"t.tutti", R"(
profile doctor {
  id: string key
}
event seen keyed by doctor {
  doctor: string
}
)"}}, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    ASSERT_NE(set_, nullptr) << compiler::RenderText(sink.Sorted());
  }
  std::unique_ptr<JourneySet> set_;
};

TEST_F(TopicRecords, AnEventWithoutATimeGetsTheOneTheReaderGives) {
  Input in = ReadInput(set_->schemas(), R"({"type":"seen","doctor":"h1"})", 5 * kNanosPerSecond);
  ASSERT_EQ(in.kind, Input::Kind::kRecord) << in.why;
  EXPECT_EQ(ToInstant(*in.record.at), 5 * kNanosPerSecond);
  EXPECT_EQ(ReadInput(set_->schemas(), R"({"type":"seen","doctor":"h1"})", std::nullopt).kind, Input::Kind::kRefused);
}

TEST_F(TopicRecords, TheTimeAnEntranceGaveIsWrittenIntoTheLine) {
  std::string value = InputValue(R"({"type":"seen","doctor":"h1"})", 2 * kNanosPerSecond + 500);
  EXPECT_EQ(value, R"({"at":"1970-01-01T00:00:02.0000005Z","type":"seen","doctor":"h1"})");
  Input in = ReadInput(set_->schemas(), value, std::nullopt);
  ASSERT_EQ(in.kind, Input::Kind::kRecord) << in.why;
  EXPECT_EQ(ToInstant(*in.record.at), 2 * kNanosPerSecond + 500);
  EXPECT_EQ(InputValue("{\"type\":\"doctor\",\"id\":\"x\"}\r", std::nullopt), R"({"type":"doctor","id":"x"})");
}

TEST_F(TopicRecords, ClockRecordsReadBackAndLookalikesAreRefused) {
  Input clock = ReadInput(set_->schemas(), ClockValue(42), std::nullopt);
  ASSERT_EQ(clock.kind, Input::Kind::kClock);
  EXPECT_EQ(clock.clock, 42);
  Input version = ReadInput(set_->schemas(), VersionMarkerValue("0123abcd"), std::nullopt);
  ASSERT_EQ(version.kind, Input::Kind::kVersion) << version.why;
  EXPECT_EQ(version.version, "0123abcd");
  auto published = ReadVersion(VersionValue({"0123abcd", {{"a.tutti", "journey x {}"}}}));
  ASSERT_TRUE(published);
  EXPECT_EQ(published->fingerprint, "0123abcd");
  EXPECT_EQ(published->files.size(), 1u);
  Input pause = ReadInput(set_->schemas(), PauseValue("welcome \"new\"", true), std::nullopt);
  ASSERT_EQ(pause.kind, Input::Kind::kPause) << pause.why;
  EXPECT_EQ(pause.journey, "welcome \"new\"");
  EXPECT_TRUE(pause.paused);
  Input resume = ReadInput(set_->schemas(), PauseValue(std::string(kMaxJourneyNameBytes, 'j'), false), std::nullopt);
  ASSERT_EQ(resume.kind, Input::Kind::kPause) << resume.why;
  EXPECT_FALSE(resume.paused);
  for (std::string bad : std::vector<std::string>{R"({"tutti":"clock"})", R"({"tutti":"clock","at_ns":1.5})", R"({"tutti":"reload","at_ns":1})", R"({"tutti":"version","fingerprint":7})",
                          R"({"tutti":"clock","at_ns":1,"x":2})", R"({"tutti":)", "{\"tutti\":\"" + std::string(1100, 'a') + "\"}",
                          R"({"tutti":"pause","journey":"w"})", R"({"tutti":"pause","journey":7,"paused":true})",
                          R"({"tutti":"pause","journey":"w","paused":"yes"})", PauseValue(std::string(kMaxJourneyNameBytes + 1, 'j'), true)}) {
    Input in = ReadInput(set_->schemas(), bad, std::nullopt);
    EXPECT_EQ(in.kind, Input::Kind::kRefused) << bad;
    EXPECT_FALSE(in.why.empty());
  }
}

TEST_F(TopicRecords, RefusalsSayWhyWithoutQuotingTheValue) {
  for (std::string bad : std::vector<std::string>{"", "not json", "{\"type\":\"seen\",\"doctor\":\"secret-name\",\"at\":\"yesterday\"}",
                          std::string("{\"type\":\"seen\",\0}", 17), "[1,2]", std::string(2 << 20, '{')}) {
    Input in = ReadInput(set_->schemas(), bad, 0);
    EXPECT_EQ(in.kind, Input::Kind::kRefused);
    EXPECT_FALSE(in.why.empty());
    EXPECT_EQ(in.why.find("yesterday"), std::string::npos) << in.why;
    EXPECT_LT(in.why.size(), 1100u);
  }
  Input far = ReadInput(set_->schemas(), R"({"type":"seen","doctor":"h1","at":"9999-01-01T00:00:00Z"})", 0);
  EXPECT_EQ(far.kind, Input::Kind::kRefused);
}

TEST_F(TopicRecords, ActionsCarryTheirPartitionSequenceAndSource) {
  Decision d;
  d.customer = "h1";
  d.idempotency_key = "k";
  std::string value = ActionValue(d, 3, 17, 12345);
  auto mark = ReadActionMark(value);
  ASSERT_TRUE(mark);
  EXPECT_EQ(mark->partition, 3);
  EXPECT_EQ(mark->seq, 17u);
  EXPECT_EQ(mark->source_offset, 12345);
  for (std::string bad : {"", "{}", R"({"partition":-1,"seq":1,"source_offset":1,"action":{}})",
                          R"({"partition":1,"seq":1,"source_offset":99999999999999999999,"action":{}})",
                          R"({"partition":1,"seq":"1","source_offset":1,"action":{}})"})
    EXPECT_FALSE(ReadActionMark(bad)) << bad;
  std::string letter = DeadLetterValue(2, 7, "bad \xff bytes");
  EXPECT_EQ(letter.find('\xff'), std::string::npos);
}

TEST_F(TopicRecords, ActionsAreReadBackForDelivery) {
  Decision d;
  d.journey = "welcome";
  d.customer = "h1";
  d.step = "hello";
  d.channel = "email";
  d.action = "send";
  d.content = "welcome_v1";
  d.recipient = "h1";
  d.vars.push_back({"address", compiler::eval::Value(std::string(",\"action\":{}"))});
  // Vars of every kind the action log shows.
  using compiler::eval::Value;
  auto plan = std::make_shared<compiler::eval::MapValue>();
  (void)plan->Insert(Value("tier"), Value(int64_t{2}));
  d.vars.push_back({"units", Value(int64_t{-3})});
  d.vars.push_back({"share", Value(0.25)});
  d.vars.push_back({"ok", Value(true)});
  d.vars.push_back({"brands", Value(compiler::eval::List{Value("GLIDIM"), Value(uint64_t{7})})});
  d.vars.push_back({"plan", Value(std::shared_ptr<const compiler::eval::MapValue>(plan))});
  d.vars.push_back({"since", compiler::eval::ParseTimestamp("2026-03-02T10:00:00Z")});
  d.vars.push_back({"none", Value()});
  d.idempotency_key = "k1";
  d.at = 1772460000 * kNanosPerSecond;
  d.version = 3;
  d.version_id = "e24bbf0e5a53";
  d.cause = "seen";
  d.input = 41;
  d.entered_by = 12;
  std::string value = ActionValue(d, 2, 5, 40, "dr.a@example.org", R"({"choices":[],"policy":["cap"]})");
  auto read = ReadAction(value);
  ASSERT_TRUE(read);
  // What the action log and an explanation show of it, read back.
  EXPECT_EQ(read->action.at, d.at);
  EXPECT_EQ(read->action.version, 3);
  EXPECT_EQ(read->action.version_id, "e24bbf0e5a53");
  EXPECT_EQ(read->action.cause, "seen");
  EXPECT_EQ(read->action.input, std::optional<uint64_t>(41));
  EXPECT_EQ(read->action.entered_by, std::optional<uint64_t>(12));
  EXPECT_EQ(read->why, R"({"choices":[],"policy":["cap"]})");
  EXPECT_EQ(read->mark.partition, 2);
  EXPECT_EQ(read->mark.seq, 5u);
  EXPECT_EQ(read->address, "dr.a@example.org");
  EXPECT_EQ(read->json, ToJson(d));  // the bytes written, vars and all
  // The action log writes it again as it was written, vars too.
  EXPECT_EQ(ToJson(read->action), ToJson(d));
  EXPECT_EQ(read->action.channel, "email");
  EXPECT_EQ(read->action.content, "welcome_v1");
  EXPECT_EQ(read->action.recipient, "h1");
  EXPECT_EQ(read->action.idempotency_key, "k1");
  // An address another producer wrote that could break out of the SMTP
  // command is no address.
  std::vector<std::string> hostile_addresses = {"a@b.org>\r\nRCPT TO:<c@d.org", "no-at-sign",
                                                 std::string(300, 'a') + "@b.org"};
  for (const std::string& bad : hostile_addresses) {
    auto hostile = ReadAction(ActionValue(d, 2, 5, 40, bad));
    ASSERT_TRUE(hostile);
    EXPECT_EQ(hostile->address, "") << bad;
  }
  // An explanation whose choices name an option `action` (a `choose best`
  // label) never ends the head early: the why is written as a JSON text.
  const std::string why = R"({"choices":[{"step":"choose@3","scores":{"email":0.5,"action":0.7}}],"policy":[]})";
  auto chose = ReadAction(ActionValue(d, 2, 6, 41, "", why));
  ASSERT_TRUE(chose);
  EXPECT_TRUE(ReadActionMark(ActionValue(d, 2, 6, 41, "", why)));
  EXPECT_EQ(chose->why, why);
  EXPECT_EQ(chose->json, ToJson(d));
  // Sent again (a dead letter retried): read as the same action, with the
  // same marks, address and bytes; but never as the last action its
  // partition wrote (ReadActionMark), which a partition taking over
  // looks for in the actions' tail.
  std::string again = ActionValueAgain(read->mark, read->address, read->json, read->why);
  EXPECT_FALSE(ReadActionMark(again));
  auto read_again = ReadAction(again);
  ASSERT_TRUE(read_again);
  EXPECT_EQ(read_again->mark.partition, 2);
  EXPECT_EQ(read_again->mark.seq, 5u);
  EXPECT_EQ(read_again->mark.source_offset, 40);
  EXPECT_EQ(read_again->address, "dr.a@example.org");
  EXPECT_EQ(read_again->json, ToJson(d));
  EXPECT_EQ(read_again->action.idempotency_key, "k1");
  EXPECT_FALSE(ReadAction(again.substr(0, again.size() - 1)));
  EXPECT_FALSE(ReadAction(R"({"again":true,})"));
  // Work for colleagues: its kind, text and assignee.
  Decision task;
  task.customer = "h2";
  task.action = "task";
  task.content = "call her";
  task.recipient = "rep-7";
  task.idempotency_key = "k2";
  read = ReadAction(ActionValue(task, 0, 1, 3));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->action.action, "task");
  EXPECT_EQ(read->action.content, "call her");
  EXPECT_EQ(read->action.recipient, "rep-7");
  EXPECT_EQ(read->address, "");
  // Not an action to deliver: marks without an action, a decision of
  // another kind, no idempotency key, a value cut short, nesting too deep.
  std::string deep = R"({"partition":1,"seq":1,"source_offset":1,"action":)" + std::string(100, '[');
  for (std::string bad : std::vector<std::string>{R"({"partition":1,"seq":1,"source_offset":1,"action":{}})",
                          R"({"partition":1,"seq":1,"source_offset":1,"action":{"decision":"suppressed","channel":"e","idempotency_key":"k"}})",
                          R"({"partition":1,"seq":1,"source_offset":1,"action":{"decision":"action","channel":"e"}})",
                          value.substr(0, value.size() - 1), deep})
    EXPECT_FALSE(ReadAction(bad)) << bad;
}

TEST_F(TopicRecords, AnnouncementsOfWhoRunsWhatReadBackAndOthersAreRefused) {
  Member m{"node a", "10.0.0.7:8080", {0, 3, 5}, {1, 2}};
  auto back = ReadMember(MemberValue(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->node, "node a");
  EXPECT_EQ(back->api, "10.0.0.7:8080");
  EXPECT_EQ(back->partitions, (std::vector<int32_t>{0, 3, 5}));
  EXPECT_EQ(back->deliveries, (std::vector<int32_t>{1, 2}));
  // An older build's announcement names no deliveries.
  auto older = ReadMember(R"({"tutti":"member","node":"a","api":"h:1","partitions":[4]})");
  ASSERT_TRUE(older);
  EXPECT_EQ(older->partitions, (std::vector<int32_t>{4}));
  EXPECT_TRUE(older->deliveries.empty());
  // Not an announcement: another record of the topic, no name, a name or
  // an address that is not printable or too long, partitions that are not
  // partition numbers.
  for (std::string bad : std::vector<std::string>{
           R"({"tutti":"version","fingerprint":"f","files":[]})",
           R"({"tutti":"member","node":"","api":"h:1","partitions":[]})",
           R"({"tutti":"member","node":"a
b","api":"h:1","partitions":[]})",
           R"({"tutti":"member","node":"a","api":"h 1","partitions":[]})",
           R"({"tutti":"member","node":")" + std::string(256, 'x') + R"(","api":"h:1","partitions":[]})",
           R"({"tutti":"member","node":"a","api":"h:1","partitions":[-1]})",
           R"({"tutti":"member","node":"a","api":"h:1","partitions":[1.5]})",
           R"({"tutti":"member","node":"a","api":"h:1","partitions":{}})",
           R"({"tutti":"member","node":"a","api":"h:1","partitions":[],"deliveries":[-2]})",
           R"({"tutti":"member","node":"a","api":"h:1","partitions":[],"deliveries":"1"})", "{", ""})
    EXPECT_FALSE(ReadMember(bad)) << bad;
}

TEST_F(TopicRecords, SnapshotsAreChunkedAndReadBack) {
  std::string state(2500, '\0');
  for (size_t i = 0; i < state.size(); ++i) state[i] = static_cast<char>(i * 7);
  std::vector<Record> records = SnapshotRecords(4, 9000, "f00d", {"a1", "f00d"}, state, 1000, 1, {{0, 17}, {5, 1}});
  ASSERT_EQ(records.size(), 3u);
  std::string back;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].key, "4:" + std::to_string(i));
    EXPECT_EQ(records[i].partition, 1);
    auto chunk = ReadSnapshotChunk(records[i].value);
    ASSERT_TRUE(chunk);
    EXPECT_EQ(chunk->partition, 4);
    EXPECT_EQ(chunk->offset, 9000);
    EXPECT_EQ(chunk->chunk, i);
    EXPECT_EQ(chunk->chunks, 3u);
    EXPECT_EQ(chunk->fingerprint, "f00d");
    EXPECT_EQ(chunk->versions.size(), i == 0 ? 2u : 0u);
    std::map<int32_t, int64_t> seen;
    if (i == 0) seen = {{0, 17}, {5, 1}};
    EXPECT_EQ(chunk->copies_seen, seen);
    back += chunk->bytes;
  }
  EXPECT_EQ(back, state);
  EXPECT_EQ(SnapshotRecords(0, 0, "f", {"f"}, "", 1000, 1).size(), 1u) << "an empty state is one empty chunk";
  for (std::string bad : std::vector<std::string>{"", "no header", "{}\n", std::string(600, ' ') + "\n",
                                                  R"({"partition":1,"offset":1,"chunk":2,"chunks":2,"fingerprint":"f"})" "\n",
                                                  R"({"partition":1,"offset":1,"chunk":0,"chunks":0,"fingerprint":"f"})" "\n",
                                                  R"({"partition":1,"offset":1,"chunk":0,"chunks":1,"fingerprint":"f","copies_seen":[[1,-2]]})" "\n",
                                                  R"({"partition":1,"offset":1,"chunk":0,"chunks":1,"fingerprint":"f","copies_seen":[[1]]})" "\n",
                                                  R"({"partition":1,"offset":1,"chunk":0,"chunks":1,"fingerprint":"f","copies_seen":{}})" "\n"})
    EXPECT_FALSE(ReadSnapshotChunk(bad)) << bad;
}

TEST_F(TopicRecords, AnInputsOriginSaysWhereItWasWritten) {
  EXPECT_EQ(ReadOrigin("", 6).kind, Origin::Kind::kOutside);
  EXPECT_EQ(ReadOrigin(kEverywhereOrigin, 6).kind, Origin::Kind::kEverywhere);
  Origin forwarded = ReadOrigin(ForwardedOrigin(5, 1234567890123), 6);
  EXPECT_EQ(forwarded.kind, Origin::Kind::kForwarded);
  EXPECT_EQ(forwarded.partition, 5);
  EXPECT_EQ(forwarded.offset, 1234567890123);
  for (std::string bad : {"6:1", "-1:1", "1:-1", "1:", ":1", "1", "x:1", "1:1x", "1:99999999999999999999",
                          "1:9223372036854775808", "Everywhere", "1:1 "})
    EXPECT_EQ(ReadOrigin(bad, 6).kind, Origin::Kind::kBad) << bad;
  EXPECT_EQ(ReadOrigin(std::string(kMaxOriginBytes + 1, '1'), 6).kind, Origin::Kind::kBad);
}

}  // namespace
}  // namespace tutti::runtime::cluster
