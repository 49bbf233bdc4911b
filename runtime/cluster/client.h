#pragma once
// Inside the cluster room only: librdkafka handles owned by smart
// pointers, client configurations made from KafkaSettings, and librdkafka
// errors as Status values. Nothing outside runtime/cluster/ includes this.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <vector>
#include <memory>
#include <string>

#include "base/status.h"
#include "runtime/cluster/kafka.h"

namespace tutti::runtime::cluster {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct KafkaDeleter {
  void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

/// A client configuration: the operator's properties (refused when one is
/// unknown, has a bad value, or is one `ours` depends on: say which,
/// never the value), then `ours` and the bootstrap list.
Result<ConfPtr> MakeConf(const KafkaSettings& settings, const std::map<std::string, std::string>& ours);

/// A client of `type` made from `conf` (which it takes).
Result<KafkaPtr> NewClient(rd_kafka_type_t type, ConfPtr conf);

/// The next records a consumer `k` of `topic` is given, up to `max`,
/// waiting up to `wait` for the first. Passing trouble (a broker away, a
/// leader moving) the client rides out; kUnavailable for an error that
/// does not pass (the topic gone, not allowed to read it, records to read
/// deleted before they were read), or for `*trouble` once a callback served
/// inside the poll set it. An error that does not pass, met after some
/// records, is kept in `*trouble` for the next call and the records are
/// returned: the client has passed them, so they must not be dropped.
Result<std::vector<Record>> Consume(rd_kafka_t* k, const std::string& topic, size_t max,
                                    std::chrono::milliseconds wait, Status* trouble = nullptr);

/// Queues `record` to `topic` on producer `k` (its partition, or the
/// key's when -1; its origin as a header when it has one), the value
/// copied; `opaque` goes to the delivery report.
rd_kafka_resp_err_t Produce(rd_kafka_t* k, const std::string& topic, const Record& record, void* opaque = nullptr);

/// `err` as kUnavailable, after `what`.
Status FromKafka(rd_kafka_resp_err_t err, const std::string& what);

}  // namespace tutti::runtime::cluster
