#include "runtime/cluster/client.h"

#include <set>

#include "base/text.h"

namespace tutti::runtime::cluster {

namespace {

/// Properties whose value correctness depends on: this file sets them.
const std::set<std::string>& OwnedProperties() {
  static const std::set<std::string> owned = {
      "bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks", "request.required.acks",
      "isolation.level",   "partitioner",          "group.id",           "enable.auto.commit",
      "transactional.id",  "enable.partition.eof", "dr_msg_cb",          "dr_cb"};
  return owned;
}

}  // namespace

Result<ConfPtr> MakeConf(const KafkaSettings& settings, const std::map<std::string, std::string>& ours) {
  if (settings.brokers.empty()) return Status::Invalid("kafka: 'brokers' is empty");
  ConfPtr conf(rd_kafka_conf_new());
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

Status FromKafka(rd_kafka_resp_err_t err, const std::string& what) {
  return Status::Unavailable(what + ": " + rd_kafka_err2str(err));
}


}  // namespace tutti::runtime::cluster
