#include "runtime/cluster/kafka.h"

#include <librdkafka/rdkafka.h>

#include "runtime/cluster/client.h"

namespace tutti::runtime::cluster {

namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

Status CheckSettings(const KafkaSettings& settings) { return MakeConf(settings, {}).status(); }

// ---- Producer ----

struct Producer::Handle {
  KafkaPtr kafka;
  /// The batch Send is waiting for: its records and their outcomes. A
  /// record's opaque is a Ticket; tickets of a batch Send gave up on find
  /// no batch and are only freed.
  struct Batch {
    std::vector<Record>* records;
    std::vector<Status>* statuses;
    size_t pending;
  };
  struct Ticket {
    uint64_t batch;
    size_t index;
  };
  std::map<uint64_t, Batch> batches;
  uint64_t next_batch = 1;

  static void Delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Handle*>(opaque);
    std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(m->_private));
    auto it = self->batches.find(ticket->batch);
    if (it == self->batches.end()) return;
    Batch& b = it->second;
    Record& r = (*b.records)[ticket->index];
    if (m->err) {
      (*b.statuses)[ticket->index] = FromKafka(m->err, "kafka: a record was not written");
    } else {
      r.partition = m->partition;
      r.offset = m->offset;
      (*b.statuses)[ticket->index] = Status::Ok();
    }
    --b.pending;
  }
};

Producer::Producer(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

Producer::~Producer() {
  if (!handle_->kafka) return;
  // What was never acknowledged is dropped (its senders were told so);
  // the callbacks still run, freeing their tickets.
  rd_kafka_purge(handle_->kafka.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(handle_->kafka.get(), 1000);
}

Result<std::unique_ptr<Producer>> Producer::Open(const KafkaSettings& settings) {
  auto handle = std::make_unique<Handle>();
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {{"enable.idempotence", "true"},
                                                           {"acks", "all"},
                                                           {"partitioner", "murmur2_random"}}));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Handle::Delivered);
  rd_kafka_conf_set_opaque(conf.get(), handle.get());
  TUTTI_ASSIGN_OR_RETURN(handle->kafka, NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
  return std::unique_ptr<Producer>(new Producer(std::move(handle)));
}

std::vector<Status> Producer::Send(const std::string& topic, std::vector<Record>& records,
                                   std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  std::vector<Status> statuses(records.size(), Status::Unavailable("kafka: not acknowledged in time"));
  uint64_t id = handle_->next_batch++;
  Handle::Batch& batch = handle_->batches[id] = {&records, &statuses, 0};
  rd_kafka_t* k = handle_->kafka.get();
  for (size_t i = 0; i < records.size(); ++i) {
    Record& r = records[i];
    auto* ticket = new Handle::Ticket{id, i};
    for (;;) {
      rd_kafka_resp_err_t err = Produce(k, topic, r, ticket);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++batch.pending;
        break;
      }
      // The client's queue is full: let it drain, within the deadline.
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && SteadyClock::now() < deadline) {
        rd_kafka_poll(k, 10);
        continue;
      }
      delete ticket;
      statuses[i] = FromKafka(err, "kafka: a record could not be queued");
      break;
    }
  }
  while (batch.pending > 0 && SteadyClock::now() < deadline) rd_kafka_poll(k, 5);
  handle_->batches.erase(id);
  return statuses;
}

// ---- EndProbe ----

struct EndProbe::Handle {
  KafkaPtr kafka;
};

EndProbe::EndProbe(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

EndProbe::~EndProbe() = default;

Result<std::unique_ptr<EndProbe>> EndProbe::Open(const KafkaSettings& settings) {
  auto handle = std::make_unique<Handle>();
  // A consumer that is never assigned anything, so never fetches; read
  // committed, so that the end it is told is the last stable offset.
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {{"group.id", "tutti-probe"},
                                                           {"enable.auto.commit", "false"},
                                                           {"isolation.level", "read_committed"}}));
  TUTTI_ASSIGN_OR_RETURN(handle->kafka, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  return std::unique_ptr<EndProbe>(new EndProbe(std::move(handle)));
}

