#include "runtime/cluster/group.h"

#include <algorithm>
#include <cstring>

#include "runtime/cluster/client.h"

namespace tutti::runtime::cluster {

namespace {

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

}  // namespace

struct GroupConsumer::Handle {
  KafkaPtr kafka;
  std::string topic;
  Listener listener;
  bool closed = false;
  /// What a rebalance inside Poll went wrong with, said by the next Poll.
  Status trouble;
};

namespace {

void Rebalance(rd_kafka_t* k, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* h = static_cast<GroupConsumer::Handle*>(opaque);
  // None while the consumer closes (a revocation then): eager's way.
  const char* protocol = rd_kafka_rebalance_protocol(k);
  bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    static_assert(GroupConsumer::kCommitted == RD_KAFKA_OFFSET_STORED);
    for (int i = 0; i < partitions->cnt; ++i)
      partitions->elems[i].offset = h->listener.assigned(partitions->elems[i].partition);
    if (cooperative) {
      if (ErrorPtr e{rd_kafka_incremental_assign(k, partitions)})
        h->trouble = Status::Unavailable(std::string("kafka: cannot take the partitions assigned: ") +
                                         rd_kafka_error_string(e.get()));
    } else if (rd_kafka_resp_err_t e = rd_kafka_assign(k, partitions)) {
      h->trouble = FromKafka(e, "kafka: cannot take the partitions assigned");
    }
    return;
  }
  // Revoked, or lost: either way no longer this member's.
  for (int i = 0; i < partitions->cnt; ++i) h->listener.revoked(partitions->elems[i].partition);
  if (cooperative) {
    if (ErrorPtr e{rd_kafka_incremental_unassign(k, partitions)})
      h->trouble = Status::Unavailable(std::string("kafka: cannot give partitions back: ") +
                                       rd_kafka_error_string(e.get()));
  } else {
    rd_kafka_assign(k, nullptr);
  }
}

}  // namespace

GroupConsumer::GroupConsumer(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

GroupConsumer::~GroupConsumer() { Close(); }

Result<std::unique_ptr<GroupConsumer>> GroupConsumer::Open(const KafkaSettings& settings, const std::string& group,
                                                           const std::string& topic, Listener listener,
                                                           bool refuses_gaps) {
  auto handle = std::make_unique<Handle>();
  handle->topic = topic;
  handle->listener = std::move(listener);
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {{"group.id", group},
                                                           {"enable.auto.commit", "false"},
                                                           {"enable.auto.offset.store", "false"},
                                                           {"isolation.level", "read_committed"},
                                                           {"enable.partition.eof", "false"},
                                                           {"auto.offset.reset", refuses_gaps ? "error" : "earliest"},
                                                           {"partition.assignment.strategy", "cooperative-sticky"}}));
  rd_kafka_conf_set_opaque(conf.get(), handle.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), Rebalance);
  TUTTI_ASSIGN_OR_RETURN(handle->kafka, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(handle->kafka.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(handle->kafka.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) return FromKafka(err, "kafka: cannot join group '" + group + "' on " + topic);
  return std::unique_ptr<GroupConsumer>(new GroupConsumer(std::move(handle)));
}

Result<std::vector<Record>> GroupConsumer::Poll(size_t max, std::chrono::milliseconds wait) {
  return Consume(handle_->kafka.get(), handle_->topic, max, wait, &handle_->trouble);
}

void GroupConsumer::Wake() {
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(handle_->kafka.get());
  if (queue == nullptr) return;
  rd_kafka_queue_yield(queue);
  rd_kafka_queue_destroy(queue);
}

Status GroupConsumer::Seek(int32_t p, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, handle_->topic.c_str(), p)->offset = offset;
  ErrorPtr e{rd_kafka_seek_partitions(handle_->kafka.get(), list, 10000)};
  rd_kafka_resp_err_t err = e ? RD_KAFKA_RESP_ERR_NO_ERROR : list->elems[0].err;
  rd_kafka_topic_partition_list_destroy(list);
  if (e) return Status::Unavailable(std::string("kafka: cannot seek: ") + rd_kafka_error_string(e.get()));
  if (err) return FromKafka(err, "kafka: cannot seek partition " + std::to_string(p));
  return Status::Ok();
}

Status GroupConsumer::Commit(const std::vector<std::pair<int32_t, int64_t>>& offsets) {
  if (offsets.empty()) return Status::Ok();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [p, offset] : offsets) rd_kafka_topic_partition_list_add(list, handle_->topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_commit(handle_->kafka.get(), list, 0);
  for (int i = 0; !err && i < list->cnt; ++i) err = list->elems[i].err;
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return FromKafka(err, "kafka: cannot commit the offsets read of " + handle_->topic);
  return Status::Ok();
}

std::map<int32_t, int64_t> GroupConsumer::Lag(const std::map<int32_t, PartitionRange>& ranges,
                                              const std::map<int32_t, int64_t>& sought) {
  std::map<int32_t, int64_t> lag;
  if (ranges.empty() || !handle_->kafka) return lag;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size()));
  for (const auto& [p, range] : ranges) rd_kafka_topic_partition_list_add(list, handle_->topic.c_str(), p);
  if (rd_kafka_position(handle_->kafka.get(), list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      int32_t p = list->elems[i].partition;
      const PartitionRange& range = ranges.at(p);
      // No position yet: nothing was given since the partition was
      // assigned or sought, so the member is where it was told to read.
      auto from = sought.find(p);
      int64_t position = list->elems[i].offset >= 0 ? list->elems[i].offset
                         : from != sought.end()     ? std::max(from->second, range.low)
                                                    : range.low;
      lag[list->elems[i].partition] = std::max<int64_t>(0, range.high - position);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return lag;
}

void GroupConsumer::Close() {
  if (handle_->closed || !handle_->kafka) return;
  handle_->closed = true;
  rd_kafka_consumer_close(handle_->kafka.get());  // the last revocation is heard here
  handle_->kafka.reset();
}

void GroupConsumer::Abandon() {
  if (handle_->closed || !handle_->kafka) return;
  handle_->closed = true;
  rd_kafka_destroy_flags(handle_->kafka.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

}  // namespace tutti::runtime::cluster
