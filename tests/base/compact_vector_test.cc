// CompactVector: one pointer wide, vector semantics for what it offers,
// elements that own memory (strings) copied, moved and destroyed once.

#include "base/compact_vector.h"

#include <string>

#include <gtest/gtest.h>

namespace tutti {
namespace {

TEST(CompactVector, IsOnePointerWideAndEmptyHoldsNoMemory) {
  static_assert(sizeof(CompactVector<std::string>) == sizeof(void*));
  CompactVector<std::string> v;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.capacity(), 0u);
  EXPECT_EQ(v.begin(), v.end());
}

TEST(CompactVector, GrowsKeepingItsElementsInOrder) {
  CompactVector<std::string> v;
  for (int i = 0; i < 100; ++i) v.push_back(std::string(30, static_cast<char>('a' + i % 26)));
  ASSERT_EQ(v.size(), 100u);
  EXPECT_GE(v.capacity(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(v[i], std::string(30, static_cast<char>('a' + i % 26)));
  EXPECT_EQ(v.back(), std::string(30, 'v'));
}

TEST(CompactVector, EraseMovesTheLaterElementsDown) {
  CompactVector<std::string> v;
  for (const char* s : {"one", "two", "three", "four"}) v.emplace_back(s);
  v.erase(v.begin());
  v.erase(v.begin() + 1);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "two");
  EXPECT_EQ(v[1], "four");
}

TEST(CompactVector, CopiesAreIndependentAndMovesLeaveTheSourceEmpty) {
  CompactVector<std::string> a;
  a.emplace_back("prescriber");
  CompactVector<std::string> b = a;
  b[0] += "s";
  EXPECT_EQ(a[0], "prescriber");
  EXPECT_EQ(b[0], "prescribers");
  EXPECT_FALSE(a == b);
  CompactVector<std::string> c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT: moved from, as the contract says
  EXPECT_EQ(c[0], "prescribers");
  c = a;
  EXPECT_TRUE(c == a);
}

TEST(CompactVector, ResizeShrinkToFitAndClear) {
  CompactVector<std::string> v;
  v.resize(5);
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(v[4], "");
  v[0] = "kept";
  v.resize(1);
  v.shrink_to_fit();
  EXPECT_EQ(v.capacity(), 1u);
  EXPECT_EQ(v[0], "kept");
  v.clear();
  EXPECT_TRUE(v.empty());
  v.shrink_to_fit();
  EXPECT_EQ(v.capacity(), 0u);
  std::vector<std::string> from{"a", "b"};
  v.assign(from.begin(), from.end());
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1], "b");
}

}  // namespace
}  // namespace tutti
