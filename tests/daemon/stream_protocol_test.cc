// The streaming ingest protocol without the network
// (runtime/daemon/stream_protocol.h): a line not ended yet waits, complete
// lines are taken as one batch and counted, a line over the limit ends the
// connection, the token line is checked before anything else, and the
// acknowledgements number lines from the start of the connection (the
// token line included) and are valid JSON whatever the errors hold.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "runtime/daemon/stream_protocol.h"

namespace tutti::runtime {
namespace {

using namespace std::string_literals;
using Kind = StreamIngest::Step::Kind;

/// A connection's read side: bytes arrive, the protocol takes what it can,
/// the rest waits for more.
class Connection {
 public:
  explicit Connection(std::string token, size_t max_line_bytes = 1024) : ingest_(std::move(token), max_line_bytes) {}

  StreamIngest::Step Arrive(const std::string& bytes) {
    pending_ += bytes;
    size_t taken = 12345;
    StreamIngest::Step step = ingest_.Take(pending_, &taken);
    EXPECT_LE(taken, pending_.size());
    if (step.kind != Kind::kFail) pending_.erase(0, taken);
    return step;
  }
  std::string Ack(const IngestResult& result, size_t lines) { return ingest_.Ack(result, lines); }
  const std::string& pending() const { return pending_; }

 private:
  StreamIngest ingest_;
  std::string pending_;
};

/// Checks that `line` is one line of JSON with an "error" member.
void ExpectFailLine(const StreamIngest::Step& step, const std::string& context = "") {
  ASSERT_EQ(step.kind, Kind::kFail) << context;
  ASSERT_FALSE(step.fail.empty()) << context;
  EXPECT_EQ(step.fail.back(), '\n') << context;
  EXPECT_EQ(step.fail.find('\n'), step.fail.size() - 1) << context;
  nlohmann::json j = nlohmann::json::parse(step.fail, nullptr, false);
  ASSERT_TRUE(j.is_object()) << context << ": " << step.fail;
  EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << context;
}

IngestResult Outcome(size_t accepted, std::vector<std::pair<size_t, std::string>> lines, std::string error = "") {
  IngestResult r;
  r.accepted = accepted;
  r.lines = std::move(lines);
  for (const auto& [n, why] : r.lines) r.refused += !why.empty();
  r.error = std::move(error);
  return r;
}

// --- Take ------------------------------------------------------------------

TEST(StreamIngest, WaitsForALineToEnd) {
  StreamIngest ingest("", 1024);
  size_t taken = 99;
  StreamIngest::Step step = ingest.Take("", &taken);
  EXPECT_EQ(step.kind, Kind::kMore);
  EXPECT_EQ(taken, 0u);
  step = ingest.Take(R"({"type": "email_opened", "hcp": "h1")", &taken);
  EXPECT_EQ(step.kind, Kind::kMore);
  EXPECT_EQ(taken, 0u);
}

TEST(StreamIngest, TakesCompleteLinesAsOneBatchAndLeavesTheRest) {
  StreamIngest ingest("", 1024);
  size_t taken = 0;
  std::string data = "{\"a\": 1}\n{\"b\": 2}\n{\"c\": 3}\n{\"d\":";
  StreamIngest::Step step = ingest.Take(data, &taken);
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.batch, "{\"a\": 1}\n{\"b\": 2}\n{\"c\": 3}\n");
  EXPECT_EQ(step.lines, 3u);
  EXPECT_EQ(taken, step.batch.size());
  EXPECT_EQ(data.substr(taken), "{\"d\":");
}

TEST(StreamIngest, CountsBlankLinesAsLines) {
  StreamIngest ingest("", 1024);
  size_t taken = 0;
  StreamIngest::Step step = ingest.Take("\n{\"a\": 1}\n\n", &taken);
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.lines, 3u);
  EXPECT_EQ(taken, 11u);
}

TEST(StreamIngest, TakesLinesArrivingInPieces) {
  Connection c("");
  EXPECT_EQ(c.Arrive("{\"a\"").kind, Kind::kMore);
  EXPECT_EQ(c.Arrive(": 1}").kind, Kind::kMore);
  StreamIngest::Step step = c.Arrive("\n{\"b\": 2}\n{");
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.batch, "{\"a\": 1}\n{\"b\": 2}\n");
  EXPECT_EQ(step.lines, 2u);
  EXPECT_EQ(c.pending(), "{");
  step = c.Arrive("}\n");
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.batch, "{}\n");
  EXPECT_EQ(step.lines, 1u);
}

