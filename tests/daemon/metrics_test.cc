// The daemon's metrics as Prometheus scrapes them (runtime/daemon/metrics.h):
// every family with its # HELP and # TYPE lines and the right type,
// histograms with cumulative buckets, _sum and _count, counts exact far
// past a million, label values escaped, the process_* metrics, and a
// family declared twice caught as the bug it is.

#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/text.h"
#include "runtime/daemon/metrics.h"

namespace tutti::runtime {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const std::string& l : Lines(text))
    if (l == line) return true;
  return false;
}

/// The value of the sample `series` (name and labels, as rendered).
std::string SampleValue(const std::string& text, const std::string& series) {
  for (const std::string& l : Lines(text))
    if (l.rfind(series + " ", 0) == 0) return l.substr(series.size() + 1);
  return "(none)";
}

/// Checks the text format's shape: every sample belongs to a family
/// announced before it by # HELP and # TYPE, each family once.
void ExpectWellFormed(const std::string& text) {
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$)");
  static const std::regex kNumber(R"(^(NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)$)");
  std::string last_help;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.insert(name).second) << "HELP twice for " << name;
      last_help = name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream in(line.substr(7));
      std::string name, type;
      in >> name >> type;
      EXPECT_EQ(name, last_help) << "TYPE without HELP just before: " << line;
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
      EXPECT_TRUE(types.emplace(name, type).second) << "TYPE twice for " << name;
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "not a sample: " << line;
    EXPECT_TRUE(std::regex_match(m[3].str(), kNumber)) << line;
    std::string name = m[1].str();
    if (!types.count(name)) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s = suffix;
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
            types.count(name.substr(0, name.size() - s.size())) &&
            types[name.substr(0, name.size() - s.size())] == "histogram")
          name = name.substr(0, name.size() - s.size());
      }
    }
    EXPECT_TRUE(types.count(name)) << "a sample of no family announced before it: " << line;
    EXPECT_TRUE(helped.count(name)) << line;
  }
}

// --- HELP and TYPE ----------------------------------------------------------------

TEST(Metrics, AnnouncesEveryFamilyWithItsHelpAndType) {
  Metrics m;
  m.AddCounter("tutti_events_in_total", "Events accepted.").Add(3);
  m.AddCounters("tutti_inputs_refused_total", "Inputs refused.", {"reason"}).At({"decode"}).Add();
  m.AddGauge("tutti_shards", "Shards.").Set(4);
  m.AddGauges("tutti_outbox", "Actions waiting.", {"channel"}).At({"email"}).Set(2);
  m.AddGauge("tutti_timers_pending", "Timers waiting.", [] { return 17.0; });
  m.AddGauges("tutti_queue", "Queued per channel.", {"channel"},
              [] { return std::map<std::vector<std::string>, double>{{{"email"}, 3}, {{"sms"}, 0}}; });
  m.AddCounter("tutti_log_bytes_total", "Bytes logged.", [] { return 4096.0; });
  m.AddHistograms("tutti_request_seconds", "Request latency.", {"route"}).At({"/v1/events"}).Observe(0.003);
  m.AddCounters("tutti_empty_total", "A family with no series yet.", {"reason"});

  std::string text = m.Render();
  ExpectWellFormed(text);
  struct Family {
    const char* name;
    const char* help;
    const char* type;
  };
  const Family families[] = {
      {"tutti_events_in_total", "Events accepted.", "counter"},
      {"tutti_inputs_refused_total", "Inputs refused.", "counter"},
      {"tutti_shards", "Shards.", "gauge"},
      {"tutti_outbox", "Actions waiting.", "gauge"},
      {"tutti_timers_pending", "Timers waiting.", "gauge"},
      {"tutti_queue", "Queued per channel.", "gauge"},
      {"tutti_log_bytes_total", "Bytes logged.", "counter"},
      {"tutti_request_seconds", "Request latency.", "histogram"},
      {"tutti_empty_total", "A family with no series yet.", "counter"},
  };
  size_t last = 0;
  for (const Family& f : families) {
    std::string help = std::string("# HELP ") + f.name + " " + f.help + "\n";
    size_t at = text.find(help);
    ASSERT_NE(at, std::string::npos) << f.name;
    EXPECT_GE(at, last) << f.name << " is out of the order declared";
    last = at;
    EXPECT_TRUE(HasLine(text, std::string("# TYPE ") + f.name + " " + f.type)) << f.name;
  }
  EXPECT_EQ(SampleValue(text, "tutti_events_in_total"), "3");
  EXPECT_EQ(SampleValue(text, "tutti_inputs_refused_total{reason=\"decode\"}"), "1");
  EXPECT_EQ(SampleValue(text, "tutti_shards"), "4");
  EXPECT_EQ(SampleValue(text, "tutti_outbox{channel=\"email\"}"), "2");
  EXPECT_EQ(SampleValue(text, "tutti_timers_pending"), "17");
  EXPECT_EQ(SampleValue(text, "tutti_queue{channel=\"email\"}"), "3");
  EXPECT_EQ(SampleValue(text, "tutti_queue{channel=\"sms\"}"), "0");
  EXPECT_EQ(SampleValue(text, "tutti_log_bytes_total"), "4096");
}

