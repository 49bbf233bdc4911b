#pragma once
// A map from pointers to values, for lookups on a hot path: open
// addressing with linear probing over a power-of-two table of keys alone,
// so that a lookup reads one cache line of keys (eight to a line) and then
// its value, where std::unordered_map divides by a prime and chases a node.
// Values live in insertion order in a vector; references to them are
// stable only until the next Add. Nothing is ever removed; null is not a
// key.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "base/check.h"

namespace tutti {

template <typename Key, typename V>
class PointerMap {
 public:
  /// The value of `key`, or null.
  const V* Find(const Key* key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &values_[s.value];
      if (s.key == nullptr) return nullptr;
    }
  }
  V* Find(const Key* key) { return const_cast<V*>(std::as_const(*this).Find(key)); }
  bool Contains(const Key* key) const { return Find(key) != nullptr; }

  /// Adds `key` with `value` and returns its value; a key already there
  /// keeps its value (returned as is).
  V& Add(const Key* key, V value) {
    TUTTI_CHECK(key != nullptr, "a null key");
    if (V* there = Find(key)) return *there;
    if (2 * (values_.size() + 1) > slots_.size()) Grow();
    Place(key, static_cast<uint32_t>(values_.size()));
    values_.push_back(std::move(value));
    return values_.back();
  }

  size_t size() const { return values_.size(); }

 private:
  struct Slot {
    const Key* key = nullptr;
    uint32_t value = 0;
  };

  // Fibonacci hashing: the pointer's low bits are alignment, its high
  // bits spread by the multiplication.
  size_t Home(const Key* key) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }

  void Place(const Key* key, uint32_t value) {
    size_t i = Home(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{key, value};
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    size_t capacity = old.empty() ? 16 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    int bits = 0;
    while ((size_t{1} << bits) < capacity) ++bits;
    shift_ = 64 - bits;
    for (const Slot& s : old)
      if (s.key != nullptr) Place(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::vector<V> values_;
  size_t mask_ = 0;
  int shift_ = 63;
};

}  // namespace tutti
