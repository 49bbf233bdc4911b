#include "runtime/cluster/node.h"

#include <algorithm>

#include "runtime/cluster/topic_records.h"
#include "runtime/engine/partition.h"

namespace tutti::runtime::cluster {

namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How many records one poll hands over, at most, and how long it waits.
constexpr size_t kPollMax = 2000;
constexpr auto kPollWait = 100ms;
// How often a node asks whether its partitions are caught up, and whether
// the control topic has more (versions published elsewhere, announcements).
constexpr auto kEndCheck = 100ms;
// A node announces what it runs at least this often (Announce).
constexpr auto kAnnounceAgain = std::chrono::minutes(10);
// A partition that could not be opened is tried again after this long.
constexpr auto kReopenPause = 1s;

Instant WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Add(PartitionWork& to, const PartitionWork& c) {
  to.versions_taken += c.versions_taken;
  to.versions_refused += c.versions_refused;
  to.snapshots += c.snapshots;
  to.snapshot_failures += c.snapshot_failures;
  to.applied += c.applied;
  to.actions_written += c.actions_written;
  to.actions_skipped += c.actions_skipped;
  to.dead_letters += c.dead_letters;
  to.forwarded += c.forwarded;
  to.copies_skipped += c.copies_skipped;
  to.transactions += c.transactions;
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Start(const PartitionSettings& settings, const std::string& name,
                                          const JourneySet& set, Builder build) {
  if (auto why = WhyOneShard(set.ir()))
    return Status::Invalid("these journeys cannot run on a cluster, whose partitions split the customers: " + *why);
  const Topics& t = settings.topics;
  TUTTI_ASSIGN_OR_RETURN(auto counts, PartitionCounts(settings.kafka, {t.inputs, t.actions, t.dead_letters, t.snapshots},
                                                      settings.timeout));
  if (counts[t.actions] != counts[t.inputs])
    return Status::Invalid("kafka: " + t.actions + " has " + std::to_string(counts[t.actions]) + " partitions and " +
                           t.inputs + " " + std::to_string(counts[t.inputs]) +
                           ": they must have as many (docs/cluster.md: Topics)");
  std::unique_ptr<Node> node(new Node());
  node->settings_ = settings;
  node->settings_.snapshot_partitions = counts[t.snapshots];
  node->name_ = name;
  node->partitions_ = counts[t.inputs];
  node->build_ = std::move(build);
  TUTTI_ASSIGN_OR_RETURN(node->ingest_,
                         PartitionProducer::Open(settings.kafka, settings.group + "-ingest-" + name, settings.timeout));
  // The versions the cluster runs; on a new cluster, this one is the first.
  TUTTI_ASSIGN_OR_RETURN(node->control_, Reader::Open(settings.kafka, t.control, 0, 0));
  {
    std::lock_guard lock(node->versions_mu_);
    node->versions_[set.Fingerprint()] = &set;
    {
      std::lock_guard journeys(node->journeys_mu_);
      for (const auto& j : set.ir().journeys) node->journeys_.try_emplace({j.name, VersionId(j)}, &j);
    }
    node->ReadControl("");
    if (node->first_.empty()) {
      Version first{set.Fingerprint(), set.Sources()};
      std::lock_guard ingest(node->ingest_mu_);
      TUTTI_TRY(node->ingest_->Begin());
      TUTTI_TRY(node->ingest_->Add(t.control, {"", VersionValue(first), 0}));
      TUTTI_TRY(node->ingest_->Commit(settings.timeout));
      node->ReadControl("");  // in the topic's order: another node's may have come first
      if (node->first_.empty()) return Status::Unavailable("kafka: the first version published cannot be read back from " + t.control);
    }
  }
  Node* self = node.get();
  TUTTI_ASSIGN_OR_RETURN(node->consumer_,
                         GroupConsumer::Open(settings.kafka, settings.group, t.inputs,
                                             {[self](int32_t p) { return self->Assigned(p); },
                                              [self](int32_t p) { self->Revoked(p); }},
                                             /*refuses_gaps=*/true));  // a partition's inputs are its state
  TUTTI_ASSIGN_OR_RETURN(node->probe_, EndProbe::Open(settings.kafka));
  node->probe_thread_ = std::thread([self] { self->ProbeEnds(); });
  node->thread_ = std::thread([self] { self->Run(); });
  node->watch_thread_ = std::thread([self] { self->WatchReads(); });
  return node;
}

Node::~Node() { Stop(); }


void Node::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(probe_mu_);
    probe_stop_ = true;
  }
  probe_cv_.notify_all();
  if (probe_thread_.joinable()) probe_thread_.join();
  StopWatchingReads();
  StopLookups();
}

