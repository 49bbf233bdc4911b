// KeyIndex: every key added is found with its id through growth and
// after a reserve, keys never added (neighbours in text, the empty key)
// are not, and removing keys in any order leaves every other one found.

#include "base/key_index.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tutti {
namespace {

TEST(KeyIndex, FindsEveryKeyAddedThroughGrowth) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; ++i) keys.push_back("hcp-" + std::to_string(i));
  auto key_of = [&](uint32_t id) -> const std::string& { return keys[id]; };
  KeyIndex<> index;
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
  KeyIndex<> index;
  for (uint32_t id = 0; id < keys.size(); ++id) index.Add(keys[id], id);
  for (uint32_t id = 0; id < keys.size(); ++id) EXPECT_EQ(index.Find(keys[id], key_of), id);
  EXPECT_FALSE(index.Find("h", key_of));
  index.Reserve(1000);
  for (uint32_t id = 0; id < keys.size(); ++id) EXPECT_EQ(index.Find(keys[id], key_of), id);
}

TEST(KeyIndex, RemovingKeysLeavesEveryOtherKeyFound) {
  // Small tables share probe chains, so removals shift slots back across
  // the wrap of the table too; checked against a set after every step.
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back("task-" + std::to_string(i * 7919 % 3000));
  auto key_of = [&](uint32_t id) -> const std::string& { return keys[id]; };
  std::mt19937 random(7);
  for (size_t table : {size_t{12}, size_t{3000}}) {
    KeyIndex<> index;
    std::vector<bool> filed(keys.size(), false);
    for (int step = 0; step < 20000; ++step) {
      const uint32_t id = static_cast<uint32_t>(random() % table);
      if (filed[id]) {
        EXPECT_EQ(index.Remove(keys[id], key_of), std::optional<uint32_t>(id));
        EXPECT_EQ(index.Remove(keys[id], key_of), std::nullopt);
      } else {
        index.Add(keys[id], id);
      }
      filed[id] = !filed[id];
      if (step % 97 != 0) continue;
      size_t count = 0;
      for (uint32_t k = 0; k < table; ++k) {
        std::optional<uint32_t> found = index.Find(keys[k], key_of);
        ASSERT_EQ(found.has_value(), filed[k]) << keys[k] << " at step " << step;
        if (found) EXPECT_EQ(*found, k);
        count += filed[k];
      }
      EXPECT_EQ(index.size(), count);
    }
  }
}

}  // namespace
}  // namespace tutti
