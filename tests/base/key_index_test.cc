// KeyIndex: every key added is found with its id through growth and
// after a reserve, and keys never added (neighbours in text, the empty
// key) are not.

#include "base/key_index.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tutti {
namespace {

TEST(KeyIndex, FindsEveryKeyAddedThroughGrowth) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; ++i) keys.push_back("hcp-" + std::to_string(i));
  auto key_of = [&](uint32_t id) -> const std::string& { return keys[id]; };
  KeyIndex index;
  EXPECT_FALSE(index.Find("hcp-0", key_of));
  for (uint32_t id = 0; id < keys.size(); id += 2) index.Add(keys[id], id);
  EXPECT_EQ(index.size(), 10000u);
  for (uint32_t id = 0; id < keys.size(); ++id) {
    std::optional<uint32_t> found = index.Find(keys[id], key_of);
    if (id % 2 == 0) {
      ASSERT_TRUE(found) << keys[id];
      EXPECT_EQ(*found, id);
    } else {
      EXPECT_FALSE(found) << keys[id];
    }
  }
  EXPECT_FALSE(index.Find("", key_of));
  EXPECT_FALSE(index.Find("hcp-00", key_of));
}

TEST(KeyIndex, KeysInASmallTableProbePastEachOther) {
  // Seven keys in sixteen slots: most probe chains are shared.
  std::vector<std::string> keys = {"a", "b", "c", "d", "e", "f", "g"};
  auto key_of = [&](uint32_t id) -> const std::string& { return keys[id]; };
  KeyIndex index;
  for (uint32_t id = 0; id < keys.size(); ++id) index.Add(keys[id], id);
  for (uint32_t id = 0; id < keys.size(); ++id) EXPECT_EQ(index.Find(keys[id], key_of), id);
  EXPECT_FALSE(index.Find("h", key_of));
  index.Reserve(1000);
  for (uint32_t id = 0; id < keys.size(); ++id) EXPECT_EQ(index.Find(keys[id], key_of), id);
}

}  // namespace
}  // namespace tutti