void Node::Abandon() {
  abandon_ = true;
  Stop();
}

void Node::Trouble(const Status& s) {
  std::lock_guard lock(counts_mu_);
  counts_.trouble = s.message();
}

std::map<int32_t, int64_t> Node::lag_by_partition() const {
  std::lock_guard lock(counts_mu_);
  return lag_by_partition_;
}

NodeCounts Node::counts() const {
  std::lock_guard lock(counts_mu_);
  NodeCounts c = counts_;
  c.reads_late = reads_late_;
  c.total = gone_;
  for (const auto& [p, live] : live_) Add(c.total, live);
  return c;
}


Result<int64_t> Node::Take(int32_t p) {
  TUTTI_ASSIGN_OR_RETURN(auto worker, PartitionWorker::Open(settings_, *this, p, partitions_));
  int64_t from = worker->start_offset();
  std::lock_guard lock(counts_mu_);
  if (std::find(counts_.partitions.begin(), counts_.partitions.end(), p) == counts_.partitions.end()) {
    counts_.partitions.push_back(p);
    std::sort(counts_.partitions.begin(), counts_.partitions.end());
  }
  ++counts_.takeovers;
  if (worker->counts().restored_offset >= 0) {
    ++counts_.snapshots_restored;
    counts_.last_restore_seconds = worker->counts().restore_seconds;
  }
  workers_[p] = std::move(worker);
  return from;
}

int64_t Node::Assigned(int32_t p) {
  assigned_.insert(p);
  replaying_[p] = SteadyClock::now();
  replay_targets_.erase(p);
  caught_up_ = false;
  restoring_ = true;
  auto from = Take(p);
  if (from.ok()) return *from;
  // Assigned all the same (the group gave it): opened again before its
  // first record is applied.
  Trouble(from.status());
  return 0;
}

void Node::Revoked(int32_t p) {
  assigned_.erase(p);
  replaying_.erase(p);
  replay_targets_.erase(p);
  if (replaying_.empty()) restoring_ = false;
  auto it = workers_.find(p);
  std::lock_guard lock(counts_mu_);
  std::erase(counts_.partitions, p);
  ++counts_.rebalances;
  if (it == workers_.end()) return;
  Add(gone_, it->second->counts());
  live_.erase(p);
  workers_.erase(it);
}

void Node::ApplyTo(int32_t p, const std::vector<const Record*>& batch) {
  // Records polled before the partition was revoked in the same poll are
  // the new owner's to apply: opening it again here would fence it.
  if (!assigned_.count(p)) return;
  auto it = workers_.find(p);
  if (it == workers_.end()) {
    // Assigned, but its opening failed (or its worker failed): again, and
    // read from where it says; not read from until it has caught up.
    if (replaying_.try_emplace(p, SteadyClock::now()).second) replay_targets_.erase(p);
    restoring_ = true;
    auto from = Take(p);
    if (!from.ok()) {
      Trouble(from.status());
      std::this_thread::sleep_for(kReopenPause);
    }
    if (Status s = consumer_->Seek(p, from.ok() ? *from : 0); !s.ok()) Trouble(s);
    return;  // the records polled are read again from the seek
  }
  PartitionWorker& w = *it->second;
  Status applied = w.Apply(batch);
  {
    std::lock_guard lock(counts_mu_);
    live_[p] = w.counts();
  }
  if (applied.ok()) return;
  // Fenced (another node has it: the group's next rebalance says so) or a
  // write that failed: the engine is past what was written. Open the
  // partition again, which replays it and skips what was written.
  Trouble(applied);
  {
    std::lock_guard lock(counts_mu_);
    Add(gone_, w.counts());
    live_.erase(p);
  }
  workers_.erase(it);
  if (Status s = consumer_->Seek(p, 0); !s.ok()) Trouble(s);
  std::this_thread::sleep_for(kReopenPause);
}