TEST(Metrics, ReadsGaugesWhenRendered) {
  Metrics m;
  double v = 1;
  m.AddGauge("tutti_read", "Read each time.", [&] { return v; });
  EXPECT_EQ(SampleValue(m.Render(), "tutti_read"), "1");
  v = 2.5;
  EXPECT_EQ(SampleValue(m.Render(), "tutti_read"), "2.5");
}

TEST(Metrics, EscapesHelpText) {
  Metrics m;
  m.AddCounter("tutti_x_total", "Two\nlines and a \\ backslash.");
  EXPECT_TRUE(HasLine(m.Render(), "# HELP tutti_x_total Two\\nlines and a \\\\ backslash."));
}

// --- Numbers ------------------------------------------------------------------------

TEST(Metrics, PrintsCountsPastAMillionExactly) {
  Metrics m;
  Counter& c = m.AddCounter("tutti_events_in_total", "Events.");
  c.Add(1234567);
  Gauge& g = m.AddGauge("tutti_big", "Big.");
  g.Set(123456789012345.0);
  auto& h = m.AddHistograms("tutti_seconds", "Latency.", {});
  Histogram& series = h.At({});
  for (int i = 0; i < 1234567; ++i) series.Observe(0.002);

  std::string text = m.Render();
  EXPECT_EQ(SampleValue(text, "tutti_events_in_total"), "1234567");
  EXPECT_EQ(SampleValue(text, "tutti_big"), "123456789012345");
  EXPECT_EQ(SampleValue(text, "tutti_seconds_count"), "1234567");
  EXPECT_EQ(SampleValue(text, "tutti_seconds_bucket{le=\"+Inf\"}"), "1234567");
  EXPECT_EQ(SampleValue(text, "tutti_seconds_bucket{le=\"0.0025\"}"), "1234567");
  EXPECT_EQ(SampleValue(text, "tutti_seconds_bucket{le=\"0.001\"}"), "0");
  EXPECT_EQ(text.find("e+06"), std::string::npos) << text;
  double sum = std::stod(SampleValue(text, "tutti_seconds_sum"));
  EXPECT_NEAR(sum, 2469.134, 0.01);
}

TEST(Metrics, PrintsFractionsSpecialValuesAndLargeNumbersSoTheyReadBack) {
  Metrics m;
  const std::vector<double> values = {0.25, -3, 0.1, 1.0 / 3, 1e-9, 1e20, 12345678901234567890.0};
  for (size_t i = 0; i < values.size(); ++i) m.AddGauge("tutti_g" + std::to_string(i), "G.").Set(values[i]);
  m.AddGauge("tutti_nan", "NaN.").Set(std::nan(""));
  m.AddGauge("tutti_inf", "Inf.").Set(std::numeric_limits<double>::infinity());
  m.AddGauge("tutti_ninf", "-Inf.").Set(-std::numeric_limits<double>::infinity());
  std::string text = m.Render();
  ExpectWellFormed(text);
  EXPECT_EQ(SampleValue(text, "tutti_g0"), "0.25");
  EXPECT_EQ(SampleValue(text, "tutti_g1"), "-3");
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(std::stod(SampleValue(text, "tutti_g" + std::to_string(i))), values[i]) << i;
  EXPECT_EQ(SampleValue(text, "tutti_nan"), "NaN");
  EXPECT_EQ(SampleValue(text, "tutti_inf"), "+Inf");
  EXPECT_EQ(SampleValue(text, "tutti_ninf"), "-Inf");
}

