#pragma once
// A member of a Kafka consumer group reading one topic, committed records
// only (read_committed): the group hands each member some of the topic's
// partitions and moves them when members come and go (cooperative
// rebalancing: a member keeps the partitions that do not move).
//
// The member decides where each partition it is given is read from (its
// listener's `assigned`, called inside Poll before any record of it is
// returned: the place to fence the previous owner and restore state), and
// hears of each it loses (`revoked`, also inside Poll: after it, no record
// of that partition is returned until it is assigned again). A member
// whose partitions' state says where it is (a node's engines) resumes
// there; one without state (the actions' deliverer) resumes from the
// offsets it committed (Commit).
//
// One thread calls Poll, Seek and Close.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/cluster/kafka.h"

namespace tutti::runtime::cluster {

class GroupConsumer {
 public:
  /// What `assigned` returns to read a partition from the group's
  /// committed offset (from its beginning when none was committed).
  static constexpr int64_t kCommitted = -1000;

  struct Listener {
    /// Partition `p` is now this member's: the offset to read it from, or
    /// kCommitted.
    std::function<int64_t(int32_t p)> assigned;
    /// Partition `p` is no longer this member's.
    std::function<void(int32_t p)> revoked;
  };
  /// Joins `group` on `topic`. Where a partition is to be read from an
  /// offset the topic no longer holds (retention deleted the records
  /// before they were read), a member that `refuses_gaps` stops reading
  /// the partition and Poll says so; another starts from the partition's
  /// first record still held.
  static Result<std::unique_ptr<GroupConsumer>> Open(const KafkaSettings& settings, const std::string& group,
                                                     const std::string& topic, Listener listener,
                                                     bool refuses_gaps = false);
  /// Leaves the group (Close), unless abandoned.
  ~GroupConsumer();
  GroupConsumer(const GroupConsumer&) = delete;
  GroupConsumer& operator=(const GroupConsumer&) = delete;

  /// The next records of the partitions assigned, up to `max`, waiting up
  /// to `wait` for the first; serves the group's rebalances meanwhile.
  /// kUnavailable for an error that does not pass (the topic gone, not
  /// allowed to read it).
  Result<std::vector<Record>> Poll(size_t max, std::chrono::milliseconds wait);
  /// Makes a Poll waiting now (on another thread) return at once. Safe on
  /// any thread.
  void Wake();
  /// Reads partition `p` (assigned) from `offset` on, dropping what was
  /// fetched after it.
  Status Seek(int32_t p, int64_t offset);
  /// Commits, for each (partition, offset), that the group has done with
  /// the partition's records before the offset: the group's next member
  /// to be given the partition reads it from there (kCommitted). Waits for
  /// the coordinator's answer.
  Status Commit(const std::vector<std::pair<int32_t, int64_t>>& offsets);
  /// How many offsets of each partition of `ranges` (assigned, with
  /// where it begins and ends as an EndProbe was told) the member has yet
  /// to be given: from its position to the partition's end (transaction
  /// markers count). 0: caught up. Where it has been given nothing since
  /// it was assigned the partition or sought in it, its position is
  /// `sought`'s for the partition (where it was told to read from), or
  /// the partition's beginning. Asks the cluster nothing.
  std::map<int32_t, int64_t> Lag(const std::map<int32_t, PartitionRange>& ranges,
                                 const std::map<int32_t, int64_t>& sought);
  /// Leaves the group at once: its partitions go to the other members
  /// without waiting for the session to time out.
  void Close();
  /// Stops without leaving, as a process that died does: the group moves
  /// its partitions only once its session times out (tests).
  void Abandon();

  struct Handle;  // group.cc's (public for its rebalance callback)

 private:
  explicit GroupConsumer(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace tutti::runtime::cluster