void Node::Run() {
  std::map<int32_t, Instant> ticked;  // the clock record last written to each partition
  // Partitions that applied something besides clock records since their
  // last clock record: their sends wait for the next one to settle.
  std::set<int32_t> unsettled;
  while (!stop_) {
    auto polled = consumer_->Poll(kPollMax, kPollWait);
    if (!polled.ok()) {
      Trouble(polled.status());
      RunReads();  // answered from what the partitions hold, whatever the poll met
      std::this_thread::sleep_for(200ms);
      continue;
    }
    // Records of one partition keep their order; partitions are applied
    // one after the other.
    std::map<int32_t, std::vector<const Record*>> by_partition;
    for (const Record& r : *polled) by_partition[r.partition].push_back(&r);
    const std::string clock_prefix = ClockValue(0).substr(0, 17);  // {"tutti":"clock",
    for (auto& [p, batch] : by_partition) {
      ApplyTo(p, batch);
      if (std::any_of(batch.begin(), batch.end(), [&](const Record* r) { return r->value.rfind(clock_prefix, 0) != 0; }))
        unsettled.insert(p);
    }
    if (!settings_.virtual_clock) {
      // The system clock: each partition that applied something since its
      // last clock record, or has a timer due, gets one (at most every
      // `tick`) so that its sends settle and its timers fire, in its own
      // stream, where a replay meets them too.
      Instant now = WallNow();
      std::vector<Record> ticks;
      for (auto& [p, w] : workers_) {
        auto due = w->engine().NextDue();
        bool busy = unsettled.count(p) > 0 || (due && *due <= now);
        if (busy && now - ticked[p] >= settings_.tick.count() * kNanosPerMilli) {
          ticks.push_back({"", ClockValue(now), p});
          ticked[p] = now;
        }
      }
      if (!ticks.empty()) {
        Status written = Write(ticks);
        if (!written.ok()) Trouble(written);
        for (const Record& t : ticks)
          if (written.ok()) unsettled.erase(t.partition);
      }
    }
    Announce();
    RunReads();
    std::vector<int32_t> owned;
    for (const auto& [p, w] : workers_) owned.push_back(p);
    if (std::optional<Ends> ends = TakeEnds(std::move(owned))) {
      // Versions another node published: what Ingest decodes with.
      if (ends->control && *ends->control > control_->Position()) {
        std::lock_guard lock(versions_mu_);
        ReadControl("", *ends->control);
      }
      CheckEnds(*ends);
      DoneWithEnds();
    }
  }
  {
    std::lock_guard lock(reads_mu_);
    reads_closed_ = true;  // the consumer goes: nothing to wake any more
  }
  if (abandon_) {
    consumer_->Abandon();
  } else {
    consumer_->Close();
    {
      std::lock_guard lock(members_mu_);
      deliveries_.clear();  // leaving: the delivery group gives them out again too
    }
    Announce();  // none: the partitions' next owners announce theirs
  }
  workers_.clear();
  RunReads();  // whatever was asked meanwhile: not here any more
}

std::optional<Node::Ends> Node::TakeEnds(std::vector<int32_t> owned) {
  std::lock_guard lock(probe_mu_);
  probe_ask_ = std::move(owned);
  if (!probe_answer_ || probe_in_use_) return std::nullopt;
  probe_in_use_ = true;  // the probe asks again once it is used (DoneWithEnds)
  return std::move(probe_answer_);
}

void Node::DoneWithEnds() {
  {
    std::lock_guard lock(probe_mu_);
    probe_answer_.reset();
    probe_in_use_ = false;
  }
  probe_cv_.notify_all();
}

