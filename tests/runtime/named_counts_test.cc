// NamedCounts (runtime/engine/stats.h): counted, added and read back as a
// std::map of the same names would be, and in time that does not grow with
// the square of the names when they come from outside.

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/stats.h"

namespace tutti::runtime {
namespace {

std::vector<NamedCounts::Entry> CountsList(const std::map<std::string, int64_t>& m) { return {m.begin(), m.end()}; }
std::vector<NamedCounts::Entry> CountsList(const NamedCounts& c) { return {c.begin(), c.end()}; }

TEST(NamedCounts, CountsAndAddsAsAMapOfTheSameNames) {
  std::mt19937 rng(7);
  // Few names and many, so that both the scan and the binary search count.
  for (int names : {3, 40}) {
    std::map<std::string, int64_t> want_a, want_b;
    NamedCounts a, b;
    for (int i = 0; i < 2000; ++i) {
      std::string name = "ch" + std::to_string(rng() % names);
      if (i % 3 == 0) name += "x";  // names of several lengths
      bool first = rng() % 2;
      ++(first ? want_a : want_b)[name];
      ++(first ? a : b)[name];
    }
    EXPECT_EQ(CountsList(a), CountsList(want_a));
    a += b;  // names new to `a`: merged
    for (const auto& [name, n] : want_b) want_a[name] += n;
    EXPECT_EQ(CountsList(a), CountsList(want_a));
    a += b;  // every name already in `a`: added in place
    for (const auto& [name, n] : want_b) want_a[name] += n;
    EXPECT_EQ(CountsList(a), CountsList(want_a));
    EXPECT_EQ(a.Of("ch1"), want_a["ch1"]);
    EXPECT_EQ(a.Of("none"), 0);
    a += a;
    EXPECT_EQ(a.Of("ch1"), 2 * want_a["ch1"]);
  }
}

TEST(NamedCounts, AListFromOutsideKeepsTheLastCountOfANameGivenTwice) {
  NamedCounts c = NamedCounts::FromList({{"sms", 1}, {"email", 2}, {"sms", 5}});
  EXPECT_EQ(CountsList(c), (std::vector<NamedCounts::Entry>{{"email", 2}, {"sms", 5}}));
}

TEST(NamedCounts, ManyNamesFromOutsideAreReadAndAdded) {
  // 200,000 distinct names, as a snapshot from outside may hold: one sort
  // and one merge take milliseconds. (Not timed here: one name at a time
  // into a sorted vector, about 10^10 moves, would run into ctest's
  // timeout.)
  std::vector<NamedCounts::Entry> list;
  for (int i = 200000; i > 0; --i) list.emplace_back("rule " + std::to_string(i), 1);
  NamedCounts many = NamedCounts::FromList(list);
  ASSERT_EQ(many.size(), 200000u);
  NamedCounts sum;
  sum += many;
  sum += many;
  EXPECT_EQ(sum.size(), 200000u);
  EXPECT_EQ(sum.Of("rule 77"), 2);
}

}  // namespace
}  // namespace tutti::runtime
