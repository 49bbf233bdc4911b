#include "runtime/daemon/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "base/check.h"
#include "base/text.h"

namespace tutti::runtime {

const std::vector<double> Metrics::kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5,     10};

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_->size() && v > (*bounds_)[i]) ++i;
  counts_[i] += 1;
  sum_ += v;
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts_) n += c;
  return n;
}

template <typename T>
T& Family<T>::At(const std::vector<std::string>& labels) {
  TUTTI_CHECK(labels.size() == label_names_.size(), "a series gives one value per label of its family");
  auto& slot = series_[labels];
  if (!slot) slot = std::make_unique<T>(make_());
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::string EscapeLabelValue(const std::string& value) {
  // Valid UTF-8, at most 256 bytes of it, with \\, \" and \n escaped as
  // the text format reads them; other control characters are dropped.
  std::string out;
  for (size_t i = 0; i < value.size() && out.size() < 256;) {
    size_t n = Utf8SequenceLength(std::string_view(value).substr(i));
    char c = value[i];
    if (n == 0) out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
    else if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else if (n > 1 || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)) out.append(value, i, n);
    i += n == 0 ? 1 : n;
  }
  return out;
}

namespace {

/// A number as the text format wants it: whole numbers exactly, others
/// with enough digits to read back.
std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char out[64];
  if (v == std::floor(v) && std::fabs(v) < 1e18) {
    std::snprintf(out, sizeof out, "%.0f", v);
    return out;
  }
  for (int digits = 15; digits <= 17; ++digits) {  // the shortest that reads back
    std::snprintf(out, sizeof out, "%.*g", digits, v);
    if (std::strtod(out, nullptr) == v) break;
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

/// The standard process metrics, from /proc/self.
void ProcessMetrics(std::ostringstream& out) {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string w; fields >> w;) f.push_back(w);
  // Fields after the command, from field 3 (state) on: utime is 14, stime
  // 15, starttime 22, vsize 23, rss 24 (1-based in proc(5)).
  auto field = [&](size_t n) -> double { return n - 3 < f.size() ? std::atof(f[n - 3].c_str()) : 0; };
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  double boot = 0;
  std::ifstream kernel("/proc/stat");
  for (std::string line; std::getline(kernel, line);)
    if (line.rfind("btime ", 0) == 0) boot = std::atof(line.c_str() + 6);
  size_t fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) fds += e->d_name[0] != '.';
    ::closedir(d);
  }
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  auto put = [&](const char* name, const char* type, const char* help, double v) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << Number(v) << "\n";
  };
  put("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
      (field(14) + field(15)) / ticks);
  put("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", field(24) * page);
  put("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23));
  put("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
      boot + field(22) / ticks);
  put("process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(fds > 0 ? fds - 1 : 0));
  put("process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(files.rlim_cur));
}

}  // namespace

struct Metrics::Entry {
  std::string name, help, type;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  const std::vector<double>* bounds = nullptr;
  std::vector<std::string> read_labels;
  std::function<std::map<std::vector<std::string>, double>()> read;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Entry& Metrics::Declare(const std::string& name, const std::string& help, const char* type) {
  for (const auto& e : entries_) TUTTI_CHECK(e->name != name, "a metric family is declared once");
  auto& e = entries_.emplace_back(std::make_unique<Entry>());
  e->name = name;
  e->help = help;
  e->type = type;
  return *e;
}

Family<Counter>& Metrics::AddCounters(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  Entry& e = Declare(name, help, "counter");
  e.counters = std::make_unique<Family<Counter>>();
  e.counters->label_names_ = std::move(labels);
  e.counters->make_ = [] { return Counter(); };
  return *e.counters;
}

Counter& Metrics::AddCounter(const std::string& name, const std::string& help) {
  return AddCounters(name, help, {}).At({});
}

Family<Gauge>& Metrics::AddGauges(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  Entry& e = Declare(name, help, "gauge");
  e.gauges = std::make_unique<Family<Gauge>>();
  e.gauges->label_names_ = std::move(labels);
  e.gauges->make_ = [] { return Gauge(); };
  return *e.gauges;
}

Gauge& Metrics::AddGauge(const std::string& name, const std::string& help) { return AddGauges(name, help, {}).At({}); }

void Metrics::AddGauge(const std::string& name, const std::string& help, std::function<double()> read) {
  Entry& e = Declare(name, help, "gauge");
  e.read = [read = std::move(read)] { return std::map<std::vector<std::string>, double>{{{}, read()}}; };
}

void Metrics::AddGauges(const std::string& name, const std::string& help, std::vector<std::string> labels,
                        std::function<std::map<std::vector<std::string>, double>()> read) {
  Entry& e = Declare(name, help, "gauge");
  e.read_labels = std::move(labels);
  e.read = std::move(read);
}

void Metrics::AddCounter(const std::string& name, const std::string& help, std::function<double()> read) {
  Entry& e = Declare(name, help, "counter");
  e.read = [read = std::move(read)] { return std::map<std::vector<std::string>, double>{{{}, read()}}; };
}

Family<Histogram>& Metrics::AddHistograms(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels, const std::vector<double>* bounds) {
  Entry& e = Declare(name, help, "histogram");
  e.histograms = std::make_unique<Family<Histogram>>();
  e.histograms->label_names_ = std::move(labels);
  e.histograms->make_ = [bounds] { return Histogram(bounds); };
  e.bounds = bounds;
  return *e.histograms;
}

std::string Metrics::Render() const {
  std::ostringstream out;
  for (const auto& e : entries_) {
    out << "# HELP " << e->name << " " << EscapeHelp(e->help) << "\n# TYPE " << e->name << " " << e->type << "\n";
    if (e->read) {
      for (const auto& [labels, v] : e->read()) out << e->name << Labels(e->read_labels, labels) << " " << Number(v) << "\n";
    } else if (e->counters) {
      for (const auto& [labels, c] : e->counters->series_)
        out << e->name << Labels(e->counters->label_names_, labels) << " " << Number(c->value()) << "\n";
    } else if (e->gauges) {
      for (const auto& [labels, g] : e->gauges->series_)
        out << e->name << Labels(e->gauges->label_names_, labels) << " " << Number(g->value()) << "\n";
    } else if (e->histograms) {
      const auto& names = e->histograms->label_names_;
      for (const auto& [labels, h] : e->histograms->series_) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i < h->counts().size(); ++i) {
          cumulative += h->counts()[i];
          std::string le = i < e->bounds->size() ? Number((*e->bounds)[i]) : "+Inf";
          out << e->name << "_bucket" << Labels(names, labels, "le=\"" + le + "\"") << " " << cumulative << "\n";
        }
        out << e->name << "_sum" << Labels(names, labels) << " " << Number(h->sum()) << "\n";
        out << e->name << "_count" << Labels(names, labels) << " " << cumulative << "\n";
      }
    }
  }
  ProcessMetrics(out);
  return out.str();
}

}  // namespace tutti::runtime
