#include "runtime/daemon/actions_part.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/text.h"
#include "runtime/daemon/forward.h"
#include "runtime/daemon/part_fields.h"
#include "runtime/engine/instant.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

constexpr size_t kMaxCursorNodes = 1000;
constexpr size_t kMaxNodeName = 255;

/// An incarnation: 1 to 32 hex digits.
bool IsIncarnation(std::string_view text) {
  return !text.empty() && text.size() <= 32 &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

/// The instant an action was made at (its `at`); the earliest when unreadable.
Instant MadeAt(const Json& action) {
  const Json* at = action.contains("at") ? &action["at"] : nullptr;
  std::optional<Instant> t = at && at->is_string() ? ParseInstant(at->get<std::string>()) : std::nullopt;
  return t.value_or(INT64_MIN);
}

}  // namespace

std::optional<ActionsCursor> ParseActionsCursor(std::string_view text) {
  ActionsCursor cursor;
  if (text.empty() || text == "0") return cursor;
  if (text[0] != 'c') return std::nullopt;
  text.remove_prefix(1);
  while (!text.empty()) {
    size_t end = std::min(text.find('-'), text.size());
    std::string_view item = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    size_t dot = item.find('.'), dot2 = dot == std::string_view::npos ? dot : item.find('.', dot + 1);
    if (dot2 == std::string_view::npos || cursor.nodes.size() == kMaxCursorNodes) return std::nullopt;
    auto node = dot == 0 ? std::nullopt : FromHex(item.substr(0, dot), kMaxNodeName);
    std::string_view incarnation = item.substr(dot + 1, dot2 - dot - 1), seq = item.substr(dot2 + 1);
    ActionsCursor::Place place{std::string(incarnation), 0};
    auto [p, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), place.seq);
    if (!node || !IsIncarnation(incarnation) || ec != std::errc() || p != seq.data() + seq.size() ||
        !cursor.nodes.emplace(*node, std::move(place)).second)
      return std::nullopt;
  }
  return cursor;
}

std::string FormatActionsCursor(const ActionsCursor& cursor) {
  std::string out = "c";
  for (const auto& [node, place] : cursor.nodes) {
    if (out.size() > 1) out += '-';
    out += HexOf(node) + "." + place.incarnation + "." + std::to_string(place.seq);
  }
  return out;
}

std::string EncodeActionsPart(const std::string& node, const std::string& incarnation,
                              const std::vector<std::string>& lines, uint64_t next, uint64_t trimmed) {
  std::string out = "{\"node\":" + Json(node).dump(-1, ' ', false, Json::error_handler_t::replace) +
                    ",\"incarnation\":" + Json(incarnation).dump() + ",\"next\":" + std::to_string(next) +
                    ",\"trimmed\":" + std::to_string(trimmed) + ",\"actions\":[";
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "," : "") + lines[i];
  return out + "]}";
}

std::optional<ActionsPart> DecodeActionsPart(std::string_view text) {
  // Bounded as a node's answer is (an action's content nests as deep as an
  // input may, 64, two levels down), then read again keeping the order of
  // each action's fields.
  if (!ParseJsonInput(text, JsonLimits{kMaxForwardedBytes, 72}).ok()) return std::nullopt;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const char* key : {"node", "incarnation", "next", "trimmed", "actions"})
    if (!j.contains(key)) return std::nullopt;
  ActionsPart part;
  if (!part_fields::Text(j["node"], &part.node) || part.node.empty() || part.node.size() > kMaxNodeName ||
      !part_fields::Text(j["incarnation"], &part.incarnation) || !IsIncarnation(part.incarnation) ||
      !part_fields::Count(j["next"], &part.next) || !part_fields::Count(j["trimmed"], &part.trimmed) ||
      !j["actions"].is_array())
    return std::nullopt;
  for (const Json& a : j["actions"]) {
    uint64_t seq = 0;
    if (!a.is_object() || !a.contains("seq") || !part_fields::Count(a["seq"], &seq) || !a.contains("at") ||
        !a["at"].is_string())
      return std::nullopt;
    part.actions.push_back(a);
  }
  return part;
}

ActionsPage MergeActionsParts(std::vector<ActionsPart> parts, const ActionsCursor& after, size_t limit) {
  ActionsPage page;
  // Each node's place after the page: its last action shown, or, when all
  // it sent was shown, the last number it looked at.
  std::vector<size_t> shown(parts.size());
  std::vector<uint64_t> last(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    page.trimmed += parts[i].trimmed;
    auto it = after.nodes.find(parts[i].node);
    last[i] = it != after.nodes.end() && it->second.incarnation == parts[i].incarnation ? it->second.seq : 0;
  }
  // Merged head by head, so that what is taken of a node is always the
  // start of its list, in its outbox's order (a node's actions come from
  // partitions with clocks of their own: their times need not grow).
  while (page.actions.size() < limit) {
    size_t best = parts.size();
    Instant best_at = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (shown[i] == parts[i].actions.size()) continue;
      Instant at = MadeAt(parts[i].actions[shown[i]]);
      if (best == parts.size() || std::tie(at, parts[i].node) < std::tie(best_at, parts[best].node))
        best = i, best_at = at;
    }
    if (best == parts.size()) break;
    Json& a = parts[best].actions[shown[best]++];
    last[best] = a["seq"].get<uint64_t>();
    a["node"] = parts[best].node;
    page.actions.push_back(std::move(a));
  }
  ActionsCursor next;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (shown[i] == parts[i].actions.size()) last[i] = std::max(last[i], parts[i].next);
    next.nodes[parts[i].node] = {parts[i].incarnation, last[i]};
  }
  page.next = FormatActionsCursor(next);
  return page;
}

}  // namespace tutti::runtime