void Node::ProbeEnds() {
  std::unique_lock lock(probe_mu_);
  auto asked = SteadyClock::now() - kEndCheck;
  while (!probe_stop_) {
    // Every kEndCheck at most, and once the last answer was used: each
    // check the node counts (end_checks) comes from a question asked
    // after the check before it was counted.
    probe_cv_.wait_until(lock, asked + kEndCheck, [this] { return probe_stop_; });
    probe_cv_.wait(lock, [this] { return probe_stop_ || !probe_answer_; });
    if (probe_stop_) return;
    std::vector<int32_t> ask = probe_ask_;
    asked = SteadyClock::now();
    lock.unlock();
    // Both questions within 5 s: Stop waits for them.
    auto deadline = asked + 5s;
    auto left = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()); };
    Ends ends;
    ends.inputs = probe_->Ranges(settings_.topics.inputs, ask, left());
    if (auto control = probe_->Ranges(settings_.topics.control, {0}, left()); control.ok())
      ends.control = control->at(0).high;
    lock.lock();
    probe_answer_ = std::move(ends);
  }
}

void Node::CheckEnds(const Ends& ends) {
  std::vector<int32_t> owned;
  std::map<int32_t, int64_t> applied_to;  // each worker's next offset: where it had the consumer seek
  for (const auto& [p, w] : workers_) {
    owned.push_back(p);
    applied_to[p] = w->next_offset();
  }
  std::map<int32_t, int64_t> lag;
  bool answered = ends.inputs.ok();
  if (answered) {
    std::map<int32_t, PartitionRange> ranges;
    for (int32_t p : owned) {
      auto it = ends.inputs->find(p);
      if (it == ends.inputs->end()) answered = false;  // asked before the node had it
      else ranges[p] = it->second;
    }
    lag = consumer_->Lag(ranges, applied_to);
    answered = answered && lag.size() == owned.size();
  }
  int64_t total = 0;
  for (const auto& [p, n] : lag) total += n;
  if (answered) {
    lag_ = total;
    std::lock_guard lock(counts_mu_);
    lag_by_partition_ = lag;
  }
  bool caught_up = answered && total == 0 && owned.size() == counts().partitions.size();
  // A partition taken over has caught up once it has read as far as its
  // end was when first checked: under steady ingestion its lag may never
  // be 0.
  for (auto it = replaying_.begin(); it != replaying_.end();) {
    int32_t p = it->first;
    if (!lag.count(p)) {
      ++it;
      continue;
    }
    int64_t end = ends.inputs->at(p).high;
    int64_t target = replay_targets_.try_emplace(p, end).first->second;
    if (end - lag.at(p) < target) {
      ++it;
      continue;
    }
    {
      std::lock_guard lock(counts_mu_);
      counts_.last_takeover_seconds = std::chrono::duration<double>(SteadyClock::now() - it->second).count();
    }
    replay_targets_.erase(p);
    it = replaying_.erase(it);
  }
  if (replaying_.empty()) restoring_ = false;
  caught_up_ = caught_up;
  ++end_checks_;
}

void Node::Advertise(const std::string& api) {
  std::lock_guard lock(members_mu_);
  api_ = api;
}

void Node::Delivers(std::vector<int32_t> partitions) {
  std::lock_guard lock(members_mu_);
  deliveries_ = std::move(partitions);
}

