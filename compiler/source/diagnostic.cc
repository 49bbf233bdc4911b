#include "compiler/source/diagnostic.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

namespace tutti::compiler {

Diagnostic& DiagnosticSink::Error(Code code, Location at, std::string message) {
  return Report({Severity::kError, code, at, std::move(message), {}, {}});
}

Diagnostic& DiagnosticSink::Warning(Code code, Location at, std::string message) {
  return Report({Severity::kWarning, code, at, std::move(message), {}, {}});
}

Diagnostic& DiagnosticSink::Report(Diagnostic d) {
  diagnostics_.push_back(std::move(d));
  return diagnostics_.back();
}

bool DiagnosticSink::ErrorsSince(size_t mark) const {
  for (size_t i = mark; i < diagnostics_.size(); ++i)
    if (diagnostics_[i].severity == Severity::kError) return true;
  return false;
}

size_t DiagnosticSink::error_count() const {
  size_t n = 0;
  for (const auto& d : Sorted()) n += d.severity == Severity::kError;
  return n;
}

size_t DiagnosticSink::warning_count() const {
  size_t n = 0;
  for (const auto& d : Sorted()) n += d.severity == Severity::kWarning;
  return n;
}

namespace {

const std::string& PathOf(const Diagnostic& d) {
  return d.location.source ? d.location.source->path() : d.path;
}

auto SortKey(const Diagnostic& d) {
  return std::tie(PathOf(d), d.location.range.begin, d.severity, d.message,
                  d.location.range.end);
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

// How much of a long line is shown around the diagnostic's column.
constexpr uint32_t kShownLineWidth = 120;

// Appends "path:line:col: severity: message", the source line and a caret
// or underline under the range.
void RenderOne(std::string& out, Severity severity, const Location& at,
               const std::string& path, const std::string& message) {
  if (at.source == nullptr) {
    out += path + ": " + SeverityName(severity) + ": " + message + "\n";
    return;
  }
  const Source& src = *at.source;
  LineColumn lc = src.Locate(at.range.begin);
  out += src.path() + ":" + std::to_string(lc.line) + ":" +
         std::to_string(lc.column) + ": " + SeverityName(severity) + ": " +
         message + "\n";
  std::string_view line = src.Line(lc.line);
  uint32_t col = lc.column - 1;  // byte index in the line
  uint32_t width = at.range.end > at.range.begin ? at.range.end - at.range.begin : 1;
  width = std::min<uint32_t>(width, std::max<uint32_t>(1, line.size() > col ? line.size() - col : 1));
  // Show a window of a long line around the column.
  uint32_t start = 0;
  if (line.size() > kShownLineWidth) {
    start = col > kShownLineWidth / 2 ? col - kShownLineWidth / 2 : 0;
    line = line.substr(start, kShownLineWidth);
    width = std::min<uint32_t>(width, kShownLineWidth / 2);
  }
  // Control characters and bytes of invalid UTF-8 show as '?'.
  std::string shown, marker;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char u = static_cast<unsigned char>(line[i]);
    size_t n = u < 0x80 ? 1 : (u >> 5) == 0x6 ? 2 : (u >> 4) == 0xE ? 3 : (u >> 3) == 0x1E ? 4 : 0;
    bool valid = n > 0 && i + n <= line.size();
    for (size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(line[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      shown += '?';
    } else if (n == 1) {
      shown += (u < 0x20 && u != '\t') || u == 0x7f ? '?' : line[i];
    } else {
      shown.append(line.substr(i, n));
      i += n - 1;
    }
  }
  // Pad by code points so the caret lines up under multi-byte characters.
  for (uint32_t i = start; i < col && i - start < line.size(); ++i) {
    unsigned char u = static_cast<unsigned char>(line[i - start]);
    if ((u & 0xC0) == 0x80) continue;
    marker += line[i - start] == '\t' ? '\t' : ' ';
  }
  marker += '^';
  for (uint32_t i = 1; i < width; ++i) marker += '~';
  std::string gutter = std::to_string(lc.line);
  out += " " + gutter + " | " + shown + "\n";
  out += " " + std::string(gutter.size(), ' ') + " | " + marker + "\n";
}

nlohmann::json Position(const Source& src, uint32_t offset) {
  LineColumn lc = src.Locate(offset);
  return {{"line", lc.line}, {"column", lc.column}, {"offset", offset}, {"character", src.Utf16Column(offset)}};
}

nlohmann::json LocationJson(const Location& at, const std::string& path) {
  nlohmann::json j;
  if (at.source == nullptr) {
    j["path"] = path;
    return j;
  }
  j["path"] = at.source->path();
  j["range"] = {{"start", Position(*at.source, at.range.begin)},
                {"end", Position(*at.source, at.range.end)}};
  return j;
}

}  // namespace

std::vector<Diagnostic> DiagnosticSink::Sorted() const {
  std::vector<Diagnostic> out = diagnostics_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return SortKey(a) < SortKey(b);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Diagnostic& a, const Diagnostic& b) {
                          return SortKey(a) == SortKey(b);
                        }),
            out.end());
  return out;
}

std::string RenderText(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    RenderOne(out, d.severity, d.location, d.path, d.message + " [" + std::string(CodeText(d.code)) + "]");
    for (const Note& n : d.notes) RenderOne(out, Severity::kNote, n.location, d.path, n.message);
  }
  return out;
}

std::string RenderJson(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json list = nlohmann::json::array();
  size_t errors = 0, warnings = 0;
  for (const Diagnostic& d : diagnostics) {
    errors += d.severity == Severity::kError;
    warnings += d.severity == Severity::kWarning;
    nlohmann::json j = LocationJson(d.location, d.path);
    j["severity"] = SeverityName(d.severity);
    j["code"] = CodeText(d.code);
    j["message"] = d.message;
    j["notes"] = nlohmann::json::array();
    for (const Note& n : d.notes) {
      nlohmann::json nj = LocationJson(n.location, d.path);
      nj["message"] = n.message;
      j["notes"].push_back(nj);
    }
    j["fixes"] = nlohmann::json::array();
    for (const Fix& f : d.fixes) {
      if (d.location.source == nullptr) break;
      j["fixes"].push_back({{"title", f.title},
                            {"range", {{"start", Position(*d.location.source, f.range.begin)},
                                       {"end", Position(*d.location.source, f.range.end)}}},
                            {"text", f.text}});
    }
    list.push_back(j);
  }
  nlohmann::json doc = {{"diagnostics", list}, {"errors", errors}, {"warnings", warnings}};
  // Replace invalid UTF-8 rather than throw: messages may quote user bytes.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace tutti::compiler
