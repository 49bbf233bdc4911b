#pragma once
// A node of the cluster (docs/cluster.md): one member of the consumer
// group on tutti.inputs, running one engine per partition the group gives
// it (PartitionWorker) on its own thread, and the entrance through which
// the API's inputs and clock moves reach the partitions.
//
//   auto node = Node::Start(settings, "node-a", set);   // joins the group
//   (*node)->Ingest(ndjson, Accept::kEvents);           // acknowledged by Kafka
//   (*node)->MoveClock(t);                              // virtual clock: every partition
//   (*node)->Stop();                                    // leaves the group
//
// Inputs are written, not applied: whichever node owns an input's
// partition applies it. A profile, and an event some journey fans out over
// an audience or routes to another customer (ReachesOthers), is copied to
// every partition; a batch's records are written in one transaction, all
// or none. Programs whose journeys reach past their own customers in
// other ways (WhyOneShard) cannot run on a cluster and are refused.
//
// Ingest, MoveClock, counts(), OwnerOf and Read are safe on any thread.
//
// Reads: each node announces in the control topic which partitions it
// runs and where its API is (Advertise); any node can then tell who owns
// a customer's partition (OwnerOf) and send the read there, as Kafka
// Streams' interactive queries do. The owner runs it on its own thread,
// between batches (Read).

#include <atomic>
#include <functional>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <map>
#include <tuple>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/cluster/group.h"
#include "runtime/cluster/partition_worker.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/cluster/transaction.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "runtime/records/ingest_result.h"

namespace tutti::runtime::cluster {

/// A node's work so far, over the partitions it owns and owned.
struct NodeCounts {
  std::vector<int32_t> partitions;  // owned now
  PartitionWork total;            // of every partition since it was taken over, this node's
  uint64_t takeovers = 0;           // partitions taken over (restored) by this node
  uint64_t rebalances = 0;          // partitions lost to the group
  double last_takeover_seconds = 0;  // the last takeover: fencing, reading the tail, the replay
  uint64_t snapshots_restored = 0;   // takeovers that started from a snapshot
  double last_restore_seconds = 0;   // reading and restoring the last of those snapshots
  std::string trouble;               // the last failure, if any (no personal data)
  uint64_t reads_late = 0;  // reads answered as not here, the node's thread busy longer than read_wait
};

class Node : private Versions {
 public:
  /// Builds a version of the journeys read from the control topic (its
  /// files as (path, text)), compiled as the node runs them.
  using Builder =
      std::function<Result<std::unique_ptr<JourneySet>>(const std::vector<std::pair<std::string, std::string>>&)>;
  /// Joins the group of `settings` as `name` (unique among the nodes: it
  /// names the node's ingest producer). The cluster runs the versions its
  /// control topic holds; on an empty one, `set` is published as the
  /// first. Refuses a program that cannot be split by customer, and
  /// topics that do not exist or whose partition counts differ where they
  /// must agree. `set` must outlive the node.
  static Result<std::unique_ptr<Node>> Start(const PartitionSettings& settings, const std::string& name,
                                             const JourneySet& set, Builder build);
  /// Stop.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Writes the good lines of `body` to tutti.inputs (as POST /v1/events
  /// or /v1/profiles takes them): acknowledged once Kafka has them all.
  IngestResult Ingest(std::string_view body, Accept accept);
  /// Moves every partition's clock to `to` (the virtual clock's POST
  /// /v1/clock): a clock record to each, in one transaction.
  Status MoveClock(Instant to);
  /// Pauses (or resumes) journey `journey` in every partition (POST
  /// /v1/journeys/{name}/pause): a pause record to each, in one
  /// transaction, taken at its place in each partition's stream. NotFound
  /// when the latest version has no such journey.
  Status Pause(const std::string& journey, bool paused);
  /// The records at `offsets` of partition `p` of the inputs topic (an
  /// action's explanation shows the inputs that caused it), each read
  /// within 5 s on the node's lookup thread, never on the caller's; NotFound
  /// for one the topic does not hold (any more). `done` gets them on that
  /// thread, or at once, all refused, when 100 lookups wait already or
  /// the node stops reading (StopReads: no answer comes after it).
  using InputsRead = std::function<void(std::vector<Result<Record>> inputs)>;
  void InputsAt(int32_t p, std::vector<int64_t> offsets, InputsRead done);
  /// The journeys of the latest version published.
  std::vector<const compiler::ir::Journey*> LatestJourneys() const;
  /// Writes `action` (a value ActionValueAgain made, with its key and
  /// partition) to the actions topic again, for its deliverer to deliver
  /// anew: a dead letter retried.
  Status SendAgain(Record action);
  /// Publishes a new version of the journeys (a reload on any node): to
  /// the control topic, with a version record to every partition, in one
  /// transaction, so that each partition takes it over at one point of
  /// its stream, the same in every replay. kConflict when its records are
  /// laid out otherwise than the latest version's; kInvalid when it
  /// cannot be split by customer.
  /// `version_not_raised` (when given): the journeys that changed but kept
  /// the latest version's number (VersionNotRaised). `published` (when
  /// given) is called with the set once it is published, before this node
  /// takes it on (to start its compile); never for a version refused or
  /// already the latest.
  Status Publish(std::unique_ptr<JourneySet> set, std::vector<std::string>* version_not_raised = nullptr,
                 const std::function<void(JourneySet&)>& published = nullptr);
  /// The fingerprint of the latest version published (what Ingest decodes
  /// with), and of the first (what partitions start on).
  std::string latest_version() const;
  std::string first_version() const;