Result<std::map<int32_t, PartitionRange>> EndProbe::Ranges(const std::string& topic,
                                                           const std::vector<int32_t>& partitions,
                                                           std::chrono::milliseconds timeout) {
  std::map<int32_t, PartitionRange> ranges;
  auto deadline = SteadyClock::now() + timeout;
  for (int32_t p : partitions) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return Status::Unavailable("kafka: " + topic + " did not say where it ends in time");
    PartitionRange& range = ranges[p];
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(handle_->kafka.get(), topic.c_str(), p, &range.low,
                                                               &range.high, static_cast<int>(left.count()));
    if (err) return FromKafka(err, "kafka: cannot ask where " + topic + " ends");
  }
  return ranges;
}

// ---- Reader ----

struct Reader::Handle {
  KafkaPtr kafka;
  std::string topic;
  int32_t partition = 0;
  Status pending;  // an error met after records Next returned: said by the next Next
};

Reader::Reader(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

Reader::~Reader() {
  if (handle_->kafka) rd_kafka_consumer_close(handle_->kafka.get());
}

Result<std::unique_ptr<Reader>> Reader::Open(const KafkaSettings& settings, const std::string& topic,
                                             int32_t partition, int64_t offset) {
  auto handle = std::make_unique<Handle>();
  handle->topic = topic;
  handle->partition = partition;
  // A group id is needed to make a consumer; nothing is committed under it.
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {{"group.id", "tutti-reader"},
                                                           {"enable.auto.commit", "false"},
                                                           {"isolation.level", "read_committed"},
                                                           {"enable.partition.eof", "false"},
                                                           {"auto.offset.reset", "earliest"}}));
  TUTTI_ASSIGN_OR_RETURN(handle->kafka, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(handle->kafka.get());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_assign(handle->kafka.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return FromKafka(err, "kafka: cannot read " + topic + " partition " + std::to_string(partition));
  return std::unique_ptr<Reader>(new Reader(std::move(handle)));
}

Result<std::vector<Record>> Reader::Next(size_t max, std::chrono::milliseconds wait) {
  return Consume(handle_->kafka.get(), handle_->topic, max, wait, &handle_->pending);
}

Result<int64_t> Reader::End(std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(handle_->kafka.get(), handle_->topic.c_str(),
                                                             handle_->partition, &low, &high,
                                                             static_cast<int>(timeout.count()));
  if (err) return FromKafka(err, "kafka: cannot ask where " + handle_->topic + " ends");
  return high;
}

int64_t Reader::Position() {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, handle_->topic.c_str(), handle_->partition);
  int64_t position = -1;
  if (rd_kafka_position(handle_->kafka.get(), list) == RD_KAFKA_RESP_ERR_NO_ERROR && list->elems[0].offset >= 0)
    position = list->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(list);
  return position;
}

Status Reader::ReadTo(int64_t to, std::chrono::milliseconds timeout, const std::function<void(const Record&)>& each) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Position() >= to) return Status::Ok();  // transaction markers take offsets too: the last may hold none
    TUTTI_ASSIGN_OR_RETURN(std::vector<Record> records, Next(1000, std::chrono::milliseconds(200)));
    for (const Record& r : records) {
      if (r.offset >= to) return Status::Ok();
      each(r);
      if (r.offset == to - 1) return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Unavailable("kafka: " + handle_->topic + " partition " + std::to_string(handle_->partition) +
                                 " was not read to offset " + std::to_string(to) + " within " +
                                 std::to_string(timeout.count()) + " ms");
  }
}

// ---- Metadata ----

Result<std::map<std::string, int32_t>> PartitionCounts(const KafkaSettings& settings,
                                                        const std::vector<std::string>& topics,
                                                        std::chrono::milliseconds timeout) {
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {}));
  TUTTI_ASSIGN_OR_RETURN(KafkaPtr k, NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(k.get(), /*all_topics=*/1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err) return FromKafka(err, "kafka: cannot read the cluster's metadata");
  std::map<std::string, int32_t> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (!md->topics[i].err) out[md->topics[i].topic] = md->topics[i].partition_cnt;
  rd_kafka_metadata_destroy(md);
  std::map<std::string, int32_t> wanted;
  for (const std::string& t : topics) {
    auto it = out.find(t);
    if (it == out.end()) return Status::NotFound("kafka: the cluster has no topic '" + t + "' (docs/cluster.md: Topics)");
    wanted.insert(*it);
  }
  return wanted;
}

}  // namespace tutti::runtime::cluster
