#include "runtime/records/field_text.h"

#include <charconv>
#include <cstdint>

namespace tutti::runtime {

std::optional<std::string> DecodeBase64(std::string_view s) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int d = digit(c);
    if (d < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

KeyProblem MapKeyOf(const compiler::Type& key, const std::string& k, compiler::eval::Value& out) {
  using compiler::TypeKind;
  auto whole = [&](auto v) {
    auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), v);
    if (ec == std::errc() && p == k.data() + k.size()) {
      out = compiler::eval::Value(v);
      return KeyProblem::kNone;
    }
    return ec == std::errc::result_out_of_range ? KeyProblem::kOutOfRange : KeyProblem::kNotOfType;
  };
  switch (key.kind()) {
    case TypeKind::kString:
    case TypeKind::kDyn:
    case TypeKind::kError: out = compiler::eval::Value(k); return KeyProblem::kNone;
    case TypeKind::kBool:
      if (k != "true" && k != "false") return KeyProblem::kNotOfType;
      out = compiler::eval::Value(k == "true");
      return KeyProblem::kNone;
    case TypeKind::kInt: return whole(int64_t{0});
    case TypeKind::kUint: return whole(uint64_t{0});
    default: return KeyProblem::kNotOfType;
  }
}

compiler::eval::Value ParseFieldDuration(std::string_view s) {
  if (s.size() >= 2 && s.back() == 'd') {
    std::string_view digits = s.substr(0, s.size() - 1);
    bool negative = !digits.empty() && digits[0] == '-';
    if (negative) digits.remove_prefix(1);
    int64_t days = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), days);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() ||
        days > compiler::eval::kMaxDurationSeconds / 86400)
      return compiler::eval::Value::Error("invalid duration");
    __int128 nanos = static_cast<__int128>(days) * 86400 * 1000000000;
    return compiler::eval::CheckedDuration(negative ? -nanos : nanos);
  }
  return compiler::eval::ParseDuration(s);
}

}  // namespace tutti::runtime
