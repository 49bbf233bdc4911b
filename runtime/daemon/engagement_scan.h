#pragma once
// The director's figures (GET /v1/engagement and /v1/accounts,
// engagement.cc) as one pass over the interaction histories counts them:
// per bucket of a window, by channel, event, journey, role and account.
// One daemon scans each shard and adds the scans up; on a cluster each
// node scans the partitions it runs and sends its part to the node asked
// (GET /v1/cluster/engagement, as JSON), which adds the parts up the same
// way. A part is read back from another node's answer, so checked for
// shape and bounded by its bytes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct EngagementRoles;

/// [from, to) in buckets of `width` (a day or a week); at most 1,000
/// buckets (EngagementWindowOf, http_api.h).
struct EngagementWindow {
  Instant from = 0, to = 0, width = 7 * kNanosPerDay;
  bool operator==(const EngagementWindow&) const = default;
};

/// The most buckets a window may have.
constexpr int64_t kMaxEngagementBuckets = 1000;

/// How many buckets `w` has (the last may be cut short by `to`); 0 when
/// `w` is empty or has more than kMaxEngagementBuckets.
size_t BucketsOf(const EngagementWindow& w);

struct EngagementScan {
  EngagementWindow window;
  const EngagementRoles* table = nullptr;
  /// The table's digest: parts are added up only when they were counted by
  /// the same setting.
  std::string table_digest;
  std::vector<std::string> roles;  // the table's roles, sorted, then "other"
  size_t buckets = 0;
  // GET /v1/engagement
  struct Channel {
    size_t role = 0;
    std::vector<uint64_t> actions;  // per bucket
  };
  std::map<std::string, Channel> channels;
  struct Event {
    size_t role = 0;
    bool response = false;  // an event the table names as a response
    std::vector<uint64_t> count;
  };
  std::map<std::string, Event> events;  // by type
  struct JourneyFigures {
    std::vector<uint64_t> actions;
    uint64_t customers = 0, responded = 0;
  };
  std::map<std::string, JourneyFigures> journeys;
  std::vector<std::vector<uint64_t>> role_actions, role_responses;
  std::vector<uint64_t> engaged;  // customers with a response, per bucket
  uint64_t engaged_total = 0;
  // GET /v1/accounts: by account key
  struct AccountFigures {
    std::string name, kind, region;
    uint64_t prescribers = 0, actions = 0, responses = 0, engaged = 0, formulary_wins = 0;
    std::map<std::string, uint64_t> specialties;
    /// What each journey did with the account's prescribers.
    struct Campaign {
      uint64_t reached = 0, responded = 0;
      Instant first = INT64_MAX;  // its first action to one of them
    };
    std::map<std::string, Campaign> campaigns;
  };
  std::map<std::string, AccountFigures> accounts;
};

/// A cluster node's part: the scan of the partitions it runs. The profiles'
/// figures (an account's name, prescribers and specialties) are counted
/// once, by the part that holds partition 0 (every partition holds every
/// profile).
struct EngagementPart {
  std::vector<int32_t> partitions;
  EngagementScan scan;
};

std::string EncodeEngagementPart(const EngagementPart& part);
/// Nullopt when `text` is not a part: partitions numbered up to 99,999,
/// a window of days or weeks, at most kMaxEngagementBuckets of them,
/// every series that long, role
/// numbers within `roles`, counts from 0 to 2^53. The scan's `table` is
/// left for the reader to set.
std::optional<EngagementPart> DecodeEngagementPart(std::string_view text);

}  // namespace tutti::runtime
