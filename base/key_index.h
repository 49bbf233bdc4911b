#pragma once
// Text keys to dense ids, where each id's key is kept by its owner (a
// customer's key in its record): open addressing with linear probing over
// a power-of-two table of 8-byte slots, each a 32-bit hash tag and an id.
// A lookup reads one slot's cache line, then compares the key only where
// the tags agree, through the owner's record, which its caller reads next
// anyway. std::unordered_map<std::string_view, ...> reads a bucket, a node
// and the key's own allocation first: at 100,000 customers and events in
// random order, each of them a cache miss.
//
// Nothing is removed. Growing re-places slots by their tags alone, without
// reading a key. Ids are below 2^32 - 1 (that one marks an empty slot).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/check.h"

namespace tutti {

class KeyIndex {
 public:
  /// The id filed under `key`; `key_of(id)` gives an id's key.
  template <typename KeyOf>
  std::optional<uint32_t> Find(std::string_view key, const KeyOf& key_of) const {
    if (slots_.empty()) return std::nullopt;
    const uint32_t tag = Tag(key);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kEmpty) return std::nullopt;
      if (s.tag == tag && std::string_view(key_of(s.id)) == key) return s.id;
    }
  }

  /// Files `id` under `key`, which must not be filed yet (Find first).
  void Add(std::string_view key, uint32_t id) {
    TUTTI_CHECK(id != kEmpty, "an id out of the index's range");
    if (2 * (size_ + 1) > slots_.size()) Grow();
    Place(Slot{Tag(key), id});
    ++size_;
  }

  size_t size() const { return size_; }
  void Reserve(size_t keys) {
    while (2 * keys > slots_.size()) Grow();
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t tag = 0;
    uint32_t id = kEmpty;
  };

  static uint32_t Tag(std::string_view key) {
    const uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  void Place(Slot slot) {
    size_t i = slot.tag & mask_;
    while (slots_[i].id != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.id != kEmpty) Place(s);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace tutti
