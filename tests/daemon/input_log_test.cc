// The input log (runtime/daemon/input_log.h) by itself: entries appended
// and replayed in order, a drop of the entries a snapshot covers, and the
// final delivery states and attempt counts that go with the outbox entries
// no snapshot holds any more (else they would pile up for ever), and a
// dead letter an operator retried.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/daemon/input_log.h"

namespace tutti::runtime {
namespace {

namespace fs = std::filesystem;

fs::path FreshLog(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tutti-input-log-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

TEST(InputLog, DropForgetsTheFinalsAndAttemptsOfActionsNoSnapshotHolds) {
  fs::path dir = FreshLog("drop");
  {
    auto log = InputLog::Open(dir.string(), {});
    ASSERT_TRUE(log.ok()) << log.status().message();
    std::vector<InputLog::Entry> batch;
    for (int i = 0; i < 10; ++i) batch.push_back({i, InputLog::Kind::kEvent, "{}"});
    std::vector<InputLog::Final> finals;
    for (uint64_t seq = 1; seq <= 8; ++seq) finals.push_back({seq, seq % 2 ? 'd' : 'x'});
    ASSERT_TRUE((*log)->Append(batch, finals).ok());
    ASSERT_TRUE((*log)->SetAttempts(9, 2).ok());
    ASSERT_TRUE((*log)->SetAttempts(10, 1).ok());
    ASSERT_TRUE((*log)->Drop(4, 6).ok());
    EXPECT_EQ((*log)->first(), 4u);
    std::map<uint64_t, char> left = (*log)->Finals();
    EXPECT_EQ(left, (std::map<uint64_t, char>{{6, 'x'}, {7, 'd'}, {8, 'x'}}));
    EXPECT_EQ((*log)->Attempts().size(), 2u);
    // A drop of no more entries still forgets older finals and attempts.
    ASSERT_TRUE((*log)->Drop(4, 10).ok());
    EXPECT_TRUE((*log)->Finals().empty());
    EXPECT_EQ((*log)->Attempts(), (std::map<uint64_t, uint32_t>{{10, 1}}));
  }
  // As the next start reads them.
  auto log = InputLog::Open(dir.string(), {});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->first(), 4u);
  EXPECT_EQ((*log)->size(), 10u);
  EXPECT_TRUE((*log)->Finals().empty());
  std::vector<int64_t> replayed;
  ASSERT_TRUE((*log)->Replay(4, [&](const InputLog::Entry& e) { replayed.push_back(e.at); }).ok());
  EXPECT_EQ(replayed, (std::vector<int64_t>{4, 5, 6, 7, 8, 9}));
  fs::remove_all(dir);
}

TEST(InputLog, ARetriedDeadLetterIsPendingAgainWithAWholeBudget) {
  fs::path dir = FreshLog("retry");
  {
    auto log = InputLog::Open(dir.string(), {});
    ASSERT_TRUE(log.ok()) << log.status().message();
    ASSERT_TRUE((*log)->SetAttempts(3, 5).ok());
    ASSERT_TRUE((*log)->Append({{1, InputLog::Kind::kEvent, "{}"}}, {{3, 'x'}}).ok());
    ASSERT_TRUE((*log)->SetRetried(3).ok());
  }
  // What the next start reads: 'r', and no attempts counted.
  auto log = InputLog::Open(dir.string(), {});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->Finals(), (std::map<uint64_t, char>{{3, 'r'}}));
  EXPECT_TRUE((*log)->Attempts().empty());
  // The retry's own outcome replaces it.
  ASSERT_TRUE((*log)->Append({}, {{3, 'd'}}).ok());
  EXPECT_EQ((*log)->Finals(), (std::map<uint64_t, char>{{3, 'd'}}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tutti::runtime