TEST(StreamIngest, TakesALineOfExactlyTheLimit) {
  std::string line(10, 'x');
  for (const std::string& data : {line, line + "\n", line + "\n" + line, "a\n" + line + "\nb\n"}) {
    StreamIngest ingest("", 10);
    size_t taken = 0;
    EXPECT_NE(ingest.Take(data, &taken).kind, Kind::kFail) << data;
  }
}

TEST(StreamIngest, FailsOnALineOverTheLimitEndedOrNot) {
  std::string over(11, 'x');
  for (const std::string& data : {over, over + "\n", "ok\n" + over, "ok\n" + over + "\nok\n", over + "\nok\n",
                                  "ok\nok\n" + std::string(1 << 20, 'x')}) {
    StreamIngest ingest("", 10);
    size_t taken = 0;
    StreamIngest::Step step = ingest.Take(data, &taken);
    ExpectFailLine(step, data.substr(0, 40));
    EXPECT_NE(step.fail.find("over the limit of 10 bytes"), std::string::npos) << step.fail;
  }
}

TEST(StreamIngest, FailsOnALineThatGrowsPastTheLimitInPieces) {
  Connection c("", 100);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.Arrive(std::string(10, 'x')).kind, Kind::kMore) << i;
  ExpectFailLine(c.Arrive("x"));
}

// --- The token line -------------------------------------------------------------

TEST(StreamIngest, TakesTheTokenLineFirst) {
  for (const std::string& token_line : {R"({"token": "T0k3n"})"s, R"({"token":"T0k3n"})"s,
                                        " \t{ \"token\" :\t\"T0k3n\" } \r"s, R"({"token": "T0k\u0033n"})"s}) {
    Connection c("T0k3n");
    StreamIngest::Step step = c.Arrive(token_line + "\n");
    EXPECT_EQ(step.kind, Kind::kMore) << token_line;
    EXPECT_EQ(c.pending(), "") << token_line;  // the token line was taken
    step = c.Arrive("{\"a\": 1}\n");
    ASSERT_EQ(step.kind, Kind::kBatch) << token_line;
    EXPECT_EQ(step.batch, "{\"a\": 1}\n");
    EXPECT_EQ(step.lines, 1u);
  }
}

TEST(StreamIngest, TakesTheTokenLineAndABatchTogether) {
  Connection c("T0k3n");
  StreamIngest::Step step = c.Arrive("{\"token\": \"T0k3n\"}\n{\"a\": 1}\n{\"b\": 2}\n{\"c\"");
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.batch, "{\"a\": 1}\n{\"b\": 2}\n");
  EXPECT_EQ(step.lines, 2u);
  EXPECT_EQ(c.pending(), "{\"c\"");
}

TEST(StreamIngest, WaitsForTheTokenLineToEnd) {
  Connection c("T0k3n");
  EXPECT_EQ(c.Arrive("{\"token\": \"T0k").kind, Kind::kMore);
  EXPECT_EQ(c.Arrive("3n\"}").kind, Kind::kMore);
  EXPECT_EQ(c.Arrive("\n").kind, Kind::kMore);
  EXPECT_EQ(c.pending(), "");
  EXPECT_EQ(c.Arrive("{}\n").kind, Kind::kBatch);
}

TEST(StreamIngest, FailsOnAWrongOrMissingToken) {
  const std::string lines[] = {
      R"({"token": "wrong"})",
      R"({"token": "T0k3"})",            // a prefix
      R"({"token": "T0k3n!"})",          // the token and more
      R"({"token": "t0k3n"})",
      R"({"token": ""})",
      R"({"token": 5})",
      R"({"token": null})",
      R"({"token": ["T0k3n"]})",
      R"({"Token": "T0k3n"})",
      R"({"token": "T0k3n", "x": 1})",   // anything else with it
      R"({"token": "T0k3n"} {"a": 1})",
      R"({"token": "T0k3n", "token": "T0k3n"})",
      R"(["T0k3n"])",
      R"("T0k3n")",
      "T0k3n",
      "Bearer T0k3n",
      "",
      R"({"type": "email_opened", "hcp": "h1"})",  // an event before the token
      "{\"token\": \"T0k3n\0\"}"s,
      "{\"token\": \"T0k3n\xff\"}",
  };
  for (const std::string& line : lines) {
    Connection c("T0k3n");
    StreamIngest::Step step = c.Arrive(line + "\n{\"a\": 1}\n");
    ExpectFailLine(step, Printable(line));
    EXPECT_EQ(step.fail.find("T0k3n"), std::string::npos) << step.fail;  // no secret in the answer
  }
}

