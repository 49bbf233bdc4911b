#pragma once
// Reading a part another cluster node sent (tasks_part.h,
// engagement_scan.h, ...): its answer taken or refused as a whole
// (ReadPart), and its fields, each check taking a JSON value and, when it
// has the expected shape and range, storing it and answering true.

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "runtime/daemon/reply.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime::part_fields {

/// The largest count a part carries (a double holds it exactly).
inline constexpr int64_t kMaxCount = int64_t{1} << 53;
/// The highest partition number a part may name.
inline constexpr int32_t kMaxPartition = 99999;

/// A whole number from 0 to kMaxCount.
template <typename Int>
bool Count(const Json& j, Int* out) {
  if (!j.is_number_integer()) return false;
  if (j.is_number_unsigned() ? j.get<uint64_t>() > static_cast<uint64_t>(kMaxCount)
                             : j.get<int64_t>() < 0 || j.get<int64_t>() > kMaxCount)
    return false;
  *out = static_cast<Int>(j.get<int64_t>());
  return true;
}

/// Any 64-bit signed whole number (an Instant).
inline bool Time(const Json& j, Instant* out) {
  if (!j.is_number_integer() || (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{INT64_MAX})) return false;
  *out = j.get<int64_t>();
  return true;
}

inline bool Text(const Json& j, std::string* out) {
  if (!j.is_string()) return false;
  *out = j.get<std::string>();
  return true;
}

/// An array of exactly `n` items.
inline bool Row(const Json& j, size_t n) { return j.is_array() && j.size() == n; }

/// An array of partition numbers, each from 0 to kMaxPartition.
inline bool Partitions(const Json& j, std::vector<int32_t>* out) {
  if (!j.is_array()) return false;
  for (const Json& p : j) {
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > kMaxPartition) return false;
    out->push_back(static_cast<int32_t>(p.get<int64_t>()));
  }
  return true;
}

/// An array of exactly `n` counts.
inline bool Series(const Json& j, size_t n, std::vector<uint64_t>* out) {
  if (!Row(j, n)) return false;
  out->resize(n);
  for (size_t i = 0; i < n; ++i)
    if (!Count(j[i], &(*out)[i])) return false;
  return true;
}

/// The answer while parts cannot be added up: the client tries again.
inline Reply Moving(const std::string& why) {
  return TryAgain(why + ": try again (a partition that moves is taken over within seconds)", 1);
}

/// A node's answer to a part read: the part, or the reply the reader gets
/// instead (a refusal of its token, method or request, or a 503 to try
/// again).
template <typename Part>
std::optional<Reply> ReadPart(const Reply& answer, const char* content_type,
                              std::optional<Part> (*decode)(std::string_view), std::vector<Part>* parts) {
  if (answer.status == 400 || answer.status == 401 || answer.status == 405) return answer;
  if (answer.status != 200) return Moving("a node could not give its partitions' part");
  auto part = answer.content_type == content_type ? decode(answer.body) : std::nullopt;
  if (!part) return Moving("a node's part could not be read (another build of Tutti?)");
  parts->push_back(std::move(*part));
  return std::nullopt;
}

}  // namespace tutti::runtime::part_fields
