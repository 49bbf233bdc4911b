// The daemon's log lines (runtime/daemon/log.h), as text and as JSON: the
// timestamp (UTC, milliseconds), the level, the component, the message and
// the fields (numbers bare in JSON), and whatever bytes a message or a
// field holds, a line that stays one printable line of valid UTF-8 (text)
// or one valid JSON object (json).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "runtime/daemon/log.h"

namespace tutti::runtime {
namespace {

using namespace std::string_literals;

constexpr int64_t kDecember3 = 1796284800LL * 1000000000LL + 123000000LL;  // 2026-12-03T08:00:00.123Z

/// Checks that `line` is one line of printable UTF-8.
void ExpectOnePrintableLine(const std::string& line) {
  EXPECT_TRUE(ValidUtf8(line)) << Printable(line);
  for (unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte in " << Printable(line);
}

/// Parses a JSON line, failing the test when it is not one JSON object.
nlohmann::json ParseJsonLine(const std::string& line) {
  ExpectOnePrintableLine(line);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  EXPECT_TRUE(j.is_object()) << Printable(line);
  return j;
}

// --- The documented examples ------------------------------------------------------

TEST(FormatLogLine, WritesATextLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kDecember3, LogLevel::kWarning, "delivery", "an action was dead-lettered",
                          {{"seq", 17}, {"channel", "email"}, {"attempts", 5}}),
            "2026-12-03T08:00:00.123Z warning delivery: an action was dead-lettered seq=17 channel=email attempts=5");
}

TEST(FormatLogLine, WritesAJsonLine) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kDecember3, LogLevel::kWarning, "delivery", "an action was dead-lettered",
                          {{"seq", 17}, {"channel", "email"}, {"attempts", 5}}),
            R"({"time":"2026-12-03T08:00:00.123Z","level":"warning","component":"delivery",)"
            R"("message":"an action was dead-lettered","seq":17,"channel":"email","attempts":5})");
}

// --- Timestamps and levels ----------------------------------------------------------------

TEST(FormatLogLine, WritesTheTimeInUtcWithMilliseconds) {
  struct Case {
    int64_t nanos;
    std::string time;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {999999, "1970-01-01T00:00:00.000Z"},          // milliseconds are cut, not rounded
      {946684799999999999LL, "1999-12-31T23:59:59.999Z"},
      {946684800000000000LL, "2000-01-01T00:00:00.000Z"},
      {1709164800000000000LL + 7000000LL, "2024-02-29T00:00:00.007Z"},  // a leap day
      {kDecember3, "2026-12-03T08:00:00.123Z"},
  };
  for (const Case& c : cases) {
    std::string text = FormatLogLine(LogFormat::kText, c.nanos, LogLevel::kInfo, "x", "m", {});
    EXPECT_EQ(text.substr(0, c.time.size() + 1), c.time + " ") << c.nanos;
    nlohmann::json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, c.nanos, LogLevel::kInfo, "x", "m", {}));
    EXPECT_EQ(j["time"], c.time) << c.nanos;
  }
}

TEST(FormatLogLine, NamesEveryLevel) {
  struct Case {
    LogLevel level;
    const char* name;
  };
  for (const Case& c : {Case{LogLevel::kDebug, "debug"}, Case{LogLevel::kInfo, "info"},
                        Case{LogLevel::kWarning, "warning"}, Case{LogLevel::kError, "error"}}) {
    EXPECT_STREQ(LogLevelName(c.level), c.name);
    EXPECT_EQ(FormatLogLine(LogFormat::kText, 0, c.level, "http", "m", {}),
              "1970-01-01T00:00:00.000Z " + std::string(c.name) + " http: m");
    EXPECT_EQ(ParseJsonLine(FormatLogLine(LogFormat::kJson, 0, c.level, "http", "m", {}))["level"], c.name);
  }
}

// --- Fields ----------------------------------------------------------------------------

TEST(FormatLogLine, WritesNumbersBareInJson) {
  nlohmann::json j = ParseJsonLine(FormatLogLine(
      LogFormat::kJson, 0, LogLevel::kInfo, "store", "m",
      {{"count", 17}, {"big", uint64_t{18446744073709551615ull}}, {"negative", int64_t{-5}}, {"ratio", 1.5},
       {"ok", true}, {"off", false}, {"digits", "17"}}));
  EXPECT_TRUE(j["count"].is_number_integer());
  EXPECT_EQ(j["count"], 17);
  EXPECT_TRUE(j["big"].is_number_unsigned());
  EXPECT_EQ(j["big"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j["negative"], -5);
  EXPECT_TRUE(j["ratio"].is_number_float());
  EXPECT_EQ(j["ratio"], 1.5);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["off"], false);
  EXPECT_TRUE(j["digits"].is_string());  // text that looks like a number stays text
  EXPECT_EQ(j["digits"], "17");
}