TEST(StreamIngest, TakesATokenLineOnlyFirst) {
  Connection c("T0k3n");
  ASSERT_EQ(c.Arrive("{\"token\": \"T0k3n\"}\n").kind, Kind::kMore);
  // Later, a token line is a line like any other (the decoder refuses it).
  StreamIngest::Step step = c.Arrive("{\"token\": \"T0k3n\"}\n");
  ASSERT_EQ(step.kind, Kind::kBatch);
  EXPECT_EQ(step.lines, 1u);
}

// --- Ack --------------------------------------------------------------------------------

TEST(StreamIngest, NumbersAcknowledgedLinesFromTheStartOfTheConnection) {
  Connection c("T0k3n");
  StreamIngest::Step step = c.Arrive("{\"token\": \"T0k3n\"}\n{\"a\": 1}\nbad\n{\"c\": 3}\n");
  ASSERT_EQ(step.kind, Kind::kBatch);
  ASSERT_EQ(step.lines, 3u);
  // The token is line 1; the batch's lines are 2 to 4, the bad one 3.
  nlohmann::json ack = nlohmann::json::parse(c.Ack(Outcome(2, {{1, ""}, {2, "not JSON"}, {3, ""}}), step.lines));
  EXPECT_EQ(ack, nlohmann::json::parse(
                     R"({"lines": [2, 4], "accepted": 2, "refused": 1, "errors": [{"line": 3, "error": "not JSON"}]})"));

  step = c.Arrive("{\"d\": 4}\n{\"e\": 5}\n");
  ASSERT_EQ(step.kind, Kind::kBatch);
  ack = nlohmann::json::parse(c.Ack(Outcome(1, {{1, "unknown event"}, {2, ""}}), step.lines));
  EXPECT_EQ(ack["lines"], nlohmann::json::parse("[5, 6]"));
  EXPECT_EQ(ack["errors"], nlohmann::json::parse(R"([{"line": 5, "error": "unknown event"}])"));
}

TEST(StreamIngest, NumbersFromOneWithoutAToken) {
  Connection c("");
  StreamIngest::Step step = c.Arrive("{\"a\": 1}\n{\"b\": 2}\n");
  ASSERT_EQ(step.kind, Kind::kBatch);
  nlohmann::json ack = nlohmann::json::parse(c.Ack(Outcome(2, {{1, ""}, {2, ""}}), step.lines));
  EXPECT_EQ(ack, nlohmann::json::parse(R"({"lines": [1, 2], "accepted": 2, "refused": 0, "errors": []})"));
  step = c.Arrive("{\"c\": 3}\n");
  ack = nlohmann::json::parse(c.Ack(Outcome(1, {{1, ""}}), step.lines));
  EXPECT_EQ(ack["lines"], nlohmann::json::parse("[3, 3]"));
}

TEST(StreamIngest, AcknowledgesAWholeBatchError) {
  StreamIngest ingest("", 1024);
  IngestResult result;
  result.status = 503;
  result.error = "the log refused the write";
  nlohmann::json ack = nlohmann::json::parse(ingest.Ack(result, 2));
  EXPECT_EQ(ack["lines"], nlohmann::json::parse("[1, 2]"));
  EXPECT_EQ(ack["accepted"], 0);
  EXPECT_EQ(ack["errors"], nlohmann::json::parse(R"([{"error": "the log refused the write"}])"));
}

TEST(StreamIngest, AcknowledgesWithOneLineOfValidJsonWhateverTheErrorsHold) {
  StreamIngest ingest("", 1024);
  IngestResult result = Outcome(0, {{1, "bad \xff\xfe bytes"}, {2, "an overlong \xc0\xaf and a surrogate \xed\xa0\x80"},
                                   {3, "a newline\nand a quote \" and a NUL \0 here"s}},
                               "cut \xe2\x82");
  std::string ack = ingest.Ack(result, 3);
  ASSERT_FALSE(ack.empty());
  EXPECT_EQ(ack.back(), '\n');
  EXPECT_EQ(ack.find('\n'), ack.size() - 1);
  EXPECT_TRUE(ValidUtf8(ack)) << Printable(ack);
  nlohmann::json j = nlohmann::json::parse(ack, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << Printable(ack);
  EXPECT_EQ(j["refused"], 3);
  EXPECT_EQ(j["errors"].size(), 4u);
}

}  // namespace
}  // namespace tutti::runtime