std::optional<Member> Node::OwnerOf(int32_t p) const {
  std::lock_guard lock(members_mu_);
  auto it = owners_.find(p);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

std::vector<Member> Node::Owners() const { return Members(false); }

std::vector<Member> Node::Holders() const { return Members(true); }

std::vector<Member> Node::Members(bool deliverers) const {
  std::lock_guard lock(members_mu_);
  if (static_cast<int32_t>(owners_.size()) != partitions_) return {};
  std::map<std::string, Member> by_node;
  for (const auto& [p, m] : owners_) {
    Member& member = by_node[m.node];
    member.node = m.node;
    member.api = m.api;
    member.partitions.push_back(p);
  }
  if (deliverers) {
    for (const auto& [p, m] : deliverers_) {
      Member& member = by_node[m.node];
      if (member.node.empty()) member = Member{m.node, m.api, {}, {}};
      member.deliveries.push_back(p);
    }
  }
  std::vector<Member> out;
  for (auto& [name, m] : by_node) out.push_back(std::move(m));
  return out;
}

void Node::Announce() {
  std::string api;
  std::vector<int32_t> deliveries;
  {
    std::lock_guard lock(members_mu_);
    api = api_;
    deliveries = deliveries_;
  }
  // Again now and then though nothing moved: the control topic's
  // retention must not lose who runs what.
  bool fresh = SteadyClock::now() - announced_at_ < kAnnounceAgain;
  if (api.empty() ||
      (assigned_ == announced_ && deliveries == announced_deliveries_ && api == announced_api_ && fresh))
    return;
  Member me{name_, api, std::vector<int32_t>(assigned_.begin(), assigned_.end()), deliveries};
  std::lock_guard ingest(ingest_mu_);
  Status written = ingest_->Begin();
  if (written.ok()) written = ingest_->Add(settings_.topics.control, {name_, MemberValue(me), 0});
  if (written.ok()) written = ingest_->Commit(settings_.timeout);
  else (void)ingest_->Abort(settings_.timeout);
  if (!written.ok()) return Trouble(written.With("announcing this node's partitions"));  // again after the next poll
  announced_ = assigned_;
  announced_deliveries_ = std::move(deliveries);
  announced_api_ = api;
  announced_at_ = SteadyClock::now();
}

void Node::Read(int32_t p, PartitionRead read) {
  if (p < 0 || p >= partitions_) return read(nullptr, "there is no partition " + std::to_string(p));
  {
    std::lock_guard lock(reads_mu_);
    if (!reads_closed_ && reads_.size() < kMaxWaitingReads) {
      reads_.push_back({p, std::move(read), nullptr, SteadyClock::now()});
      consumer_->Wake();  // answered after the batch in hand, not the next poll's wait
      return;
    }
  }
  read(nullptr, "node " + name_ + " is stopping, or has too many reads waiting");
}

void Node::ReadAll(PartitionsRead read) {
  {
    std::lock_guard lock(reads_mu_);
    if (!reads_closed_ && reads_.size() < kMaxWaitingReads) {
      reads_.push_back({-1, nullptr, std::move(read), SteadyClock::now()});
      consumer_->Wake();
      return;
    }
  }
  read({});  // covers no partition: the gathering node says to try again
}

void Node::Refuse(WaitingRead& r, const std::string& why) {
  if (r.read) r.read(nullptr, why);
  else r.read_all({});  // covers no partition: the gathering node says to try again
}

void Node::WatchReads() {
  std::unique_lock lock(reads_mu_);
  const auto wait = std::max<std::chrono::milliseconds>(settings_.read_wait, 1ms);
  while (!watch_stop_) {
    watch_cv_.wait_for(lock, std::min<std::chrono::milliseconds>(wait / 4 + 1ms, 250ms));
    if (watch_stop_) break;
    auto now = SteadyClock::now();
    auto late = std::stable_partition(reads_.begin(), reads_.end(),
                                      [&](const WaitingRead& r) { return now - r.asked < wait; });
    if (late == reads_.end()) continue;
    std::vector<WaitingRead> answer(std::make_move_iterator(late), std::make_move_iterator(reads_.end()));
    reads_.erase(late, reads_.end());
    reads_late_ += answer.size();
    lock.unlock();
    // The node's thread took none of these, nor can it now.
    for (WaitingRead& r : answer)
      Refuse(r, "node " + name_ + " is busy (its thread has been in a Kafka call for more than " +
                    std::to_string(wait.count()) + " ms)");
    lock.lock();
  }
}

void Node::StopWatchingReads() {
  {
    std::lock_guard lock(reads_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  if (watch_thread_.joinable()) watch_thread_.join();
}

void Node::StopReads() {
  std::vector<WaitingRead> reads;
  {
    std::lock_guard lock(reads_mu_);
    reads_closed_ = true;
  }
  // Answers the watch thread is giving finish first, and none comes after.
  StopWatchingReads();
  // Reads under way on the node's thread finish first.
  std::lock_guard running(reads_running_mu_);
  {
    std::lock_guard lock(reads_mu_);
    reads.swap(reads_);
  }
  for (WaitingRead& r : reads) Refuse(r, "node " + name_ + " is stopping");
  StopLookups();
}

namespace {

constexpr size_t kMaxWaitingLookups = 100;

std::vector<Result<Record>> Refused(size_t n, const std::string& why) {
  return std::vector<Result<Record>>(n, Result<Record>(Status::Unavailable(why)));
}

}  // namespace

void Node::InputsAt(int32_t p, std::vector<int64_t> offsets, InputsRead done) {
  {
    std::lock_guard lock(lookups_mu_);
    if (!lookups_closed_ && lookups_.size() < kMaxWaitingLookups) {
      lookups_.emplace_back(p, std::move(offsets), std::move(done));
      if (!lookup_thread_.joinable()) lookup_thread_ = std::thread([this] { RunLookups(); });
      lookups_cv_.notify_one();
      return;
    }
  }
  size_t n = offsets.size();
  done(Refused(n, "too many lookups of inputs wait, or the node is stopping"));
}

void Node::RunLookups() {
  std::unique_lock lock(lookups_mu_);
  while (true) {
    lookups_cv_.wait(lock, [this] { return lookups_closed_ || !lookups_.empty(); });
    if (lookups_closed_) return;
    auto [p, offsets, done] = std::move(lookups_.front());
    lookups_.pop_front();
    lock.unlock();
    std::vector<Result<Record>> inputs;
    for (int64_t offset : offsets) inputs.push_back(InputAt(p, offset));
    lock.lock();
    // Answered only while the node reads: none comes after StopReads.
    if (lookups_closed_) return;
    lock.unlock();
    done(std::move(inputs));
    lock.lock();
  }
}

void Node::StopLookups() {
  std::deque<std::tuple<int32_t, std::vector<int64_t>, InputsRead>> waiting;
  {
    std::lock_guard lock(lookups_mu_);
    lookups_closed_ = true;
    waiting.swap(lookups_);
  }
  lookups_cv_.notify_all();
  if (lookup_thread_.joinable()) lookup_thread_.join();
  for (auto& [p, offsets, done] : waiting) done(Refused(offsets.size(), "node " + name_ + " is stopping"));
}

void Node::RunReads() {
  std::lock_guard running(reads_running_mu_);
  std::vector<WaitingRead> reads;
  {
    std::lock_guard lock(reads_mu_);
    reads.swap(reads_);
  }
  std::optional<std::map<int32_t, const Engine*>> engines;  // made for the first read of every partition
  for (WaitingRead& r : reads) {
    if (r.partition < 0) {
      if (!engines) {
        engines.emplace();
        for (auto& [p, w] : workers_)
          if (!stop_ && assigned_.count(p) && !replaying_.count(p)) (*engines)[p] = &w->engine();
      }
      r.read_all(*engines);
      continue;
    }
    int32_t p = r.partition;
    auto it = workers_.find(p);
    if (stop_ || it == workers_.end() || !assigned_.count(p))
      r.read(nullptr, "partition " + std::to_string(p) + " is not run by node " + name_ + " now");
    else if (replaying_.count(p))
      r.read(nullptr, "partition " + std::to_string(p) + " was taken over by node " + name_ + " and is being replayed");
    else
      r.read(&it->second->engine(), "");
  }
}

Status Node::Write(std::vector<Record>& records, const std::string& topic) {
  std::lock_guard lock(ingest_mu_);
  TUTTI_TRY(ingest_->Begin());
  for (const Record& r : records) {
    if (Status added = ingest_->Add(topic.empty() ? settings_.topics.inputs : topic, r); !added.ok()) {
      (void)ingest_->Abort(settings_.timeout);
      return added;
    }
  }
  return ingest_->Commit(settings_.timeout);
}

Status Node::MoveClock(Instant to) {
  std::vector<Record> records;
  for (int32_t p = 0; p < partitions_; ++p) records.push_back({"", ClockValue(to), p});
  return Write(records);
}

Status Node::Pause(const std::string& journey, bool paused) {
  {
    std::lock_guard versions(versions_mu_);
    if (journey.size() > kMaxJourneyNameBytes || versions_.at(latest_)->ir().Index(journey) < 0)
      return Status::NotFound("no journey of this name in the latest version");
  }
  std::vector<Record> records;
  for (int32_t p = 0; p < partitions_; ++p) records.push_back({"", PauseValue(journey, paused), p});
  return Write(records);
}

Result<Record> Node::InputAt(int32_t p, int64_t offset) const {
  if (p < 0 || p >= partitions_ || offset < 0) return Status::NotFound("no such input");
  TUTTI_ASSIGN_OR_RETURN(auto reader, Reader::Open(settings_.kafka, settings_.topics.inputs, p, offset));
  // At most 5 s: the API waits for it.
  auto deadline = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(settings_.timeout, std::chrono::seconds(5));
  while (std::chrono::steady_clock::now() < deadline) {
    TUTTI_ASSIGN_OR_RETURN(std::vector<Record> read, reader->Next(1, std::chrono::milliseconds(100)));
    if (read.empty()) continue;
    // Committed records only: one aborted, or deleted by retention, is not there.
    if (read[0].offset != offset) return Status::NotFound("the inputs topic no longer holds it");
    return std::move(read[0]);
  }
  return Status::Unavailable("the inputs topic did not answer in time");
}

Status Node::SendAgain(Record action) {
  std::vector<Record> records = {std::move(action)};
  return Write(records, settings_.topics.actions);
}

IngestResult Node::Ingest(std::string_view body, Accept accept) {
  IngestResult out;
  DecodeOptions options;
  options.accept = accept;
  // An event without `at` is told by a time no line can give.
  const compiler::eval::Timestamp kNoAt{INT64_MIN, 0};
  if (accept != Accept::kProfiles) options.default_at = kNoAt;
  std::vector<Record> records;
  Instant arrived = WallNow();
  // The latest version decodes; what it (or an older one) fans out is copied.
  std::unique_lock versions(versions_mu_);
  const JourneySet& latest = *versions_.at(latest_);
  std::vector<std::string> copied = copied_;
  versions.unlock();
  size_t number = 0, start = 0;
  while (start <= body.size()) {
    size_t end = std::min(body.find('\n', start), body.size());
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    ++number;
    DecodeResult r = DecodeLine(latest.schemas(), line, number, options);
    if (r.blank()) continue;
    if (!r.ok()) {
      out.lines.emplace_back(number, r.error().ToString());
      ++out.refused;
      continue;
    }
    const runtime::Record& record = r.record();
    bool event = record.kind() == RecordKind::kEvent;
    std::optional<Instant> at;
    if (event && *record.at == kNoAt) {
      // On the system clock it happened now; on the virtual clock at the
      // partition's time when applied (the reader's default).
      if (!settings_.virtual_clock) at = arrived;
    } else if (event && !ToInstant(*record.at)) {
      out.lines.emplace_back(number, "line " + std::to_string(number) +
                                         ": 'at' is outside the engine's time range (1678 to 2261)");
      ++out.refused;
      continue;
    }
    std::string key = KeyText(record.key);
    std::string value = InputValue(line, at);
    bool everywhere = !event || std::find(copied.begin(), copied.end(), record.type()) != copied.end();
    if (everywhere) {
      // Marked, so that no partition writes it on again (PartitionWorker).
      for (int32_t p = 0; p < partitions_; ++p) {
        records.push_back({key, value, p});
        records.back().origin = kEverywhereOrigin;
      }
    } else {
      records.push_back({key, std::move(value), static_cast<int32_t>(KafkaPartitionOf(key, partitions_))});
    }
    out.lines.emplace_back(number, "");
    ++out.accepted;
  }
  if (records.empty()) {
    out.status = 400;
    if (out.refused == 0) out.error = accept == Accept::kProfiles ? "no profiles in the body" : "no events in the body";
    return out;
  }
  if (Status written = Write(records); !written.ok()) {
    out.status = 503;
    out.error = written.message();
    out.accepted = 0;
    return out;
  }
  return out;
}

}  // namespace tutti::runtime::cluster
