#pragma once
// A map from pointers to small values, for lookups on a hot path: open
// addressing with linear probing over a power-of-two table whose slots
// hold each key with its value, so that a lookup reads the slot's line
// and has the value with it, where std::unordered_map divides by a prime
// and chases a node. Keep values small (a few words): every slot, used
// or not, holds one. References to values are stable only until the next
// Add. Nothing is ever removed; null is not a key.

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
      if (s.key == key) return &s.value;
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
    if (2 * (size_ + 1) > slots_.size()) Grow();
    ++size_;
    return Place(key, std::move(value));
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    const Key* key = nullptr;
    V value{};
  };

  // Fibonacci hashing: the pointer's low bits are alignment, its high
  // bits spread by the multiplication.
  size_t Home(const Key* key) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }

  V& Place(const Key* key, V value) {
    size_t i = Home(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i].key = key;
    slots_[i].value = std::move(value);
    return slots_[i].value;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    size_t capacity = old.empty() ? 16 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    int bits = 0;
    while ((size_t{1} << bits) < capacity) ++bits;
    shift_ = 64 - bits;
    for (Slot& s : old)
      if (s.key != nullptr) Place(s.key, std::move(s.value));
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t mask_ = 0;
  int shift_ = 63;
};

}  // namespace tutti
