#pragma once
// A hash that is the same on every machine, in every run and every
// version: FNV-1a over the bytes, then splitmix64's finaliser so that
// every bit depends on every byte. What idempotency keys, split buckets
// and content fingerprints are made of; never std::hash, which may change.

#include <cstdint>
#include <string>
#include <string_view>

namespace tutti::runtime {

namespace stable_hash {

inline uint64_t Add(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

inline uint64_t Finish(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

constexpr uint64_t kStart = 1469598103934665603ULL;

}  // namespace stable_hash

inline uint64_t StableHash(std::string_view text) {
  return stable_hash::Finish(stable_hash::Add(stable_hash::kStart, text));
}

/// StableHash of `a`, a NUL byte and `b`, without joining them.
inline uint64_t StableHash(std::string_view a, std::string_view b) {
  using namespace stable_hash;
  return Finish(Add(Add(Add(kStart, a), std::string_view("\0", 1)), b));
}

/// The low `digits` hex digits of `h` (at most 16), as fingerprints show it.
inline std::string HexDigits(uint64_t h, int digits) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kDigits[h & 15];
  return out;
}

/// A nonzero 32-bit fingerprint of a send's content, for dedupe.
inline uint32_t ContentFingerprint(std::string_view content) {
  return static_cast<uint32_t>(StableHash(content)) | 1u;
}

}  // namespace tutti::runtime
