#include "runtime/cluster/action_feed.h"

#include <chrono>

namespace tutti::runtime::cluster {

int64_t ActionFeed::DoneBefore(const Partition& part) {
  if (part.next < 0) return -1;  // nothing read yet
  return part.open.empty() ? part.next : *part.open.begin();
}

Result<std::unique_ptr<ActionFeed>> ActionFeed::Open(const PartitionSettings& settings,
                                                     std::function<void(int32_t p)> revoked) {
  std::unique_ptr<ActionFeed> feed(new ActionFeed());
  feed->revoked_ = std::move(revoked);
  ActionFeed* f = feed.get();
  GroupConsumer::Listener listener{
      [f](int32_t p) {
        f->partitions_[p] = Partition{};
        return GroupConsumer::kCommitted;
      },
      [f](int32_t p) {
        // What is done of it is committed as it goes (a partition lost
        // rather than revoked refuses the commit): its next deliverer then
        // delivers again only what was not done, not a second's worth.
        if (auto it = f->partitions_.find(p); it != f->partitions_.end() && f->consumer_ != nullptr) {
          int64_t done_before = DoneBefore(it->second);
          if (done_before > it->second.committed) (void)f->consumer_->Commit({{p, done_before}});
        }
        f->partitions_.erase(p);
        if (f->revoked_) f->revoked_(p);
      }};
  TUTTI_ASSIGN_OR_RETURN(feed->consumer_, GroupConsumer::Open(settings.kafka, settings.group + "-delivery",
                                                              settings.topics.actions, std::move(listener)));
  return feed;
}

Result<std::vector<Record>> ActionFeed::Poll(size_t max) {
  TUTTI_ASSIGN_OR_RETURN(std::vector<Record> records, consumer_->Poll(max, std::chrono::milliseconds(0)));
  std::vector<Record> out;
  out.reserve(records.size());
  for (Record& r : records) {
    auto p = partitions_.find(r.partition);
    if (p == partitions_.end()) continue;  // revoked within this poll: the new owner reads it
    p->second.open.insert(r.offset);
    p->second.next = r.offset + 1;
    out.push_back(std::move(r));
  }
  return out;
}

void ActionFeed::Done(int32_t p, int64_t offset) {
  auto it = partitions_.find(p);
  if (it != partitions_.end()) it->second.open.erase(offset);
}

Status ActionFeed::Commit() {
  std::vector<std::pair<int32_t, int64_t>> offsets;
  for (auto& [p, part] : partitions_) {
    int64_t done_before = DoneBefore(part);
    if (done_before > part.committed) offsets.emplace_back(p, done_before);
  }
  TUTTI_TRY(consumer_->Commit(offsets));
  for (const auto& [p, offset] : offsets) partitions_[p].committed = offset;
  return Status::Ok();
}

std::vector<int32_t> ActionFeed::assigned() const {
  std::vector<int32_t> out;
  for (const auto& [p, part] : partitions_) out.push_back(p);
  return out;
}

size_t ActionFeed::open() const {
  size_t n = 0;
  for (const auto& [p, part] : partitions_) n += part.open.size();
  return n;
}

}  // namespace tutti::runtime::cluster
