#include "runtime/cluster/topic_records.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "runtime/engine/choice.h"
#include "runtime/engine/email_address.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime::cluster {

using Json = nlohmann::json;

namespace {

constexpr std::string_view kOwnPrefix = "{\"tutti\":";
// A record of Tutti's own is small: anything longer is not one.
constexpr size_t kMaxOwnBytes = 1024;

Input Refused(std::string why) {
  Input in;
  in.kind = Input::Kind::kRefused;
  in.why = std::move(why);
  return in;
}

}  // namespace

Input ReadInput(const SchemaTable& schemas, std::string_view value, std::optional<Instant> default_at) {
  if (value.substr(0, kOwnPrefix.size()) == kOwnPrefix) {
    if (value.size() > kMaxOwnBytes) return Refused("a record of Tutti's own longer than 1,024 bytes");
    Json j = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    Input in;
    if (j.is_object() && j.size() == 2 && j["tutti"] == "clock" && j.contains("at_ns") && j["at_ns"].is_number_integer()) {
      in.kind = Input::Kind::kClock;
      in.clock = j["at_ns"].get<int64_t>();
      return in;
    }
    if (j.is_object() && j.size() == 2 && j["tutti"] == "version" && j.contains("fingerprint") &&
        j["fingerprint"].is_string() && j["fingerprint"].get_ref<const std::string&>().size() <= 64) {
      in.kind = Input::Kind::kVersion;
      in.version = j["fingerprint"].get<std::string>();
      return in;
    }
    if (j.is_object() && j.size() == 3 && j["tutti"] == "pause" && j.contains("journey") && j["journey"].is_string() &&
        j["journey"].get_ref<const std::string&>().size() <= kMaxJourneyNameBytes && j.contains("paused") &&
        j["paused"].is_boolean()) {
      in.kind = Input::Kind::kPause;
      in.journey = j["journey"].get<std::string>();
      in.paused = j["paused"].get<bool>();
      return in;
    }
    return Refused("a record of Tutti's own that is none of {\"tutti\": \"clock\", \"at_ns\": N}, "
                   "{\"tutti\": \"version\", \"fingerprint\": F} and "
                   "{\"tutti\": \"pause\", \"journey\": J, \"paused\": B}");
  }
  DecodeOptions options;
  options.accept = Accept::kEither;
  if (default_at) options.default_at = ToTimestamp(*default_at);
  DecodeResult decoded = DecodeLine(schemas, value, 1, options);
  if (decoded.blank()) return Refused("an empty record");
  if (!decoded.ok()) {
    const DecodeError& e = decoded.error();
    std::string why = e.message;
    if (e.column) why = "column " + std::to_string(e.column) + ": " + why;
    return Refused(why);
  }
  Input in;
  in.kind = Input::Kind::kRecord;
  in.record = std::move(decoded.record());
  if (in.record.at && !ToInstant(*in.record.at)) return Refused("its time is outside the engine's range (1678 to 2261)");
  return in;
}

Origin ReadOrigin(std::string_view header, int32_t partitions) {
  Origin origin;
  if (header.empty()) return origin;
  if (header == kEverywhereOrigin) {
    origin.kind = Origin::Kind::kEverywhere;
    return origin;
  }
  origin.kind = Origin::Kind::kBad;
  size_t colon = header.find(':');
  if (header.size() > kMaxOriginBytes || colon == std::string_view::npos) return origin;
  auto number = [](std::string_view digits, int64_t max) -> int64_t {
    if (digits.empty() || digits.size() > 19) return -1;
    uint64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n > static_cast<uint64_t>(max) ? -1 : static_cast<int64_t>(n);
  };
  int64_t partition = number(header.substr(0, colon), partitions - 1);
  int64_t offset = number(header.substr(colon + 1), INT64_MAX);
  if (partition < 0 || offset < 0) return origin;
  origin.kind = Origin::Kind::kForwarded;
  origin.partition = static_cast<int32_t>(partition);
  origin.offset = offset;
  return origin;
}

