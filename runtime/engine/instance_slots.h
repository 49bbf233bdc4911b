#pragma once
// The slots of one journey instance (the trigger, every `let` and every
// event a wait kept), 16 bytes wide: a million instances wait at once, and
// a std::vector would cost 8 more bytes each, a size kept on the heap 16
// more (the allocator rounds 8 + 40n up). Its storage is exactly as large
// as its size: every resize allocates anew, which a waiting instance does
// once when it releases its dead slots and once when it wakes.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "base/check.h"
#include "compiler/eval/value.h"

namespace tutti::runtime {

class InstanceSlots {
 public:
  using Value = compiler::eval::Value;

  InstanceSlots() = default;
  InstanceSlots(const InstanceSlots& other) : packed(other.packed) {
    Reset(other.size_);
    std::copy(other.begin(), other.end(), begin());
  }
  InstanceSlots(InstanceSlots&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), packed(other.packed) {}
  InstanceSlots& operator=(InstanceSlots other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    packed = other.packed;
    return *this;
  }
  ~InstanceSlots() { Free(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Value& operator[](size_t i) { return data_[i]; }
  const Value& operator[](size_t i) const { return data_[i]; }
  Value* begin() { return data_; }
  Value* end() { return data_ + size_; }
  const Value* begin() const { return data_; }
  const Value* end() const { return data_ + size_; }

  /// Keeps the first min(n, size()) slots; the others read null.
  void resize(size_t n) {
    if (n == size_) return;
    InstanceSlots old(std::move(*this));
    Reset(n);
    std::move(old.begin(), old.begin() + std::min<size_t>(n, old.size_), data_);
  }

  /// Holds nothing (and no memory).
  void clear() { Free(); }

 private:
  // Plain allocation, not new[], which would spend 8 more bytes on the
  // element count.
  void Reset(size_t n) {
    TUTTI_CHECK(n <= UINT32_MAX, "an instance has fewer than 2^32 slots");
    Free();
    if (n == 0) return;
    data_ = static_cast<Value*>(::operator new(n * sizeof(Value)));
    std::uninitialized_value_construct_n(data_, n);
    size_ = static_cast<uint32_t>(n);
  }

  void Free() {
    if (data_ == nullptr) return;
    std::destroy_n(data_, size_);
    ::operator delete(data_);
    data_ = nullptr;
    size_ = 0;
  }

  Value* data_ = nullptr;
  uint32_t size_ = 0;

 public:
  /// While waiting: bit i set when slot i holds, instead of a record, the
  /// value of the one field of it still to be read (Engine packs and
  /// unpacks; see Engine::ReleaseDeadSlots).
  uint32_t packed = 0;
};

}  // namespace tutti::runtime
