#include "compiler/parse/literals.h"

#include <limits>

namespace tutti::compiler::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

QuotedToken SplitQuoted(std::string_view token) {
  QuotedToken q;
  size_t i = 0;
  while (i < token.size() && token[i] != '"' && token[i] != '\'') {
    char c = token[i++];
    if (c == 'r' || c == 'R') q.raw = true;
    if (c == 'b' || c == 'B') q.bytes = true;
  }
  size_t quote = 1;
  if (token.size() >= i + 6 && token.substr(i, 3) == std::string(3, token[i])) quote = 3;
  size_t body_begin = std::min(token.size(), i + quote);
  size_t body_end = token.size() >= body_begin + quote ? token.size() - quote : body_begin;
  q.body_offset = body_begin;
  q.body = token.substr(body_begin, body_end - body_begin);
  return q;
}

std::string DecodeEscapes(std::string_view body, bool bytes, std::string* out,
                          size_t* error_offset) {
  out->clear();
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    *error_offset = i;
    if (i + 1 >= body.size()) return "a backslash must start an escape such as \\n";
    char e = body[++i];
    switch (e) {
      case 'a': out->push_back('\a'); continue;
      case 'b': out->push_back('\b'); continue;
      case 'f': out->push_back('\f'); continue;
      case 'n': out->push_back('\n'); continue;
      case 'r': out->push_back('\r'); continue;
      case 't': out->push_back('\t'); continue;
      case 'v': out->push_back('\v'); continue;
      case '"': case '\'': case '\\': case '?': case '`': out->push_back(e); continue;
      default: break;
    }
    uint32_t value = 0;
    size_t digits = 0;
    int base = 16;
    if (e == 'x' || e == 'X') digits = 2;
    else if (e == 'u') digits = 4;
    else if (e == 'U') digits = 8;
    else if (e >= '0' && e <= '3') { digits = 3; base = 8; --i; }
    else return std::string("unknown escape '\\") + e + "'";
    if (bytes && (e == 'u' || e == 'U')) return "\\u and \\U escapes are not allowed in bytes";
    for (size_t k = 0; k < digits; ++k) {
      if (i + 1 >= body.size()) return "escape is cut short";
      char d = body[++i];
      int v = base == 16 ? HexValue(d) : (d >= '0' && d <= '7' ? d - '0' : -1);
      if (v < 0) return base == 16 ? "expected a hexadecimal digit in the escape"
                                   : "expected an octal digit in the escape";
      value = value * base + v;
    }
    if (bytes && (e == 'x' || e == 'X' || base == 8)) {
      out->push_back(static_cast<char>(value));
      continue;
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      return "escape is not a valid Unicode code point";
    AppendUtf8(out, value);
  }
  return {};
}

std::string DecodeQuoted(std::string_view token, std::string* out, bool* is_bytes,
                         size_t* error_offset) {
  QuotedToken q = SplitQuoted(token);
  *is_bytes = q.bytes;
  if (q.raw) {
    out->assign(q.body);
    return {};
  }
  size_t at = 0;
  std::string err = DecodeEscapes(q.body, q.bytes, out, &at);
  *error_offset = q.body_offset + at;
  return err;
}

std::string ParseUnsigned(std::string_view token, uint64_t* out) {
  int base = 10;
  if (token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X')) {
    base = 16;
    token.remove_prefix(2);
  }
  uint64_t v = 0;
  for (char c : token) {
    int d = HexValue(c);
    if (d < 0 || d >= base) break;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base)
      return "number is too large for a 64-bit integer";
    v = v * base + d;
  }
  *out = v;
  return {};
}

std::string ParseDuration(std::string_view token, int64_t* millis) {
  int64_t total = 0;
  size_t i = 0;
  while (i < token.size()) {
    int64_t n = 0;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
      if (n > std::numeric_limits<int64_t>::max() / 10) return "duration is too long";
      n = n * 10 + (token[i++] - '0');
    }
    int64_t unit = 0;
    if (token.substr(i, 2) == "ms") { unit = 1; i += 2; }
    else if (i < token.size()) {
      switch (token[i++]) {
        case 'w': unit = 7 * 86'400'000LL; break;
        case 'd': unit = 86'400'000LL; break;
        case 'h': unit = 3'600'000LL; break;
        case 'm': unit = 60'000LL; break;
        case 's': unit = 1'000LL; break;
        default: return "unknown duration unit";
      }
    }
    if (n > (std::numeric_limits<int64_t>::max() - total) / unit) return "duration is too long";
    total += n * unit;
  }
  *millis = total;
  return {};
}

}  // namespace tutti::compiler::internal