TEST(FormatLogLine, QuotesTextFieldsThatAreNotPlainWords) {
  std::string line = FormatLogLine(LogFormat::kText, 0, LogLevel::kInfo, "store", "opened",
                                   {{"path", "/var/lib/my data"}, {"eq", "a=b"}, {"q", "say \"x\""},
                                    {"empty", ""}, {"plain", "journeys/abc"}, {"n", 3}, {"flag", true}});
  EXPECT_EQ(line,
            "1970-01-01T00:00:00.000Z info store: opened path=\"/var/lib/my data\" eq=\"a=b\" q=\"say \\\"x\\\"\" "
            "empty=\"\" plain=journeys/abc n=3 flag=true");
}

TEST(FormatLogLine, WritesNonFiniteNumbersAsValidJson) {
  for (double v : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    std::string line = FormatLogLine(LogFormat::kJson, 0, LogLevel::kInfo, "x", "m", {{"value", v}});
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << line;
    ExpectOnePrintableLine(FormatLogLine(LogFormat::kText, 0, LogLevel::kInfo, "x", "m", {{"value", v}}));
  }
}

// --- Hostile bytes ---------------------------------------------------------------------

const std::string kHostile = "bad\nline\r\x1b[31m red \x07\xff\xfe \xc0\xaf \xed\xa0\x80 nul \0 end \"q\" \\ caf\xc3\xa9"s;

TEST(FormatLogLine, MakesAHostileMessagePrintableInText) {
  std::string line = FormatLogLine(LogFormat::kText, 0, LogLevel::kError, "http", kHostile, {});
  ExpectOnePrintableLine(line);
  EXPECT_EQ(line, "1970-01-01T00:00:00.000Z error http: " + Printable(kHostile, 2048));
  EXPECT_NE(line.find("bad\\nline\\r\\x1b[31m"), std::string::npos) << line;
  EXPECT_NE(line.find("\\xff\\xfe"), std::string::npos) << line;
  EXPECT_NE(line.find("caf\xc3\xa9"), std::string::npos) << line;
}

TEST(FormatLogLine, MakesAHostileMessageValidJson) {
  std::string line = FormatLogLine(LogFormat::kJson, 0, LogLevel::kError, "http", kHostile, {});
  nlohmann::json j = ParseJsonLine(line);
  ASSERT_TRUE(j.contains("message"));
  EXPECT_EQ(j["message"], Printable(kHostile, 2048));
}

TEST(FormatLogLine, MakesHostileComponentsKeysAndFieldsPrintable) {
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    std::string line = FormatLogLine(format, 0, LogLevel::kInfo, "comp\nonent\xff", "m",
                                     {{"ke\ny\xff", kHostile}, {"other", "x\ny"}, {"n", 1}});
    if (format == LogFormat::kJson) {
      nlohmann::json j = ParseJsonLine(line);
      EXPECT_EQ(j["component"], "comp\\nonent\\xff");
      EXPECT_EQ(j["other"], "x\\ny");
      EXPECT_EQ(j["n"], 1);
    } else {
      ExpectOnePrintableLine(line);
      EXPECT_NE(line.find("comp\\nonent\\xff: m"), std::string::npos) << line;
    }
  }
}

TEST(FormatLogLine, BoundsALongMessageAndLongFields) {
  std::string long_message(100000, 'm');
  std::string long_field(100000, 'f');
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    std::string line = FormatLogLine(format, 0, LogLevel::kInfo, std::string(1000, 'c'), long_message,
                                     {{"field", long_field}});
    EXPECT_LT(line.size(), 4000u);
    ExpectOnePrintableLine(line);
    if (format == LogFormat::kJson) ParseJsonLine(line);
  }
  // Cut at a character boundary.
  std::string accents;
  for (int i = 0; i < 3000; ++i) accents += "\xc3\xa9";
  ExpectOnePrintableLine(FormatLogLine(LogFormat::kText, 0, LogLevel::kInfo, "x", accents, {{"f", accents}}));
  ParseJsonLine(FormatLogLine(LogFormat::kJson, 0, LogLevel::kInfo, "x", accents, {{"f", accents}}));
}

TEST(ConfigureLog, SetsTheFormat) {
  ConfigureLog(LogFormat::kJson, LogLevel::kWarning);
  EXPECT_EQ(CurrentLogFormat(), LogFormat::kJson);
  ConfigureLog(LogFormat::kText);
  EXPECT_EQ(CurrentLogFormat(), LogFormat::kText);
}

}  // namespace
}  // namespace tutti::runtime
