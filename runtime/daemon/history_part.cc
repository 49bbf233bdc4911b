#include "runtime/daemon/history_part.h"

#include <algorithm>
#include <charconv>

#include "runtime/daemon/forward.h"
#include "runtime/daemon/part_fields.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

Json PlaceJson(const HistoryPlace& p) { return Json::array({p.at, p.partition, p.n}); }

/// A place of one of `partitions`, its entry counted from 1.
bool ReadPlace(const Json& j, const std::vector<int32_t>& partitions, HistoryPlace* out) {
  int64_t partition = 0;
  if (!part_fields::Row(j, 3) || !part_fields::Time(j[0], &out->at) || !part_fields::Count(j[1], &partition) ||
      !part_fields::Count(j[2], &out->n) || out->n == 0)
    return false;
  out->partition = static_cast<int32_t>(std::min<int64_t>(partition, INT32_MAX));
  return std::find(partitions.begin(), partitions.end(), out->partition) != partitions.end();
}

/// The whole of `text` as a number.
template <typename Int>
bool WholeNumber(std::string_view text, Int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<HistoryPlace> ParseHistoryPlace(std::string_view text) {
  if (text.empty()) return HistoryPlace{};
  if (text[0] != 'c') return std::nullopt;
  text.remove_prefix(1);
  size_t dot = text.find('.'), dot2 = dot == std::string_view::npos ? dot : text.find('.', dot + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  HistoryPlace p;
  if (!WholeNumber(text.substr(0, dot), &p.at) || !WholeNumber(text.substr(dot + 1, dot2 - dot - 1), &p.partition) ||
      !WholeNumber(text.substr(dot2 + 1), &p.n) || p.partition < -1 || p.partition > part_fields::kMaxPartition)
    return std::nullopt;
  return p;
}

std::string FormatHistoryPlace(const HistoryPlace& p) {
  return "c" + std::to_string(p.at) + "." + std::to_string(p.partition) + "." + std::to_string(p.n);
}

std::string EncodeHistoryPart(const HistoryPart& part) {
  Json entries = Json::array(), stops = Json::array();
  for (const HistoryPart::Entry& e : part.entries) entries.push_back({PlaceJson(e.place), e.json});
  for (const HistoryPlace& s : part.stops) stops.push_back(PlaceJson(s));
  Json out{{"partitions", part.partitions}, {"found", part.found}, {"entries", std::move(entries)},
           {"stops", std::move(stops)}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<HistoryPart> DecodeHistoryPart(std::string_view text) {
  // Bounded as a node's answer is (an entry's fields nest two deep), then
  // read again keeping the order of each entry's fields.
  if (!ParseJsonInput(text, JsonLimits{kMaxForwardedBytes, 6}).ok()) return std::nullopt;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const char* key : {"partitions", "found", "entries", "stops"})
    if (!j.contains(key)) return std::nullopt;
  HistoryPart part;
  if (!part_fields::Partitions(j["partitions"], &part.partitions) || !j["found"].is_boolean() ||
      !j["entries"].is_array() || !j["stops"].is_array())
    return std::nullopt;
  part.found = j["found"].get<bool>();
  for (const Json& e : j["entries"]) {
    HistoryPart::Entry entry;
    if (!part_fields::Row(e, 2) || !ReadPlace(e[0], part.partitions, &entry.place) || !e[1].is_object())
      return std::nullopt;
    entry.json = e[1];
    part.entries.push_back(std::move(entry));
  }
  for (const Json& s : j["stops"]) {
    HistoryPlace stop;
    if (!ReadPlace(s, part.partitions, &stop)) return std::nullopt;
    part.stops.push_back(stop);
  }
  return part;
}

HistoryPage MergeHistoryParts(std::vector<HistoryPart> parts, const HistoryPlace& after, size_t limit) {
  std::vector<HistoryPart::Entry> all;
  std::optional<HistoryPlace> stop;  // the first place a part stopped at
  // Only places after the cursor: the next page's is always further on.
  for (HistoryPart& part : parts) {
    for (HistoryPart::Entry& e : part.entries)
      if (after < e.place) all.push_back(std::move(e));
    for (const HistoryPlace& s : part.stops)
      if (after < s) stop = stop ? std::min(*stop, s) : s;
  }
  std::sort(all.begin(), all.end(),
            [](const HistoryPart::Entry& a, const HistoryPart::Entry& b) { return a.place < b.place; });
  HistoryPage page;
  size_t taken = 0;
  while (taken < all.size() && taken < limit && (!stop || all[taken].place <= *stop))
    page.entries.push_back(std::move(all[taken++].json));
  if (taken == limit && taken > 0) {
    // Full: more follow when some entry was left, or some part stopped.
    if (taken < all.size() || stop) page.next = FormatHistoryPlace(all[taken - 1].place);
  } else if (stop) {
    // Cut short where a part stopped reading: the next page goes on from there.
    page.next = FormatHistoryPlace(*stop);
  }
  return page;
}

}  // namespace tutti::runtime