  NodeCounts counts() const;
  int32_t partitions() const { return partitions_; }
  const std::string& name() const { return name_; }

  /// Where this node serves its API ("host:port" the other nodes can
  /// reach): from now on the node announces its partitions with it, and
  /// again whenever the group moves them.
  void Advertise(const std::string& api);
  /// The partitions of the actions topic this node delivers now (its
  /// delivery group's share, in order): announced with its own partitions,
  /// so that the reads of actions ask it even when it runs none.
  void Delivers(std::vector<int32_t> partitions);
  /// Who runs partition `p`, as the newest announcement in the control
  /// topic says (read when it has more, checked every 100 ms): nullopt
  /// when none does.
  std::optional<Member> OwnerOf(int32_t p) const;
  /// Every node that runs partitions now, each with the partitions the
  /// newest announcements give it; empty when some partition has no
  /// owner announced (the group is giving them out).
  std::vector<Member> Owners() const;
  /// The owners, and every other node that delivers actions now (with no
  /// partitions): the nodes that hold actions. Empty as Owners() is.
  std::vector<Member> Holders() const;
  /// Version `version_id` of journey `name` (VersionId), among the
  /// versions the cluster published that this node knows; null if none.
  const compiler::ir::Journey* FindJourney(const std::string& name, const std::string& version_id) const;
  /// Runs `read` on the node's thread between two batches, with partition
  /// `p`'s engine once it has applied everything written to it (as of the
  /// last check) and before anything else is applied; with null and why
  /// not when this node does not run `p`, or is still replaying it, or
  /// when the node's thread has not come to it within the settings'
  /// `read_wait` (it is in a long Kafka call: a commit, a takeover); then
  /// on another thread. The engine is not to be kept past the call.
  using PartitionRead = std::function<void(const Engine* engine, const std::string& why_not)>;
  void Read(int32_t p, PartitionRead read);
  /// The same with every partition this node runs and has caught up
  /// with, by partition (for reads that add the partitions' parts up);
  /// with none when the node's thread has not come to it in time.
  using PartitionsRead = std::function<void(const std::map<int32_t, const Engine*>& engines)>;
  void ReadAll(PartitionsRead read);
  /// Answers the reads waiting (with null: not here) and every later one
  /// at once, on the caller's thread: after this, no read's answer comes
  /// from the node's threads (the server calls it before its loop goes).
  void StopReads();
  /// At most this many reads wait for the node's thread; more are
  /// answered at once as not here.
  static constexpr size_t kMaxWaitingReads = 1000;
  /// Whether every partition this node owns has applied every input
  /// written to it (tests, metrics): true when it owns none.
  /// As of the node's last check of its positions against the
  /// partitions' ends (every 100 ms); end_checks() counts the checks, so
  /// that a caller who wrote something can wait for one made after it.
  bool CaughtUp() const { return caught_up_; }
  uint64_t end_checks() const { return end_checks_; }
  /// The offsets of its partitions the node has yet to read, summed, as of
  /// the last check; and by partition.
  int64_t lag() const { return lag_; }
  std::map<int32_t, int64_t> lag_by_partition() const;
  /// Whether a partition taken over is being replayed (not caught up yet
  /// since its takeover): /readyz says not ready meanwhile.
  bool Restoring() const { return restoring_; }

