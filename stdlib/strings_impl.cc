// Implementations of stdlib/strings.cc. Indexes count code points, as CEL
// does; `matches` uses RE2 (linear time, no backtracking blow-ups).

#include <re2/re2.h>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "stdlib/impl.h"
#include "stdlib/utf8.h"

namespace tutti::stdlib {

namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;
using Args = std::span<const Value>;

const std::string& S(const Value& v) { return v.AsString(); }

Value Contains(Args a) { return Value(S(a[0]).find(S(a[1])) != std::string::npos); }
Value StartsWith(Args a) { return Value(S(a[0]).starts_with(S(a[1]))); }
Value EndsWith(Args a) { return Value(S(a[0]).ends_with(S(a[1]))); }

/// Compiled patterns, shared by all threads; a bounded cache so that a
/// journey's constant patterns compile once.
std::shared_ptr<const RE2> Compile(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, options);
  if (cache.size() > 1024) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

Value Matches(Args a) {
  auto re = Compile(S(a[1]));
  if (!re->ok()) return Value::Error("invalid regular expression: " + re->error());
  return Value(RE2::PartialMatch(S(a[0]), *re));
}

Value LowerAscii(Args a) {
  std::string s = S(a[0]);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return Value(std::move(s));
}

Value UpperAscii(Args a) {
  std::string s = S(a[0]);
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return Value(std::move(s));
}

/// Length of the white-space character at the start (or end) of `s`, or 0.
size_t SpaceAt(std::string_view s, bool at_end) {
  static const char* const kSpaces[] = {
      " ", "\t", "\n", "\v", "\f", "\r", "\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80",
      "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84",
      "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
      "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F",
      "\xE3\x80\x80"};
  for (const char* sp : kSpaces) {
    std::string_view w(sp);
    if (at_end ? s.ends_with(w) : s.starts_with(w)) return w.size();
  }
  return 0;
}

Value Trim(Args a) {
  std::string_view s = S(a[0]);
  while (size_t n = SpaceAt(s, false)) s.remove_prefix(n);
  while (size_t n = SpaceAt(s, true)) s.remove_suffix(n);
  return Value(std::string(s));
}

Value Replace(Args a) {
  const std::string& s = S(a[0]);
  const std::string& from = S(a[1]);
  const std::string& to = S(a[2]);
  if (from.empty()) {
    // Go's strings.Replace: insert `to` around every code point.
    std::string out = to;
    auto offsets = internal::CodePointOffsets(s);
    for (size_t i = 0; i + 1 < offsets.size(); ++i)
      out += s.substr(offsets[i], offsets[i + 1] - offsets[i]) + to;
    return Value(std::move(out));
  }
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = s.find(from, pos)) != std::string::npos; pos = at + from.size())
    out += s.substr(pos, at - pos) + to;
  out += s.substr(pos);
  return Value(std::move(out));
}

Value Split(Args a) {
  const std::string& s = S(a[0]);
  const std::string& sep = S(a[1]);
  compiler::eval::List out;
  if (sep.empty()) {
    auto offsets = internal::CodePointOffsets(s);
    for (size_t i = 0; i + 1 < offsets.size(); ++i)
      out.emplace_back(s.substr(offsets[i], offsets[i + 1] - offsets[i]));
    return Value(std::move(out));
  }
  size_t pos = 0;
  for (size_t at; (at = s.find(sep, pos)) != std::string::npos; pos = at + sep.size())
    out.emplace_back(s.substr(pos, at - pos));
  out.emplace_back(s.substr(pos));
  return Value(std::move(out));
}

Value IndexOf(Args a) {
  const std::string& s = S(a[0]);
  size_t at = s.find(S(a[1]));
  if (at == std::string::npos) return Value(int64_t{-1});
  return Value(static_cast<int64_t>(internal::CodePointCount(std::string_view(s).substr(0, at))));
}

Value Substring(const std::string& s, int64_t begin, int64_t end) {
  auto offsets = internal::CodePointOffsets(s);
  auto n = static_cast<int64_t>(offsets.size() - 1);
  if (begin < 0 || begin > n) return Value::Error("index out of range: " + std::to_string(begin));
  if (end < begin || end > n) return Value::Error("index out of range: " + std::to_string(end));
  return Value(s.substr(offsets[static_cast<size_t>(begin)],
                        offsets[static_cast<size_t>(end)] - offsets[static_cast<size_t>(begin)]));
}

Value Substring1(Args a) {
  return Substring(S(a[0]), a[1].AsInt(),
                   static_cast<int64_t>(internal::CodePointCount(S(a[0]))));
}
Value Substring2(Args a) { return Substring(S(a[0]), a[1].AsInt(), a[2].AsInt()); }

Value Join(const compiler::eval::List& list, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is(ValueKind::kString))
      return Value::Error("join: element is a " + compiler::eval::TypeName(list[i]));
    if (i) out += sep;
    out += list[i].AsString();
  }
  return Value(std::move(out));
}
Value Join0(Args a) { return Join(a[0].AsList(), ""); }
Value Join1(Args a) { return Join(a[0].AsList(), S(a[1])); }

}  // namespace

void RegisterStringImplementations(FunctionTable& t) {
  t.Add("string.contains(string)", Contains);
  t.Add("string.startsWith(string)", StartsWith);
  t.Add("string.endsWith(string)", EndsWith);
  t.Add("string.matches(string)", Matches);
  t.Add("matches(string, string)", Matches);
  t.Add("string.lowerAscii()", LowerAscii);
  t.Add("string.upperAscii()", UpperAscii);
  t.Add("string.trim()", Trim);
  t.Add("string.replace(string, string)", Replace);
  t.Add("string.split(string)", Split);
  t.Add("string.indexOf(string)", IndexOf);
  t.Add("string.substring(int)", Substring1);
  t.Add("string.substring(int, int)", Substring2);
  t.Add("list<string>.join()", Join0);
  t.Add("list<string>.join(string)", Join1);
}

}  // namespace tutti::stdlib
