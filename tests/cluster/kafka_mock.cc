// A Kafka cluster for the cluster tests, on loopback: librdkafka's mock
// cluster (rdkafka_mock.h) in this process, which real `tutti serve` nodes
// in other processes talk to over the Kafka protocol. It creates Tutti's
// topics, prints "bootstrap BROKERS" on stdout, then obeys commands on
// stdin, one per line, answering "ok" (or "error ...") to each:
//
//   down N            broker N (1-based) stops answering
//   up N              and comes back
//   errors API N ERR  the next N requests of API key API fail with ERR
//                     (Kafka error codes: 6 NOT_LEADER_FOR_PARTITION, ...)
//   topic NAME N      creates a topic of N partitions
//   quit              (or end of input) stops the cluster
//
//   kafka_mock [--brokers 3] [--partitions 6]
//
// Topics: tutti.inputs, tutti.actions, tutti.snapshots and
// tutti.dead-letters with --partitions each, tutti.control with one.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int brokers = 3, partitions = 6;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--brokers") == 0) brokers = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--partitions") == 0) partitions = std::atoi(argv[i + 1]);
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (host == nullptr) {
    std::fprintf(stderr, "kafka_mock: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
    return 1;
  }
  int replication = brokers < 3 ? brokers : 3;
  for (const char* topic : {"tutti.inputs", "tutti.actions", "tutti.snapshots", "tutti.dead-letters"})
    rd_kafka_mock_topic_create(cluster, topic, partitions, replication);
  rd_kafka_mock_topic_create(cluster, "tutti.control", 1, replication);
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (verb == "quit") break;
    if (verb == "down" || verb == "up") {
      int n = 0;
      words >> n;
      err = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, n) : rd_kafka_mock_broker_set_up(cluster, n);
    } else if (verb == "errors") {
      int api = 0, count = 0, code = 0;
      words >> api >> count >> code;
      std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count), static_cast<rd_kafka_resp_err_t>(code));
      rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(api), errors.size(), errors.data());
    } else if (verb == "topic") {
      std::string name;
      int n = 0;
      words >> name >> n;
      err = rd_kafka_mock_topic_create(cluster, name.c_str(), n, replication);
    } else if (!verb.empty()) {
      std::printf("error unknown command '%s'\n", verb.c_str());
      std::fflush(stdout);
      continue;
    }
    if (err) std::printf("error %s\n", rd_kafka_err2str(err));
    else std::printf("ok\n");
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