  /// Leaves the group: the node's partitions go to the others now.
  void Stop();
  /// Stops as a process that died does, without leaving (tests): the
  /// group moves its partitions once its session times out.
  void Abandon();

 private:
  Node() = default;
  void Run();
  /// The consumer's listener: a partition given, or taken away.
  int64_t Assigned(int32_t p);
  /// Opens partition `p`'s worker (fencing, the actions' tail, the newest
  /// snapshot): the offset to read it from.
  Result<int64_t> Take(int32_t p);
  void Revoked(int32_t p);
  /// Applies `batch` (records of one partition) to its worker; reopens
  /// the partition when the worker fails.
  void ApplyTo(int32_t p, const std::vector<const Record*>& batch);
  /// The system clock's ticks: a clock record to each owned partition
  /// whose engine has a timer due.
  void Tick();
  /// `records`, to the inputs topic (or `topic`), in one transaction.
  Status Write(std::vector<Record>& records, const std::string& topic = "");
  // Versions (what the partitions meet), from the control topic.
  const JourneySet& First() override;
  const JourneySet* Find(const std::string& fingerprint) override;
  /// Reads the control topic on: until `want` is known (up to 30 s), or
  /// (`want` empty) to its end (`end` when known, else as the cluster
  /// says now). Under versions_mu_.
  void ReadControl(const std::string& want, std::optional<int64_t> end = std::nullopt);
  /// Takes a version read from the control topic or published. Under versions_mu_.
  void Known(const JourneySet* set, std::unique_ptr<JourneySet> owned);
  void Trouble(const Status& s);
  /// Writes who runs what to the control topic when it changed since the
  /// last announcement (and an API is advertised).
  void Announce();
  /// Runs the reads asked for meanwhile.
  void RunReads();
  /// The end checks' thread: asks, every kEndCheck, where the owned
  /// partitions and the control topic end, on a client of its own (an
  /// EndProbe), and leaves the answer for the node's thread; asks again
  /// once that thread took it. The node's thread never waits for it.
  void ProbeEnds();
  /// The node's thread: takes the probe's answer, if one came, and tells
  /// the probe which partitions to ask about next; and says it has used
  /// it (counted the check), after which the probe asks again.
  struct Ends {
    Result<std::map<int32_t, PartitionRange>> inputs = std::map<int32_t, PartitionRange>{};
    std::optional<int64_t> control;  // where the control topic ends, if it said
  };
  std::optional<Ends> TakeEnds(std::vector<int32_t> owned);
  void DoneWithEnds();
  /// Applies an answer: lag, caught up, replays done.
  void CheckEnds(const Ends& ends);
  /// The watch thread's loop: answers reads that waited for the node's
  /// thread longer than `read_wait`, as not here. And its end (waits for
  /// answers under way).
  void WatchReads();
  void StopWatchingReads();

  PartitionSettings settings_;
  std::string name_;
  int32_t partitions_ = 0;
  Builder build_;

