// PointerMap: every key added is found with its value through growth,
// keys never added (neighbours in memory included) are not, and adding a
// key twice keeps its first value.

#include "base/pointer_map.h"

#include <deque>
#include <string>

#include <gtest/gtest.h>

namespace tutti {
namespace {

TEST(PointerMap, FindsEveryKeyAddedThroughGrowth) {
  std::deque<int> keys(5000);  // neighbouring addresses, as AST nodes are
  PointerMap<int, std::string> map;
  EXPECT_EQ(map.Find(&keys[0]), nullptr);
  for (size_t i = 0; i < keys.size(); i += 2) map.Add(&keys[i], std::to_string(i));
  EXPECT_EQ(map.size(), 2500u);
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string* v = map.Find(&keys[i]);
    if (i % 2 == 0) {
      ASSERT_NE(v, nullptr) << i;
      EXPECT_EQ(*v, std::to_string(i));
    } else {
      EXPECT_EQ(v, nullptr) << i;
    }
  }
}

TEST(PointerMap, AddingAKeyAgainKeepsItsValue) {
  int a = 0, b = 0;
  PointerMap<int, int> map;
  map.Add(&a, 1);
  EXPECT_EQ(map.Add(&a, 2), 1);
  map.Add(&b, 3);
  *map.Find(&b) = 4;
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(*map.Find(&a), 1);
  EXPECT_EQ(*map.Find(&b), 4);
  EXPECT_TRUE(map.Contains(&b));
}

}  // namespace
}  // namespace tutti