// --- Histograms -----------------------------------------------------------------------

TEST(Metrics, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  static const std::vector<double> kBounds = {1, 2, 5};
  Metrics m;
  auto& family = m.AddHistograms("tutti_size", "Sizes.", {"route"}, &kBounds);
  Histogram& h = family.At({"/v1/events"});
  for (double v : {0.5, 1.0, 1.5, 3.0, 10.0}) h.Observe(v);  // a bound belongs to its bucket
  family.At({"/v1/profiles"});                              // a series with nothing observed yet

  EXPECT_EQ(h.counts(), (std::vector<uint64_t>{2, 1, 1, 1}));
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.sum(), 16.0);

  std::string text = m.Render();
  ExpectWellFormed(text);
  EXPECT_TRUE(HasLine(text, "# TYPE tutti_size histogram"));
  const std::string expected =
      "tutti_size_bucket{route=\"/v1/events\",le=\"1\"} 2\n"
      "tutti_size_bucket{route=\"/v1/events\",le=\"2\"} 3\n"
      "tutti_size_bucket{route=\"/v1/events\",le=\"5\"} 4\n"
      "tutti_size_bucket{route=\"/v1/events\",le=\"+Inf\"} 5\n"
      "tutti_size_sum{route=\"/v1/events\"} 16\n"
      "tutti_size_count{route=\"/v1/events\"} 5\n"
      "tutti_size_bucket{route=\"/v1/profiles\",le=\"1\"} 0\n"
      "tutti_size_bucket{route=\"/v1/profiles\",le=\"2\"} 0\n"
      "tutti_size_bucket{route=\"/v1/profiles\",le=\"5\"} 0\n"
      "tutti_size_bucket{route=\"/v1/profiles\",le=\"+Inf\"} 0\n"
      "tutti_size_sum{route=\"/v1/profiles\"} 0\n"
      "tutti_size_count{route=\"/v1/profiles\"} 0\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
}

TEST(Metrics, UsesTheLatencyBucketsByDefault) {
  Metrics m;
  m.AddHistograms("tutti_seconds", "Latency.", {}).At({}).Observe(0.0001);
  std::string text = m.Render();
  ExpectWellFormed(text);
  uint64_t previous = 0;
  size_t buckets = 0;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("tutti_seconds_bucket", 0) != 0) continue;
    uint64_t n = std::stoull(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(n, previous) << line;  // cumulative
    previous = n;
    ++buckets;
  }
  EXPECT_EQ(buckets, Metrics::kLatencyBuckets.size() + 1);
  EXPECT_TRUE(HasLine(text, "tutti_seconds_bucket{le=\"0.0005\"} 1"));
  EXPECT_TRUE(HasLine(text, "tutti_seconds_bucket{le=\"10\"} 1"));
}

// --- Labels ---------------------------------------------------------------------------