std::string ForwardedOrigin(int32_t partition, int64_t offset) {
  return std::to_string(partition) + ":" + std::to_string(offset);
}

std::string ClockValue(Instant to) { return "{\"tutti\":\"clock\",\"at_ns\":" + std::to_string(to) + "}"; }

std::string VersionMarkerValue(const std::string& fingerprint) {
  // "tutti" first: that is how a record of Tutti's own is told (ReadInput).
  return "{\"tutti\":\"version\",\"fingerprint\":" + Json(fingerprint).dump() + "}";
}

std::string PauseValue(const std::string& journey, bool paused) {
  // "tutti" first: that is how a record of Tutti's own is told (ReadInput).
  return "{\"tutti\":\"pause\",\"journey\":" + Json(journey).dump() + ",\"paused\":" + (paused ? "true" : "false") +
         "}";
}

std::string VersionValue(const Version& version) {
  Json files = Json::array();
  for (const auto& [path, text] : version.files) files.push_back(Json::array({path, text}));
  return Json{{"tutti", "version"}, {"fingerprint", version.fingerprint}, {"files", files}}.dump();
}

std::optional<Version> ReadVersion(std::string_view value) {
  if (value.size() > (64u << 20)) return std::nullopt;
  Json j = Json::parse(value, nullptr, false);
  if (!j.is_object() || j["tutti"] != "version" || !j["fingerprint"].is_string() || !j["files"].is_array())
    return std::nullopt;
  Version v;
  v.fingerprint = j["fingerprint"].get<std::string>();
  for (const Json& f : j["files"]) {
    if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_string()) return std::nullopt;
    v.files.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
  }
  return v;
}

std::string MemberValue(const Member& member) {
  return Json{{"tutti", "member"},
              {"node", member.node},
              {"api", member.api},
              {"partitions", member.partitions},
              {"deliveries", member.deliveries}}
      .dump();
}

std::optional<Member> ReadMember(std::string_view value) {
  if (value.size() > (64u << 10)) return std::nullopt;
  Json j = Json::parse(value, nullptr, false);
  if (!j.is_object() || j["tutti"] != "member" || !j["node"].is_string() || !j["api"].is_string() ||
      !j["partitions"].is_array())
    return std::nullopt;
  auto printable = [](const std::string& text, unsigned char lowest) {
    return text.size() <= 255 &&
           std::all_of(text.begin(), text.end(), [lowest](unsigned char c) { return c >= lowest && c < 0x7f; });
  };
  Member m{j["node"].get<std::string>(), j["api"].get<std::string>(), {}, {}};
  if (m.node.empty() || !printable(m.node, 0x20) || !printable(m.api, 0x21)) return std::nullopt;
  auto read_partitions = [](const Json& list, std::vector<int32_t>* out) {
    for (const Json& p : list) {
      if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > 99999) return false;
      out->push_back(p.get<int32_t>());
    }
    return true;
  };
  if (!read_partitions(j["partitions"], &m.partitions)) return std::nullopt;
  // Absent from an older build's announcement: none known.
  if (j.contains("deliveries") &&
      (!j["deliveries"].is_array() || !read_partitions(j["deliveries"], &m.deliveries)))
    return std::nullopt;
  return m;
}

std::string InputValue(std::string_view line, std::optional<Instant> at) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t brace = line.find('{');  // the decoder took it: an object, after blanks at most
  std::string out(line.substr(0, brace + 1));
  if (at) out += "\"at\":\"" + compiler::eval::FormatTimestamp(ToTimestamp(*at)) + "\",";
  out += line.substr(brace + 1);
  return out;
}

