#include "runtime/cluster/transaction.h"

#include "runtime/cluster/client.h"

namespace tutti::runtime::cluster {

namespace {

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

}  // namespace

struct PartitionProducer::Handle {
  KafkaPtr kafka;
  std::string id;
  std::string group;
  std::string input_topic;
  int32_t partition = 0;
};

PartitionProducer::PartitionProducer(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

PartitionProducer::~PartitionProducer() {
  // An open transaction is aborted by the next owner's Open (or by the
  // transaction timeout): nothing in it was ever visible.
}

const std::string& PartitionProducer::transactional_id() const { return handle_->id; }

Result<std::unique_ptr<PartitionProducer>> PartitionProducer::Open(const KafkaSettings& settings,
                                                                   const std::string& group,
                                                                   const std::string& input_topic, int32_t partition,
                                                                   std::chrono::milliseconds timeout) {
  auto handle = std::make_unique<Handle>();
  handle->id = group + "-" + input_topic + "-" + std::to_string(partition);
  handle->group = group;
  handle->input_topic = input_topic;
  handle->partition = partition;
  return Init(std::move(handle), settings, timeout);
}

Result<std::unique_ptr<PartitionProducer>> PartitionProducer::Open(const KafkaSettings& settings,
                                                                   const std::string& transactional_id,
                                                                   std::chrono::milliseconds timeout) {
  auto handle = std::make_unique<Handle>();
  handle->id = transactional_id;
  return Init(std::move(handle), settings, timeout);
}

Result<std::unique_ptr<PartitionProducer>> PartitionProducer::Init(std::unique_ptr<Handle> handle,
                                                                   const KafkaSettings& settings,
                                                                   std::chrono::milliseconds timeout) {
  TUTTI_ASSIGN_OR_RETURN(ConfPtr conf, MakeConf(settings, {{"transactional.id", handle->id},
                                                           {"enable.idempotence", "true"},
                                                           {"acks", "all"},
                                                           {"partitioner", "murmur2_random"}}));
  TUTTI_ASSIGN_OR_RETURN(handle->kafka, NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
  // Fences the earlier producer with this id, and aborts what it left open.
  if (ErrorPtr e{rd_kafka_init_transactions(handle->kafka.get(), Millis(timeout))})
    return Status::Unavailable("kafka: cannot start transactional producer " + handle->id + ": " +
                               rd_kafka_error_string(e.get()));
  return std::unique_ptr<PartitionProducer>(new PartitionProducer(std::move(handle)));
}

Status PartitionProducer::Begin() {
  if (ErrorPtr e{rd_kafka_begin_transaction(handle_->kafka.get())})
    return Status::Unavailable(std::string("kafka: cannot begin a transaction: ") + rd_kafka_error_string(e.get()));
  return Status::Ok();
}

Status PartitionProducer::Add(const std::string& topic, const Record& record) {
  // A queue that stays full (the cluster away) is not waited on for ever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    rd_kafka_resp_err_t err = Produce(handle_->kafka.get(), topic, record);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline)
      return FromKafka(err, "kafka: cannot add a record to the transaction");
    rd_kafka_poll(handle_->kafka.get(), 10);  // let the queue drain
  }
}

Status PartitionProducer::Commit(int64_t next_offset, std::chrono::milliseconds timeout) {
  rd_kafka_t* k = handle_->kafka.get();
  ErrorPtr e;
  if (next_offset >= 0 && !handle_->input_topic.empty()) {
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, handle_->input_topic.c_str(), handle_->partition)->offset = next_offset;
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(handle_->group.c_str());
    e.reset(rd_kafka_send_offsets_to_transaction(k, offsets, group, Millis(timeout)));
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(offsets);
  }
  if (!e) e.reset(rd_kafka_commit_transaction(k, Millis(timeout)));
  if (!e) return Status::Ok();
  std::string why = rd_kafka_error_string(e.get());
  if (rd_kafka_error_is_fatal(e.get()) || rd_kafka_error_code(e.get()) == RD_KAFKA_RESP_ERR__FENCED ||
      rd_kafka_error_code(e.get()) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED)
    return Status::Conflict("kafka: " + handle_->id + " was taken over by another producer (" + why + ")");
  if (rd_kafka_error_txn_requires_abort(e.get())) TUTTI_TRY(Abort(timeout));
  return Status::Unavailable("kafka: the transaction was not committed: " + why);
}

Status PartitionProducer::Abort(std::chrono::milliseconds timeout) {
  if (ErrorPtr e{rd_kafka_abort_transaction(handle_->kafka.get(), Millis(timeout))}) {
    if (rd_kafka_error_is_fatal(e.get()))
      return Status::Conflict(std::string("kafka: the partition's producer cannot go on: ") +
                              rd_kafka_error_string(e.get()));
    return Status::Unavailable(std::string("kafka: cannot abort the transaction: ") + rd_kafka_error_string(e.get()));
  }
  return Status::Ok();
}

}  // namespace tutti::runtime::cluster
