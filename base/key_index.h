#pragma once
// Text keys to ids, where each id's key is kept by its owner (a customer's
// key in its record, a task's id in the task): open addressing with linear
// probing over a power-of-two table of small slots, each a 32-bit hash tag
// and an id. A lookup reads one slot's cache line, then compares the key
// only where the tags agree, through the owner, which its caller reads
// next anyway. std::unordered_map<std::string_view, ...> reads a bucket, a
// node and the key's own allocation first: at 100,000 customers and events
// in random order, each of them a cache miss.
//
// `Id` is any small copyable handle (an index, a std::map iterator).
// Growing re-places slots by their tags alone, without reading a key;
// removing shifts the slots after the removed one back, so no tombstones
// are left to lengthen later probes.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace tutti {

template <typename Id = uint32_t>
class KeyIndex {
 public:
  /// The id filed under `key`; `key_of(id)` gives an id's key.
  template <typename KeyOf>
  std::optional<Id> Find(std::string_view key, const KeyOf& key_of) const {
    const size_t at = SlotOf(key, key_of);
    if (at == kNone) return std::nullopt;
    return slots_[at].id;
  }

  /// Files `id` under `key`, which must not be filed yet (Find first).
  void Add(std::string_view key, Id id) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    Place(Slot{Tag(key), true, id});
    ++size_;
  }

  /// Takes `key` out and gives the id it was filed with; nullopt if it was
  /// not filed. `key_of` must still give its id's key.
  template <typename KeyOf>
  std::optional<Id> Remove(std::string_view key, const KeyOf& key_of) {
    size_t hole = SlotOf(key, key_of);
    if (hole == kNone) return std::nullopt;
    const Id removed = slots_[hole].id;
    // Each slot after the hole, up to the next empty one, moves back into
    // it unless its home lies cyclically after the hole and at or before
    // where it is.
    for (size_t i = (hole + 1) & mask_; slots_[i].used; i = (i + 1) & mask_) {
      const size_t home = slots_[i].tag & mask_;
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (stays) continue;
      slots_[hole] = slots_[i];
      hole = i;
    }
    slots_[hole] = Slot{};
    --size_;
    return removed;
  }

  size_t size() const { return size_; }
  void Reserve(size_t keys) {
    while (2 * keys > slots_.size()) Grow();
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  struct Slot {
    uint32_t tag = 0;
    bool used = false;
    Id id{};
  };

  static uint32_t Tag(std::string_view key) {
    const uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  template <typename KeyOf>
  size_t SlotOf(std::string_view key, const KeyOf& key_of) const {
    if (slots_.empty()) return kNone;
    const uint32_t tag = Tag(key);
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return kNone;
      if (s.tag == tag && std::string_view(key_of(s.id)) == key) return i;
    }
  }
  void Place(Slot slot) {
    size_t i = slot.tag & mask_;
    while (slots_[i].used) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.used) Place(s);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace tutti