namespace {

constexpr std::string_view kActionKey = ",\"action\":";
constexpr std::string_view kAgain = "{\"again\":true,";
// The marks, an address (at most 254 bytes, escaped) and the why come first.
constexpr size_t kMaxHead = 2 * kMaxWhyBytes + 8192;  // the why escaped: at most twice as long

std::string ActionValueOf(const ActionMark& mark, std::string_view address, std::string_view json,
                          std::string_view why) {
  std::string value = "{\"partition\":" + std::to_string(mark.partition) + ",\"seq\":" + std::to_string(mark.seq) +
                      ",\"source_offset\":" + std::to_string(mark.source_offset);
  if (!address.empty())
    value += ",\"address\":" + Json(std::string(address)).dump(-1, ' ', false, Json::error_handler_t::replace);
  // As a JSON text: escaped, it can never hold the `,"action":` that ends the head.
  if (!why.empty()) value += ",\"why\":" + Json(std::string(why)).dump(-1, ' ', false, Json::error_handler_t::replace);
  return value.append(kActionKey).append(json).append("}");
}

}  // namespace

std::string ActionValue(const Decision& action, int32_t partition, uint64_t seq, int64_t source_offset,
                        const std::string& address, const std::string& why) {
  return ActionValueOf({partition, seq, source_offset}, address, ToJson(action), why);
}

std::string ActionWhy(const Decision& action, const compiler::ir::Journey* journey) {
  if (action.checks.empty() && (action.choices.empty() || journey == nullptr)) return "";
  using Ordered = nlohmann::ordered_json;
  Ordered checks = Ordered::array();
  for (const PolicyCheck& c : action.checks) checks.push_back(CheckText(c));
  Ordered why{{"choices", journey ? ChoicesJson(action.choices, *journey) : Ordered::array()}, {"policy", checks}};
  std::string text = why.dump(-1, ' ', false, Ordered::error_handler_t::replace);
  if (text.size() <= kMaxWhyBytes) return text;
  // Too long: the rules are kept, the choices left out.
  why["choices"] = Ordered::array();
  text = why.dump(-1, ' ', false, Ordered::error_handler_t::replace);
  return text.size() <= kMaxWhyBytes ? text : "";
}

std::string ActionValueAgain(const ActionMark& mark, std::string_view address, std::string_view json,
                             std::string_view why) {
  return std::string(kAgain) + ActionValueOf(mark, address, json, why).substr(1);
}

std::optional<ActionMark> ReadActionMark(std::string_view value) {
  // Only the head is read: the marks come before the action itself.
  constexpr std::string_view kHead = "{\"partition\":";
  if (value.substr(0, kHead.size()) != kHead) return std::nullopt;
  size_t end = value.substr(0, kMaxHead + kActionKey.size()).find(kActionKey);
  if (end == std::string_view::npos || end > kMaxHead) return std::nullopt;
  Json j = Json::parse(std::string(value.substr(0, end)) + "}", nullptr, false);
  if (!j.is_object() || !j["partition"].is_number_unsigned() || !j["seq"].is_number_unsigned() ||
      !j["source_offset"].is_number_unsigned())
    return std::nullopt;
  uint64_t partition = j["partition"].get<uint64_t>(), offset = j["source_offset"].get<uint64_t>();
  if (partition > INT32_MAX || offset > INT64_MAX) return std::nullopt;
  return ActionMark{static_cast<int32_t>(partition), j["seq"].get<uint64_t>(), static_cast<int64_t>(offset)};
}

