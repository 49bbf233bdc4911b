#pragma once
// A hash that is the same on every machine, in every run and every
// version: FNV-1a over the bytes, then splitmix64's finaliser so that
// every bit depends on every byte. What idempotency keys, split buckets
// and content fingerprints are made of; never std::hash, which may change.

#include <cstdint>
#include <string_view>

namespace tutti::runtime {

inline uint64_t StableHash(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

/// A nonzero 32-bit fingerprint of a send's content, for dedupe.
inline uint32_t ContentFingerprint(std::string_view content) {
  return static_cast<uint32_t>(StableHash(content)) | 1u;
}

}  // namespace tutti::runtime
