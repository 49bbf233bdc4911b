#include "runtime/cluster/client.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

#include "base/text.h"

namespace tutti::runtime::cluster {

namespace {

/// Properties whose value correctness depends on: this file sets them.
const std::set<std::string>& OwnedProperties() {
  static const std::set<std::string> owned = {
      "bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks", "request.required.acks",
      "isolation.level",   "partitioner",          "group.id",           "enable.auto.commit",
      "transactional.id",  "enable.partition.eof", "dr_msg_cb",          "dr_cb",
      "partition.assignment.strategy", "enable.auto.offset.store", "auto.offset.reset"};
  return owned;
}

/// librdkafka's own log lines (broker connections, retries): to stderr,
/// as the daemon's other lines go, printable and bounded. One setting
/// object serves producers and consumers alike, so the warning that a
/// property is the other kind's is expected and dropped.
void LogLine(const rd_kafka_t* k, int level, const char* facility, const char* line) {
  if (std::strcmp(facility, "CONFWARN") == 0 && std::strstr(line, "will be ignored by this") != nullptr) return;
  std::fprintf(stderr, "kafka %d %s %s: %s\n", level, rd_kafka_name(k), Printable(facility, 40).c_str(),
               Printable(line, 1000).c_str());
}

}  // namespace

Result<ConfPtr> MakeConf(const KafkaSettings& settings, const std::map<std::string, std::string>& ours) {
  if (settings.brokers.empty()) return Status::Invalid("kafka: 'brokers' is empty");
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogLine);
  char error[512];
  for (const auto& [name, value] : settings.librdkafka) {
    if (OwnedProperties().count(name))
      return Status::Invalid("kafka.librdkafka: '" + Printable(name, 80) +
                             "' is set by Tutti (docs/cluster.md says why); remove it");
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
      return Status::Invalid("kafka.librdkafka: '" + Printable(name, 80) + "' is unknown or its value is refused");
  }
  std::map<std::string, std::string> all = ours;
  all["bootstrap.servers"] = settings.brokers;
  for (const auto& [name, value] : all)
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
      return Status::Invalid("kafka: cannot set '" + name + "': " + error);
  return conf;
}

Result<KafkaPtr> NewClient(rd_kafka_type_t type, ConfPtr conf) {
  char error[512];
  rd_kafka_t* k = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (k == nullptr) return Status::Invalid(std::string("kafka: cannot make a client: ") + error);
  conf.release();  // rd_kafka_new took it
  return KafkaPtr(k);
}

namespace {

Record FromMessage(const rd_kafka_message_t& m) {
  Record r;
  if (m.key) r.key.assign(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) r.value.assign(static_cast<const char*>(m.payload), m.len);
  r.partition = m.partition;
  r.offset = m.offset;
  r.timestamp_ms = rd_kafka_message_timestamp(&m, nullptr);
  rd_kafka_headers_t* headers = nullptr;
  const void* origin = nullptr;
  size_t size = 0;
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, kOriginHeader, &origin, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      origin != nullptr)
    r.origin.assign(static_cast<const char*>(origin), std::min(size, kMaxOriginBytes + 1));
  return r;
}

bool Lasting(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
         err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || err == RD_KAFKA_RESP_ERR__FATAL;
}

}  // namespace

Result<std::vector<Record>> Consume(rd_kafka_t* k, const std::string& topic, size_t max,
                                    std::chrono::milliseconds wait, Status* trouble) {
  std::vector<Record> out;
  if (trouble != nullptr && !trouble->ok()) return std::exchange(*trouble, Status::Ok());
  int timeout = static_cast<int>(wait.count());
  while (out.size() < max) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(k, out.empty() ? timeout : 0);
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(m, rd_kafka_message_destroy);
    if (m != nullptr && !m->err) {
      out.push_back(FromMessage(*m));
    } else if (m != nullptr && Lasting(m->err)) {
      Status error = FromKafka(m->err, "kafka: cannot read " + topic);
      if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
        error = Status::Unavailable("kafka: partition " + std::to_string(m->partition) + " of " + topic +
                                    " no longer holds the records to read from offset " + std::to_string(m->offset) +
                                    " on (retention deleted them before they were read): the partition stops "
                                    "there (docs/cluster.md, \"Topics\")");
      if (out.empty() || trouble == nullptr) return error;
      *trouble = std::move(error);
    }
    // Trouble a callback inside the poll had, or an error after records:
    // said now, or (records in hand) at the next call.
    if (trouble != nullptr && !trouble->ok()) {
      if (out.empty()) return std::exchange(*trouble, Status::Ok());
      break;
    }
    if (m == nullptr) break;
  }
  return out;
}

rd_kafka_resp_err_t Produce(rd_kafka_t* k, const std::string& topic, const Record& record, void* opaque) {
  int32_t partition = record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition;
  // RD_KAFKA_MSG_F_COPY: the client copies the key, value and header and
  // never writes to them, whatever the C signature says.
  void* value = const_cast<char*>(record.value.data());
  if (record.origin.empty())
    return rd_kafka_producev(k, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
                             RD_KAFKA_V_VALUE(value, record.value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  return rd_kafka_producev(k, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                           RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
                           RD_KAFKA_V_VALUE(value, record.value.size()),
                           RD_KAFKA_V_HEADER(kOriginHeader, record.origin.data(),
                                             static_cast<ssize_t>(record.origin.size())),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

Status FromKafka(rd_kafka_resp_err_t err, const std::string& what) {
  return Status::Unavailable(what + ": " + rd_kafka_err2str(err));
}


}  // namespace tutti::runtime::cluster