namespace {

template <typename AnyJson>
std::string Text(const AnyJson& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->template get<std::string>() : "";
}

using OrderedJson = nlohmann::ordered_json;

/// A var's value as ToJsonValue wrote it, read back so that ToJsonValue
/// writes it the same way again (a time or a duration comes back as its
/// text, as it was written). `j` was parsed with a depth limit.
compiler::eval::Value VarValue(const OrderedJson& j) {
  using compiler::eval::Value;
  switch (j.type()) {
    case OrderedJson::value_t::boolean: return Value(j.get<bool>());
    case OrderedJson::value_t::number_integer: return Value(j.get<int64_t>());
    case OrderedJson::value_t::number_unsigned: return Value(j.get<uint64_t>());
    case OrderedJson::value_t::number_float: return Value(j.get<double>());
    case OrderedJson::value_t::string: return Value(j.get<std::string>());
    case OrderedJson::value_t::array: {
      compiler::eval::List list;
      for (const OrderedJson& e : j) list.push_back(VarValue(e));
      return Value(std::move(list));
    }
    case OrderedJson::value_t::object: {
      auto map = std::make_shared<compiler::eval::MapValue>();
      for (const auto& [k, e] : j.items()) (void)map->Insert(Value(k), VarValue(e));
      return Value(std::shared_ptr<const compiler::eval::MapValue>(std::move(map)));
    }
    default: return Value();
  }
}

}  // namespace