TEST(EscapeLabelValue, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
  EXPECT_EQ(EscapeLabelValue("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(EscapeLabelValue, IsValidUtf8WithNoRawControlCharacters) {
  for (const std::string& value : {std::string("\xff\xfe"), std::string("\x1b[2J"), std::string("a\0b", 3),
                                   std::string("\r\t\x7f"), std::string(1000, '\xff')}) {
    std::string escaped = EscapeLabelValue(value);
    EXPECT_TRUE(ValidUtf8(escaped)) << Printable(escaped);
    for (unsigned char c : escaped) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << Printable(escaped);
    EXPECT_LT(escaped.size(), 600u);  // bounded
  }
}

TEST(Metrics, RendersLabelValuesEscaped) {
  Metrics m;
  auto& family = m.AddCounters("tutti_refused_total", "Refused.", {"reason", "route"});
  family.At({"back\\slash \"quoted\"", "two\nlines"}).Add(2);
  std::string text = m.Render();
  ExpectWellFormed(text);
  EXPECT_TRUE(HasLine(text, "tutti_refused_total{reason=\"back\\\\slash \\\"quoted\\\"\",route=\"two\\nlines\"} 2"))
      << text;
}

TEST(Metrics, KeepsOneSeriesPerLabelValues) {
  Metrics m;
  auto& family = m.AddCounters("tutti_in_total", "In.", {"kind"});
  family.At({"event"}).Add();
  family.At({"event"}).Add(2);
  family.At({"profile"}).Add();
  EXPECT_EQ(&family.At({"event"}), &family.At({"event"}));
  std::string text = m.Render();
  EXPECT_EQ(SampleValue(text, "tutti_in_total{kind=\"event\"}"), "3");
  EXPECT_EQ(SampleValue(text, "tutti_in_total{kind=\"profile\"}"), "1");
}

// --- process_* ------------------------------------------------------------------------

TEST(Metrics, EndsWithTheProcessMetrics) {
  Metrics m;
  std::string text = m.Render();
  ExpectWellFormed(text);
  struct Process {
    const char* name;
    const char* type;
  };
  for (const Process& p : {Process{"process_cpu_seconds_total", "counter"},
                           Process{"process_resident_memory_bytes", "gauge"},
                           Process{"process_virtual_memory_bytes", "gauge"},
                           Process{"process_start_time_seconds", "gauge"}, Process{"process_open_fds", "gauge"},
                           Process{"process_max_fds", "gauge"}}) {
    EXPECT_TRUE(HasLine(text, std::string("# TYPE ") + p.name + " " + p.type)) << p.name;
    EXPECT_NE(text.find(std::string("# HELP ") + p.name + " "), std::string::npos) << p.name;
    EXPECT_NE(SampleValue(text, p.name), "(none)") << p.name;
  }
  EXPECT_GT(std::stod(SampleValue(text, "process_resident_memory_bytes")), 1e5);
  EXPECT_GT(std::stod(SampleValue(text, "process_virtual_memory_bytes")), 1e5);
  EXPECT_GE(std::stod(SampleValue(text, "process_open_fds")), 3);
  EXPECT_GE(std::stod(SampleValue(text, "process_max_fds")), std::stod(SampleValue(text, "process_open_fds")));
  double start = std::stod(SampleValue(text, "process_start_time_seconds"));
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 2);
  EXPECT_GT(start, now - 86400);  // this test process started less than a day ago

  m.AddCounter("tutti_after_total", "Declared later, rendered before process_*.");
  text = m.Render();
  EXPECT_LT(text.find("tutti_after_total"), text.find("process_cpu_seconds_total"));
}

// --- Declared once --------------------------------------------------------------------

TEST(MetricsDeathTest, AbortsWhenAFamilyIsDeclaredTwice) {
  EXPECT_DEATH(
      {
        Metrics m;
        m.AddCounter("tutti_x_total", "X.");
        m.AddCounter("tutti_x_total", "X again.");
      },
      "a metric family is declared once");
  EXPECT_DEATH(
      {
        Metrics m;
        m.AddCounters("tutti_y", "Y.", {"a"});
        m.AddGauge("tutti_y", "Y as a gauge.", [] { return 1.0; });
      },
      "a metric family is declared once");
  EXPECT_DEATH(
      {
        Metrics m;
        m.AddHistograms("tutti_z", "Z.", {});
        m.AddGauges("tutti_z", "Z.", {"b"});
      },
      "a metric family is declared once");
}

TEST(MetricsDeathTest, AbortsWhenASeriesGivesTheWrongNumberOfLabels) {
  EXPECT_DEATH(
      {
        Metrics m;
        m.AddCounters("tutti_x_total", "X.", {"a", "b"}).At({"only one"});
      },
      "a series gives one value per label of its family");
}

}  // namespace
}  // namespace tutti::runtime
