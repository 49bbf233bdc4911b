#include "base/text.h"

#include <charconv>
#include <cstdint>

namespace tutti {

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b = byte(0);
  if (b < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((b & 0xe0) == 0xc0) n = 2, cp = b & 0x1f;
  else if ((b & 0xf0) == 0xe0) n = 3, cp = b & 0x0f;
  else if ((b & 0xf8) == 0xf0) n = 4, cp = b & 0x07;
  else return 0;
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(i) & 0x3f);
  }
  static constexpr uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kLeast[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Printable(std::string_view s, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  auto escaped = [&](std::string_view bytes) {
    std::string e;
    for (unsigned char c : bytes) {
      if (c == '\n') e += "\\n";
      else if (c == '\r') e += "\\r";
      else if (c == '\t') e += "\\t";
      else e += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
    return e;
  };
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s.substr(i));
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool control = n == 0 || (n == 1 && (c < 0x20 || c == 0x7f)) ||
                   (n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0);  // C1
    if (n == 0) n = 1;  // one byte that is not UTF-8
    std::string piece = control ? escaped(s.substr(i, n)) : std::string(s.substr(i, n));
    if (out.size() + piece.size() > max_bytes) return out + "...";
    out += piece;
    i += n;
  }
  return out;
}

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> FromHex(std::string_view hex, size_t max_bytes) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > max_bytes) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(value));
  }
  return out;
}

}  // namespace tutti
