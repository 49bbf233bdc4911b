#pragma once
// The actions of tutti.actions, for their delivery (docs/cluster.md,
// "Delivery"): one member of the consumer group GROUP-delivery, which
// shares the actions topic's partitions among the nodes, apart from the
// group that runs the engines, so that a node delivers whatever partitions
// of actions it is given whichever inputs it runs.
//
//   auto feed = ActionFeed::Open(settings, on_revoked);
//   for (Record& r : *feed->Poll(500)) { ... feed->Done(r.partition, r.offset); }
//   feed->Commit();   // now and then: the group's offsets move past what is done
//
// At least once: a partition's committed offset moves past an action only
// once it is Done (delivered, dead-lettered, or not to deliver), so the
// member given a partition after a crash or a rebalance delivers again
// what was read but not done, with the same idempotency keys.
//
// Not thread-safe: one thread (the daemon's event loop) calls it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/status.h"
#include "runtime/cluster/group.h"
#include "runtime/cluster/partition_worker.h"

namespace tutti::runtime::cluster {

class ActionFeed {
 public:
  /// Joins the delivery group of `settings` on its actions topic.
  /// `revoked(p)`: partition p has gone to another member, which delivers
  /// again whatever of it is not Done (the caller drops what it holds of p).
  static Result<std::unique_ptr<ActionFeed>> Open(const PartitionSettings& settings,
                                                  std::function<void(int32_t p)> revoked);
  ActionFeed(const ActionFeed&) = delete;
  ActionFeed& operator=(const ActionFeed&) = delete;

  /// Up to `max` actions read since the last call, without waiting; serves
  /// the group's rebalances.
  Result<std::vector<Record>> Poll(size_t max);
  /// The action at `offset` of partition `p` needs nothing more. Ignored
  /// for a partition no longer this member's.
  void Done(int32_t p, int64_t offset);
  /// Commits where each partition's actions are done up to, where that
  /// moved since the last commit.
  Status Commit();
  /// Actions read and not done yet, over the partitions held.
  size_t open() const;
  /// The partitions of the actions topic this member holds, in order.
  std::vector<int32_t> assigned() const;
  /// Leaves the group.
  void Close() { consumer_->Close(); }

 private:
  ActionFeed() = default;
  struct Partition {
    std::set<int64_t> open;    // read, not done
    int64_t next = -1;         // after the last read
    int64_t committed = -1;    // the last offset committed
  };
  /// The offset before which every action of `part` read is done; -1
  /// when none was read.
  static int64_t DoneBefore(const Partition& part);
  std::map<int32_t, Partition> partitions_;  // assigned
  std::function<void(int32_t)> revoked_;
  std::unique_ptr<GroupConsumer> consumer_;
};

}  // namespace tutti::runtime::cluster