std::optional<Decision> ReadActionFields(const nlohmann::ordered_json& action) {
  if (!action.is_object() || Text(action, "decision") != "action") return std::nullopt;
  Decision d;
  auto instant = [&](const char* key) -> std::optional<Instant> {
    std::string text = Text(action, key);
    return text.empty() ? std::nullopt : ParseInstant(text);
  };
  auto number = [&](const char* key) -> std::optional<uint64_t> {
    auto it = action.find(key);
    if (it == action.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  };
  d.at = instant("at").value_or(0);
  d.due = instant("due");
  d.version = static_cast<int64_t>(std::min<uint64_t>(number("version").value_or(0), INT64_MAX));
  d.version_id = Text(action, "version_id");
  d.cause = Text(action, "cause");
  d.input = number("input");
  d.entered_by = number("entered_by");
  d.journey = Text(action, "journey");
  d.customer = Text(action, "customer");
  d.step = Text(action, "step");
  d.channel = Text(action, "channel");
  // A task or notification has a kind (and a channel when it went `via`
  // one); a send has none.
  std::string kind = Text(action, "kind");
  bool send = kind.empty();
  d.action = send ? "send" : kind;
  d.content = send ? Text(action, "template") : Text(action, "text");
  d.recipient = send ? Text(action, "to") : Text(action, "assignee");
  d.idempotency_key = Text(action, "idempotency_key");
  if (d.idempotency_key.empty() || (send && d.channel.empty())) return std::nullopt;
  d.approval = Text(action, "approval");
  if (auto vars = action.find("vars"); send && vars != action.end() && vars->is_object())
    for (const auto& [name, value] : vars->items()) d.vars.emplace_back(name, VarValue(value));
  if (auto m = action.find("message"); send && m != action.end() && m->is_object())
    d.message = RenderedMessage{Text(*m, "locale"), Text(*m, "subject"), Text(*m, "text"), Text(*m, "html")};
  return d;
}

std::optional<ActionToDeliver> ReadAction(std::string_view value) {
  // An action sent again is read as the action it sends.
  std::string again;
  if (value.substr(0, kAgain.size()) == kAgain) {
    again = "{" + std::string(value.substr(kAgain.size()));
    value = again;
  }
  std::optional<ActionMark> mark = ReadActionMark(value);
  if (!mark) return std::nullopt;
  auto parsed = ParseJsonInput(value, {1 << 20, 64});
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const Json& j = *parsed;
  if (!j.contains("action")) return std::nullopt;
  ActionToDeliver out;
  // The action's own bytes: the value is a whole object, and the first
  // `,"action":` outside a string is the one after the head.
  size_t at = value.find(kActionKey) + kActionKey.size(), close = value.find_last_of('}');
  out.json = std::string(value.substr(at, close - at));
  // Read again with its keys in their order (the vars'), within the
  // limits the whole value was just read with.
  std::optional<Decision> fields = ReadActionFields(OrderedJson::parse(out.json, nullptr, false));
  if (!fields) return std::nullopt;
  out.mark = *mark;
  out.action = std::move(*fields);
  // ActionWhy's text as written (its keys in their order), when it is one.
  if (auto why = j.find("why"); why != j.end() && why->is_string() && why->get_ref<const std::string&>().size() <= kMaxWhyBytes)
    out.why = why->get<std::string>();
  // Bytes from the topic, on their way into an SMTP command: an address
  // that is not one safe address is none (the e-mail is not sent).
  out.address = Text(j, "address");
  if (!out.address.empty() && !UsableEmailAddress(out.address)) out.address.clear();
  return out;
}

std::string DeadLetterValue(int32_t partition, int64_t offset, std::string_view why) {
  return Json{{"source_partition", partition}, {"source_offset", offset}, {"reason", Printable(why, 1000)}}.dump();
}

std::vector<Record> SnapshotRecords(int32_t partition, int64_t offset, const std::string& fingerprint,
                                    const std::vector<std::string>& versions, std::string_view state,
                                    size_t chunk_bytes, int32_t topic_partition,
                                    const std::map<int32_t, int64_t>& copies_seen) {
  size_t chunks = std::max<size_t>(1, (state.size() + chunk_bytes - 1) / chunk_bytes);
  std::vector<Record> out;
  for (size_t i = 0; i < chunks; ++i) {
    Json header{{"partition", partition}, {"offset", offset}, {"chunk", i}, {"chunks", chunks},
                {"fingerprint", fingerprint}};
    if (i == 0) header["versions"] = versions;
    if (i == 0 && !copies_seen.empty()) {
      Json seen = Json::array();
      for (auto [p, offset] : copies_seen) seen.push_back({p, offset});
      header["copies_seen"] = std::move(seen);
    }
    std::string value = header.dump() + "\n";
    value += state.substr(i * chunk_bytes, chunk_bytes);
    out.push_back({std::to_string(partition) + ":" + std::to_string(i), std::move(value), topic_partition});
  }
  return out;
}

std::optional<SnapshotChunk> ReadSnapshotChunk(std::string_view value) {
  size_t nl = value.find('\n');
  if (nl == std::string_view::npos || nl > (64u << 10)) return std::nullopt;
  Json h = Json::parse(value.substr(0, nl), nullptr, false);
  if (!h.is_object() || !h["partition"].is_number_unsigned() || !h["offset"].is_number_unsigned() ||
      !h["chunk"].is_number_unsigned() || !h["chunks"].is_number_unsigned() || !h["fingerprint"].is_string())
    return std::nullopt;
  SnapshotChunk c;
  uint64_t partition = h["partition"].get<uint64_t>(), offset = h["offset"].get<uint64_t>();
  uint64_t chunk = h["chunk"].get<uint64_t>(), chunks = h["chunks"].get<uint64_t>();
  if (partition > INT32_MAX || offset > INT64_MAX || chunks == 0 || chunks > 1000000 || chunk >= chunks)
    return std::nullopt;
  c.partition = static_cast<int32_t>(partition);
  c.offset = static_cast<int64_t>(offset);
  c.chunk = static_cast<uint32_t>(chunk);
  c.chunks = static_cast<uint32_t>(chunks);
  c.fingerprint = h["fingerprint"].get<std::string>();
  if (h.contains("versions")) {
    if (!h["versions"].is_array()) return std::nullopt;
    for (const Json& v : h["versions"]) {
      if (!v.is_string()) return std::nullopt;
      c.versions.push_back(v.get<std::string>());
    }
  }
  if (h.contains("copies_seen")) {
    if (!h["copies_seen"].is_array()) return std::nullopt;
    for (const Json& pair : h["copies_seen"]) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() || !pair[1].is_number_unsigned() ||
          pair[0].get<uint64_t>() > INT32_MAX || pair[1].get<uint64_t>() > INT64_MAX)
        return std::nullopt;
      c.copies_seen[static_cast<int32_t>(pair[0].get<uint64_t>())] = static_cast<int64_t>(pair[1].get<uint64_t>());
    }
  }
  c.bytes = std::string(value.substr(nl + 1));
  return c;
}

}  // namespace tutti::runtime::cluster
