// InstanceSlots: 16 bytes, storage exactly its size, values kept across a
// resize, and what the instance's layout promises (64 bytes).

#include "runtime/engine/instance_slots.h"

#include <gtest/gtest.h>

#include "runtime/engine/state.h"

namespace tutti::runtime {
namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;

TEST(InstanceSlots, IsSixteenBytesAndAnInstanceSixtyFour) {
  static_assert(sizeof(InstanceSlots) == 16);
  EXPECT_EQ(sizeof(JourneyInstance), 64u);
}

TEST(InstanceSlots, ResizeKeepsTheFirstSlotsAndTheNewOnesReadNull) {
  InstanceSlots s;
  EXPECT_TRUE(s.empty());
  s.resize(3);
  s[0] = Value(int64_t{7});
  s[2] = Value(std::string("GLIDIM"));
  s.packed = 0b100;
  s.resize(1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].AsInt(), 7);
  EXPECT_EQ(s.packed, 0b100u);  // the caller's to keep right
  s.resize(4);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].AsInt(), 7);
  for (size_t i = 1; i < 4; ++i) EXPECT_TRUE(s[i].is(ValueKind::kNull));
}

TEST(InstanceSlots, CopiesAndMovesCarryTheValuesAndThePackedBits) {
  InstanceSlots a;
  a.resize(2);
  a[1] = Value(std::string("h1"));
  a.packed = 0b10;
  InstanceSlots b = a;
  EXPECT_EQ(b[1].AsString(), "h1");
  EXPECT_EQ(b.packed, 0b10u);
  InstanceSlots c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT: moved from
  EXPECT_EQ(c[1].AsString(), "h1");
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(a.size(), 2u);
}

}  // namespace
}  // namespace tutti::runtime
