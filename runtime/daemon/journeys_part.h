#pragma once
// A node's part of GET /v1/journeys on a cluster (cluster_reads.cc): the
// partitions it runs, the latest of their clocks, and every journey
// version they run with its counts added up over them, as the node sends
// it to the node gathering the parts (GET /v1/cluster/journeys, in the
// snapshot codec's encoding). Read back from another node's answer, so
// bounded by its bytes: every count is checked against what is left.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct JourneysPart {
  enum Status : uint8_t { kRunning = 0, kPaused = 1, kRetired = 2 };
  /// One version of a journey (by name and VersionId), as JourneyRow with
  /// its counts still encoded (EncodeJourneyStats).
  struct Journey {
    std::string name, version_id;
    uint8_t status = kRunning;  // the lowest of the partitions': running anywhere is running
    int64_t active = 0;
    std::vector<int64_t> waiting;  // by step
    std::string stats;
  };
  std::vector<int32_t> partitions;
  Instant now = INT64_MIN;
  std::vector<Journey> journeys;
};

std::string EncodeJourneysPart(const JourneysPart& part);
/// Nullopt when `bytes` are not a part (partitions numbered up to 99,999).
std::optional<JourneysPart> DecodeJourneysPart(std::string_view bytes);

}  // namespace tutti::runtime
