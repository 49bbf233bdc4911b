#pragma once
// CompactVector<T>: a vector one pointer wide, for the small arrays kept by
// each of millions of waiting instances (their slots, their choices). Its
// size and capacity live on the heap in front of the elements, and an
// empty one holds no memory at all: a null pointer. Elements are moved,
// never copied, when it grows; iterators are plain pointers, invalidated
// by any change of size or capacity, as std::vector's are on reallocation;
// unlike std::vector's, emplace_back's arguments must not refer to the
// vector's own elements.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "base/check.h"

namespace tutti {

template <typename T>
class CompactVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  CompactVector() = default;
  CompactVector(const CompactVector& other) { assign(other.begin(), other.end()); }
  CompactVector(CompactVector&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  CompactVector& operator=(const CompactVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  CompactVector& operator=(CompactVector&& other) noexcept {
    if (this != &other) {
      Free();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  ~CompactVector() { Free(); }

  size_t size() const { return block_ ? block_->size : 0; }
  size_t capacity() const { return block_ ? block_->capacity : 0; }
  bool empty() const { return size() == 0; }

  T* data() { return block_ ? Elements(block_) : nullptr; }
  const T* data() const { return block_ ? Elements(block_) : nullptr; }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& back() { return data()[size() - 1]; }
  const T& back() const { return data()[size() - 1]; }

  /// Replaces the contents with copies of [first, last).
  template <typename It>
  void assign(It first, It last) {
    clear();
    reserve(static_cast<size_t>(std::distance(first, last)));
    for (; first != last; ++first) emplace_back(*first);
  }

  void reserve(size_t n) {
    if (n > capacity()) Reallocate(n);
  }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size() == capacity()) Reallocate(std::max<size_t>(4, capacity() * 2));
    T* slot = new (data() + block_->size) T(std::forward<Args>(args)...);
    ++block_->size;
    return *slot;
  }
  void push_back(T value) { emplace_back(std::move(value)); }

  /// Removes the element at `at`, moving the later ones down.
  void erase(const T* at) {
    T* p = data() + (at - data());
    std::move(p + 1, end(), p);
    std::destroy_at(end() - 1);
    --block_->size;
  }

  /// Grows with default-constructed elements or shrinks from the end.
  void resize(size_t n) {
    if (n < size()) {
      std::destroy(data() + n, end());
      block_->size = static_cast<uint32_t>(n);
      return;
    }
    reserve(n);
    while (size() < n) emplace_back();
  }

  void clear() {
    if (block_ == nullptr) return;
    std::destroy(begin(), end());
    block_->size = 0;
  }

  /// Gives back unused capacity; an empty one gives back everything.
  void shrink_to_fit() {
    if (empty()) Free();
    else if (size() < capacity()) Reallocate(size());
  }

  friend bool operator==(const CompactVector& a, const CompactVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  struct Block {
    uint32_t size;
    uint32_t capacity;
  };
  // The elements start after the header, aligned for T.
  static constexpr size_t kHeader = std::max(sizeof(Block), alignof(T));
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "CompactVector needs no over-aligned elements");

  static T* Elements(Block* b) { return reinterpret_cast<T*>(reinterpret_cast<char*>(b) + kHeader); }
  static const T* Elements(const Block* b) {
    return reinterpret_cast<const T*>(reinterpret_cast<const char*>(b) + kHeader);
  }

  void Reallocate(size_t n) {
    TUTTI_CHECK(n <= UINT32_MAX, "a CompactVector holds fewer than 2^32 elements");
    auto* fresh = static_cast<Block*>(::operator new(kHeader + n * sizeof(T)));
    fresh->size = static_cast<uint32_t>(size());
    fresh->capacity = static_cast<uint32_t>(n);
    if (block_ != nullptr) {
      std::uninitialized_move(begin(), end(), Elements(fresh));
      Free();
    }
    block_ = fresh;
  }

  void Free() {
    if (block_ == nullptr) return;
    std::destroy(begin(), end());
    ::operator delete(block_);
    block_ = nullptr;
  }

  Block* block_ = nullptr;
};

}  // namespace tutti