  mutable std::mutex versions_mu_;
  std::map<std::string, const JourneySet*> versions_;  // by fingerprint
  std::vector<std::unique_ptr<JourneySet>> owned_;     // built from the control topic, or published here
  std::string first_, latest_;                        // fingerprints
  std::vector<std::string> copied_;  // event types some version fans out or routes: copied to every partition
  std::unique_ptr<Reader> control_;
  std::unique_ptr<EndProbe> probe_;
  std::thread probe_thread_;
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  bool probe_stop_ = false;            // under probe_mu_
  std::vector<int32_t> probe_ask_;     // under probe_mu_: the partitions owned, as the node's thread last said
  std::optional<Ends> probe_answer_;   // under probe_mu_: not used yet
  bool probe_in_use_ = false;          // under probe_mu_: taken, not used yet
  std::unique_ptr<GroupConsumer> consumer_;
  std::map<int32_t, std::unique_ptr<PartitionWorker>> workers_;  // the consumer thread's
  std::set<int32_t> assigned_;  // what the group gives this node now (a worker may have failed to open)
  std::map<int32_t, std::chrono::steady_clock::time_point> replaying_;  // taken over, until caught up
  std::map<int32_t, int64_t> replay_targets_;  // where each of those ended when first checked
  std::thread thread_;
  std::atomic<bool> stop_{false}, abandon_{false}, caught_up_{false}, restoring_{false};
  std::atomic<uint64_t> end_checks_{0};
  std::atomic<int64_t> lag_{0};
  std::map<int32_t, int64_t> lag_by_partition_;  // under counts_mu_

  std::mutex ingest_mu_;  // one ingest transaction at a time
  std::unique_ptr<PartitionProducer> ingest_;

  mutable std::mutex journeys_mu_;
  std::map<std::pair<std::string, std::string>, const compiler::ir::Journey*> journeys_;  // by name and VersionId
  std::vector<const compiler::ir::Journey*> latest_journeys_;  // under journeys_mu_
  /// InputsAt's: one record read, on the lookup thread; and the thread's loop.
  Result<Record> InputAt(int32_t p, int64_t offset) const;
  void RunLookups();
  void StopLookups();
  std::mutex lookups_mu_;
  std::condition_variable lookups_cv_;
  bool lookups_closed_ = false;  // under lookups_mu_
  std::deque<std::tuple<int32_t, std::vector<int64_t>, InputsRead>> lookups_;  // under lookups_mu_
  std::thread lookup_thread_;  // started with the first lookup
  mutable std::mutex members_mu_;
  std::string api_;                    // advertised; under members_mu_
  /// Owners(), with the nodes that only deliver when `deliverers`.
  std::vector<Member> Members(bool deliverers) const;
  std::map<int32_t, Member> owners_;   // by partition, from the control topic; under members_mu_
  std::map<int32_t, Member> deliverers_;  // by partition of the actions topic, likewise
  std::vector<int32_t> deliveries_;    // this node's (Delivers); under members_mu_
  std::vector<int32_t> announced_deliveries_;  // the consumer thread's, as announced
  std::set<int32_t> announced_;        // the consumer thread's: what it last announced
  std::string announced_api_;          // ... and with which address
  std::chrono::steady_clock::time_point announced_at_;  // ... and when
  struct WaitingRead {
    int32_t partition = -1;  // -1: of every partition
    PartitionRead read;       // of one partition
    PartitionsRead read_all;  // of every partition
    std::chrono::steady_clock::time_point asked;
  };
  /// Answers `r` as not here, on the caller's thread.
  void Refuse(WaitingRead& r, const std::string& why);
  std::mutex reads_mu_;
  bool reads_closed_ = false;  // under reads_mu_: StopReads, or the node stopped
  std::mutex reads_running_mu_;  // held by the node's thread while it runs reads
  std::vector<WaitingRead> reads_;  // asked for, not run yet; under reads_mu_
  std::condition_variable watch_cv_;  // with reads_mu_
  bool watch_stop_ = false;           // under reads_mu_
  std::thread watch_thread_;
  std::atomic<uint64_t> reads_late_{0};

  mutable std::mutex counts_mu_;
  NodeCounts counts_;
  PartitionWork gone_;  // of workers closed
  std::map<int32_t, PartitionWork> live_;
};

}  // namespace tutti::runtime::cluster
