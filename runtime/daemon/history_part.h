#pragma once
// A page of an account's history on a Kafka cluster (GET
// /v1/accounts/{id}/history, docs/cluster.md "Reads"). The account's
// history is spread over every partition: each holds the entries about its
// own prescribers, and the account's partition the account's own events.
// Each node answers GET /v1/cluster/accounts/{id}/history with its
// partitions' part (the entries after the page's cursor, rendered); the
// node asked merges the parts into one page, in the order (time,
// partition, place in the partition), and hands out the cursor of the
// next. A part is read back from another node's answer, so checked for
// shape and bounded by its bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/daemon/reply.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

/// A place in the merged history: the `n`th entry (from 1) at instant `at`
/// of partition `partition`'s part, or, as a cursor, the place after which
/// the next page starts. Partition -1 is before every partition's entries
/// at `at` (the start of a window).
struct HistoryPlace {
  Instant at = INT64_MIN;
  int32_t partition = -1;
  uint64_t n = 0;
  auto operator<=>(const HistoryPlace&) const = default;
};

/// "c" AT "." PARTITION "." N, as the API hands it out; nullopt for
/// anything else ("" is the start).
std::optional<HistoryPlace> ParseHistoryPlace(std::string_view text);
std::string FormatHistoryPlace(const HistoryPlace& place);

struct HistoryPart {
  std::vector<int32_t> partitions;
  /// Whether some partition knows the account.
  bool found = false;
  /// The entries the filter lets through after the cursor, in order,
  /// at most limit + 1 per partition.
  struct Entry {
    HistoryPlace place;
    Json json;
  };
  std::vector<Entry> entries;
  /// Where a partition stopped reading before its end (limit + 1 entries
  /// shown, or a scan's worth of entries the filter left out): nothing
  /// after it is known. Partitions read to their end are not listed.
  std::vector<HistoryPlace> stops;
};

std::string EncodeHistoryPart(const HistoryPart& part);
/// Nullopt when `text` is not a part (partitions numbered up to 99,999,
/// every entry an object at a place of one of them).
std::optional<HistoryPart> DecodeHistoryPart(std::string_view text);

/// The page of at most `limit` entries the parts make after `after`, in
/// order: every entry up to the first place some part stopped at (what a
/// part names at or before `after` is left out). `next` is the cursor of
/// the page after it, empty when the parts were read to their end.
struct HistoryPage {
  std::vector<Json> entries;
  std::string next;
};
HistoryPage MergeHistoryParts(std::vector<HistoryPart> parts, const HistoryPlace& after, size_t limit);

}  // namespace tutti::runtime
