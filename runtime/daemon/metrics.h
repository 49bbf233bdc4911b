#pragma once
// The daemon's metrics, as Prometheus scrapes them (text format 0.0.4): a
// small typed registry. Every family is declared once, with its name, its
// help text, its type and its label names; a series is a family and one
// value per label. Render writes `# HELP` and `# TYPE` for every family,
// label values escaped, counts exact far past a million.
//
//   Metrics m;
//   Counter& in = m.AddCounter("tutti_events_in_total", "Events accepted.");
//   auto& refused = m.AddCounters("tutti_inputs_refused_total", "Inputs refused.", {"reason"});
//   refused.At({"decode"}).Add();
//   m.AddGauge("tutti_timers_pending", "Timers waiting.", [&] { return double(timers()); });
//
// Not thread-safe: the daemon's event loop owns it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tutti::runtime {

class Counter {
 public:
  void Add(double n = 1) { value_ += n; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Gauge {
 public:
  void Set(double v) { value_ = v; }
  void Add(double n) { value_ += n; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

/// Observations (durations in seconds, sizes) counted into fixed buckets.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds) : bounds_(bounds), counts_(bounds->size() + 1) {}
  void Observe(double v);
  /// Per bucket, not cumulative; the last is +Inf.
  const std::vector<uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const;

 private:
  const std::vector<double>* bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
};

/// Series of one family, by their label values (in the family's order of
/// label names).
template <typename T>
class Family {
 public:
  T& At(const std::vector<std::string>& labels);

 private:
  friend class Metrics;
  std::vector<std::string> label_names_;
  std::function<T()> make_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

class Metrics {
 public:
  /// Seconds, from half a millisecond to 10 s: request and store latencies.
  static const std::vector<double> kLatencyBuckets;

  Metrics();
  ~Metrics();

  Counter& AddCounter(const std::string& name, const std::string& help);
  Family<Counter>& AddCounters(const std::string& name, const std::string& help, std::vector<std::string> labels);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Family<Gauge>& AddGauges(const std::string& name, const std::string& help, std::vector<std::string> labels);
  /// A gauge read when rendered.
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read);
  /// A family of gauges read when rendered: label values -> value.
  void AddGauges(const std::string& name, const std::string& help, std::vector<std::string> labels,
                 std::function<std::map<std::vector<std::string>, double>()> read);
  /// A counter read when rendered (a total kept elsewhere).
  void AddCounter(const std::string& name, const std::string& help, std::function<double()> read);
  Family<Histogram>& AddHistograms(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                   const std::vector<double>* bounds = &kLatencyBuckets);

  /// The Prometheus text of every family, in the order declared, followed
  /// by the standard process_* metrics of this process (CPU, memory, open
  /// files, start time), read from /proc.
  std::string Render() const;

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
  Entry& Declare(const std::string& name, const std::string& help, const char* type);
};

/// A label value with \, " and newlines escaped as the text format wants.
std::string EscapeLabelValue(const std::string& value);

}  // namespace tutti::runtime
