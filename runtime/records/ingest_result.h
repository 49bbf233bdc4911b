#pragma once
// What became of a batch of NDJSON records given to the daemon (POST
// /v1/events, /v1/profiles, the streaming port), line by line: the answer
// the single daemon and a cluster node give alike.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace tutti::runtime {

struct IngestResult {
  /// 200 some accepted, 400 none acceptable, 503 the log (or Kafka)
  /// refused the write: then none was taken.
  int status = 200;
  size_t accepted = 0, refused = 0;
  /// Per non-blank line: (line number, why it was refused; empty if accepted).
  std::vector<std::pair<size_t, std::string>> lines;
  std::string error;  // for the whole batch, if any
};

}  // namespace tutti::runtime
