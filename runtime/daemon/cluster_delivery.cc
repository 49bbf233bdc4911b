// The Service on a Kafka cluster, delivering (docs/cluster.md,
// "Delivery"): the node's share of the actions topic (ActionFeed) is read
// on the event loop; actions of a channel with a route (webhook, SMTP) go
// through the same attempts, retries, rate limits and dead letters as on
// one daemon, the others to the node's actions file; each finished
// delivery's outcome event goes to the inputs topic, and only then is the
// action done and the group's offset moved past it. At least once: an
// action read but not done when its node dies is delivered again by the
// next, with the same idempotency key.

#include "runtime/cluster/node.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {

namespace {

// Actions read and not done, at most: a receiver that is down holds back
// reading, not memory.
constexpr size_t kMaxOpen = 20000;
constexpr size_t kReadAtOnce = 2000;
constexpr auto kCommitEvery = std::chrono::seconds(1);

}  // namespace

void Service::DeliverOnCluster() {
  if (!feed_) return;
  WriteOutcomesOnCluster();
  Status trouble = Status::Ok();
  if (feed_->open() < kMaxOpen) {
    auto read = feed_->Poll(kReadAtOnce);
    if (!read.ok()) trouble = read.status();
    // Announced with the node's own partitions: the reads of actions ask
    // every node that delivers some, whether or not it runs any.
    node_->Delivers(feed_->assigned());
    for (cluster::Record& r : read.ok() ? *read : std::vector<cluster::Record>{}) {
      std::optional<cluster::ActionToDeliver> action = cluster::ReadAction(r.value);
      if (!action) {
        // Not Tutti's (another producer), or damaged: nothing to deliver.
        unreadable_actions_->Add();
        feed_->Done(r.partition, r.offset);
        continue;
      }
      const std::string channel = ChannelOf(action->action);
      uint64_t seq = cluster_outbox_.Append(std::move(action->action));
      cluster_whys_[seq] = {action->mark.partition, std::move(action->why)};
      cluster_actions_[seq] = {r.partition, r.offset, std::move(action->json), std::move(action->address), false,
                               std::move(r.key), action->mark};
      if (options_.routes.count(channel)) Route(seq, channel);  // attempted by the server
      else to_file_.push_back(seq);
    }
  }
  WriteActionsFileOnCluster();
  if (std::chrono::steady_clock::now() - feed_committed_ >= kCommitEvery) {
    feed_committed_ = std::chrono::steady_clock::now();
    if (Status committed = feed_->Commit(); !committed.ok() && trouble.ok()) trouble = committed;
  }
  std::string said = trouble.ok() ? "" : trouble.message();
  if (said != delivery_trouble_) {
    delivery_trouble_ = said;
    if (!said.empty()) Log(LogLevel::kWarning, "delivery", said);
  }
  TrimOutbox();
}

void Service::WriteActionsFileOnCluster() {
  if (to_file_.empty()) return;
  std::string out;
  for (uint64_t seq : to_file_) out += cluster_actions_.at(seq).json + "\n";
  if (!AppendToActionsFile(out)) {
    delivery_failures_->Add();
    return;  // written again at the next tick: at least once
  }
  for (uint64_t seq : std::exchange(to_file_, {})) {
    auto it = cluster_actions_.find(seq);
    cluster_outbox_.Report(seq, DeliveryState::kDelivered);
    actions_total_->At({ChannelOf(cluster_outbox_.Find(seq)->action), "delivered"}).Add();
    feed_->Done(it->second.partition, it->second.offset);
    cluster_actions_.erase(it);
  }
}

void Service::StageFinalOnCluster(uint64_t seq, bool ok, const std::string& reason) {
  ClusterFinal final{seq, ""};
  const OutboxEntry* entry = cluster_outbox_.Find(seq);
  std::string why_not;
  std::optional<std::string> event =
      entry ? OutcomeEvent(entry->action, ok ? "action_delivered" : "action_failed", reason, &why_not) : std::nullopt;
  if (event) final.event = std::move(*event);
  cluster_finals_.push_back(std::move(final));
}

void Service::WriteOutcomesOnCluster() {
  if (cluster_finals_.empty()) return;
  std::string events;
  size_t count = 0;
  for (const ClusterFinal& f : cluster_finals_) {
    auto it = cluster_actions_.find(f.seq);
    // Dropped: its partition's new deliverer delivers it again and says
    // what became of it.
    if (it == cluster_actions_.end() || it->second.dropped || f.event.empty()) continue;
    events += f.event + "\n";
    ++count;
  }
  if (count > 0) {
    IngestResult written = node_->Ingest(events, Accept::kEvents);
    if (written.status == 503) {
      log_failures_->Add();
      return;  // tried again at the next tick; the actions are not done meanwhile
    }
    outcome_events_refused_->Add(static_cast<double>(written.refused));
  }
  for (const ClusterFinal& f : std::exchange(cluster_finals_, {})) {
    auto it = cluster_actions_.find(f.seq);
    if (it == cluster_actions_.end()) continue;
    if (!it->second.dropped) feed_->Done(it->second.partition, it->second.offset);
    // A dead letter's record is kept for a retry to write again.
    const OutboxEntry* e = cluster_outbox_.Find(f.seq);
    if (!it->second.dropped && e != nullptr && e->state == DeliveryState::kDeadLetter)
      cluster_dead_letters_[f.seq] = std::move(it->second);
    cluster_actions_.erase(it);
  }
}

void Service::DropDeliveries(int32_t p) {
  for (auto it = cluster_actions_.begin(); it != cluster_actions_.end();) {
    if (it->second.partition != p) {
      ++it;
      continue;
    }
    uint64_t seq = it->first;
    auto attempt = attempts_.find(seq);
    if (attempt != attempts_.end() && attempt->second.in_flight) {
      it->second.dropped = true;  // its outcome is heard, and goes nowhere
      ++it;
      continue;
    }
    // Waiting for a slot or a retry: forgotten (the queues skip a seq
    // without attempts), handed to the partition's new deliverer.
    attempts_.erase(seq);
    std::erase(to_file_, seq);
    cluster_outbox_.Report(seq, DeliveryState::kHandedOver);
    it = cluster_actions_.erase(it);
  }
}

std::string Service::ClusterAddressOf(uint64_t seq) const {
  auto it = cluster_actions_.find(seq);
  return it == cluster_actions_.end() ? "" : it->second.address;
}

std::string Service::BodyOf(uint64_t seq, const Decision& action) const {
  if (!node_) return ToJson(action);
  auto it = cluster_actions_.find(seq);
  return it == cluster_actions_.end() ? ToJson(action) : it->second.json;
}

}  // namespace tutti::runtime
