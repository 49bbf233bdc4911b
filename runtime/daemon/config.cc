#include "runtime/daemon/config.h"

#include <arpa/inet.h>
#include <algorithm>
#include <netinet/in.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "base/text.h"
#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/config_keys.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxConfigBytes = 1 << 20;

/// One route of `adapter`'s section: its own settings, then every route's.
Result<DeliveryRoute> ParseRoute(const json& h, const std::string& where, const ChannelAdapter& adapter) {
  if (!h.is_object()) return Status::Invalid(where + ": must be an object of settings");
  ConfigKeys keys(h, where);
  DeliveryRoute route;
  route.adapter = &adapter;
  TUTTI_ASSIGN_OR_RETURN(route.target, adapter.Configure(keys));
  TUTTI_TRY(keys.Int("max_attempts", 1, 1000, route.max_attempts));
  TUTTI_TRY(keys.Int("backoff_ms", 1, 86400000, route.backoff_ms));
  TUTTI_TRY(keys.Int("connect_timeout_ms", 1, 600000, route.connect_timeout_ms));
  TUTTI_TRY(keys.Int("timeout_ms", 1, 86400000, route.timeout_ms));
  TUTTI_TRY(keys.Int("concurrency", 1, 1024, route.concurrency));
  TUTTI_TRY(keys.Int("rate_per_second", 1, 1000000, route.rate_per_second));
  TUTTI_TRY(keys.NoneLeft(("(" + std::string(adapter.route_name()) + " takes " + adapter.keys() +
                           ", max_attempts, backoff_ms, connect_timeout_ms, timeout_ms, concurrency, rate_per_second)")
                              .c_str()));
  TUTTI_TRY(adapter.Validate(*route.target, where));
  return route;
}

/// The `kafka` object: cluster mode (docs/cluster.md).
/// The `engagement` setting: a table given replaces the stdlib's.
Status ParseEngagement(const json& e, const std::string& where, EngagementRoles& out) {
  if (!e.is_object()) return Status::Invalid(where + ": must be an object");
  ConfigKeys keys(e, where);
  // The stdlib's staff roles map onto its channels' roles: channel roles
  // of the company's own replace both, unless staff roles are given too.
  if (e.contains("channel_roles") && !e.contains("staff_roles")) out.staff.clear();
  for (auto [key, table] : {std::pair{"channel_roles", &out.channels}, std::pair{"responses", &out.responses},
                            std::pair{"staff_roles", &out.staff}}) {
    const json* t = keys.Find(key);
    if (t == nullptr) continue;
    if (!t->is_object() || t->size() > 1000) return keys.Wrong(key, "must map at most 1,000 names to roles");
    table->clear();
    for (const auto& [name, role] : t->items()) {
      auto printable = [](const std::string& text) {
        if (text.empty() || text.size() > 100) return false;
        for (unsigned char c : text)
          if (c < 0x20 || c == 0x7f) return false;
        return true;
      };
      if (!printable(name) || !role.is_string() || !printable(role.get<std::string>()))
        return keys.Wrong(key, "must map names to roles, each 1 to 100 printable characters");
      (*table)[name] = role.get<std::string>();
    }
  }
  TUTTI_TRY(keys.Number("response_window_days", 1, 365, [&](uint64_t n) { out.response_window_days = static_cast<int64_t>(n); }));
  return keys.NoneLeft("(docs/operations.md: engagement)");
}

Status ParseKafka(const json& k, const std::string& where, ServiceOptions& s) {
  if (!k.is_object()) return Status::Invalid(where + ": must be an object of settings");
  ConfigKeys keys(k, where);
  cluster::PartitionSettings& c = s.kafka;
  TUTTI_TRY(keys.Text("brokers", c.kafka.brokers));
  if (c.kafka.brokers.empty()) return Status::Invalid(where + ": needs \"brokers\": \"host:port[,host:port...]\"");
  TUTTI_TRY(keys.Text("group", c.group));
  TUTTI_TRY(keys.Text("node", s.node));
  TUTTI_TRY(keys.Text("advertise", s.advertise));
  TUTTI_TRY(keys.Text("peer_ca", s.peer_ca));
  auto printable = [](const std::string& text, unsigned char lowest) {
    return text.size() <= 255 &&
           std::all_of(text.begin(), text.end(), [lowest](unsigned char c) { return c >= lowest && c < 0x7f; });
  };
  if (!printable(s.node, 0x20)) return keys.Wrong("node", "must be at most 255 printable ASCII characters");
  if (!printable(s.advertise, 0x21) || (!s.advertise.empty() && s.advertise.find(':') == std::string::npos))
    return keys.Wrong("advertise", "must be host:port, at most 255 characters");
  int timeout_ms = static_cast<int>(c.timeout.count());
  TUTTI_TRY(keys.Int("timeout_ms", 1000, 600000, timeout_ms));
  c.timeout = std::chrono::milliseconds(timeout_ms);
  if (const json* topics = keys.Find("topics")) {
    if (!topics->is_object()) return keys.Wrong("topics", "must name topics: inputs, actions, snapshots, dead_letters, control");
    ConfigKeys t(*topics, where + ".topics");
    TUTTI_TRY(t.Text("inputs", c.topics.inputs));
    TUTTI_TRY(t.Text("actions", c.topics.actions));
    TUTTI_TRY(t.Text("snapshots", c.topics.snapshots));
    TUTTI_TRY(t.Text("dead_letters", c.topics.dead_letters));
    TUTTI_TRY(t.Text("control", c.topics.control));
    TUTTI_TRY(t.NoneLeft("(topics are inputs, actions, snapshots, dead_letters, control)"));
  }
  if (const json* props = keys.Find("librdkafka")) {
    // Passed to the client as they are (checked by CheckConfigFiles, which
    // asks librdkafka): strings, or numbers and booleans written as such.
    if (!props->is_object() || props->size() > 200)
      return keys.Wrong("librdkafka", "must be an object of at most 200 client properties");
    for (const auto& [key, value] : props->items()) {
      std::string text;
      if (value.is_string()) text = value.get<std::string>();
      else if (value.is_boolean()) text = value.get<bool>() ? "true" : "false";
      else if (value.is_number_integer()) text = value.dump();
      else return keys.Wrong("librdkafka." + Printable(key, 60), "must be a string, a whole number or a boolean");
      if (key.empty() || key.size() > 100 || !ValidUtf8(key) || !ValidUtf8(text) || text.size() > 4096)
        return keys.Wrong("librdkafka", "holds a property name or value that is not short printable text");
      c.kafka.librdkafka[key] = text;
    }
  }
  return keys.NoneLeft("(kafka takes brokers, group, node, advertise, peer_ca, timeout_ms, topics, librdkafka)");
}

}  // namespace

bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = text.substr(0, colon), p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long n = std::stoul(p);
  if (n > 65535) return false;
  // An IPv6 address is written in brackets ("[::1]:8080"); one without
  // them cannot be told from its port.
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  else if (h.find(':') != std::string::npos) return false;
  if (h.empty()) return false;
  *host = h;
  *port = static_cast<uint16_t>(n);
  return true;
}

bool IsAddress(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return host == "localhost" || inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  // ::ffff:127.x.y.z
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

Result<DaemonConfig> ParseConfig(std::string_view text, const std::string& name) {
  JsonError error;
  auto parsed = ParseJsonInput(text, {kMaxConfigBytes, 8}, &error);
  if (!parsed.ok())
    return Status::Invalid(name + (error.column ? ", byte " + std::to_string(error.column) : "") + ": " + error.message);
  const json& j = *parsed;
  if (!j.is_object()) return Status::Invalid(name + " is not a JSON object");
  DaemonConfig c;
  ServiceOptions& s = c.service;
  ServerOptions& v = c.server;
  ConfigKeys keys(j, name);
  std::string listen, stream_listen, clock, engine, log_format;
  TUTTI_TRY(keys.Text("journeys", s.journeys));
  TUTTI_TRY(keys.Text("data", s.data_dir));
  TUTTI_TRY(keys.Text("profiles", s.profiles));
  TUTTI_TRY(keys.Text("stdlib", s.stdlib_dir));
  TUTTI_TRY(keys.Text("actions_file", s.actions_file));
  TUTTI_TRY(keys.Text("listen", listen));
  if (!listen.empty() && (!SplitHostPort(listen, &v.host, &v.port) || !IsAddress(v.host)))
    return keys.Wrong("listen", "must be ADDRESS:PORT, such as 127.0.0.1:8080 or [::1]:8080");
  TUTTI_TRY(keys.Text("stream_listen", stream_listen));
  if (!stream_listen.empty()) {
    if (!SplitHostPort(stream_listen, &v.stream_host, &v.stream_port) || !IsAddress(v.stream_host))
      return keys.Wrong("stream_listen", "must be ADDRESS:PORT, such as 127.0.0.1:8081");
    v.stream = true;
  }
  TUTTI_TRY(keys.Text("clock", clock));
  if (!clock.empty() && clock != "system" && clock != "virtual") return keys.Wrong("clock", "must be \"system\" or \"virtual\"");
  s.virtual_clock = clock == "virtual";
  TUTTI_TRY(keys.Text("engine", engine));
  if (!engine.empty() && engine != "jit" && engine != "interp") return keys.Wrong("engine", "must be \"jit\" or \"interp\"");
  s.jit = engine != "interp";
  TUTTI_TRY(keys.Text("jit_cache", s.jit_cache));
  TUTTI_TRY(keys.Size("max_body_bytes", 1024, 1ull << 30, v.max_body_bytes));
  TUTTI_TRY(keys.Size("max_header_bytes", 1024, 1 << 20, v.max_header_bytes));
  TUTTI_TRY(keys.Int("idle_timeout_seconds", 1, 86400, v.idle_timeout_seconds));
  TUTTI_TRY(keys.Int("tick_milliseconds", 1, 3600000, v.tick_milliseconds));
  TUTTI_TRY(keys.Size("actions_retained", 1, 1000000000, s.actions_retained));
  TUTTI_TRY(keys.Size("snapshot_every", 0, 1000000000000ull, s.snapshot_every));
  TUTTI_TRY(keys.Number("shards", 0, 256, [&](uint64_t n) { s.shards = static_cast<uint32_t>(n); }));
  TUTTI_TRY(keys.Token("ingest_token", v.access.ingest_token));
  TUTTI_TRY(keys.Token("admin_token", v.access.admin_token));
  TUTTI_TRY(keys.Strings("allowed_hosts", v.access.allowed_hosts));
  TUTTI_TRY(keys.Strings("allowed_origins", v.access.allowed_origins));
  for (std::string& origin : v.access.allowed_origins) {
    if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0)
      return keys.Wrong("allowed_origins", "must be origins such as \"https://console.example.com\"");
    for (char& ch : origin) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
  }
  TUTTI_TRY(keys.Text("tls_cert", v.tls_cert));
  TUTTI_TRY(keys.Text("tls_key", v.tls_key));
  if (v.tls_cert.empty() != v.tls_key.empty()) return Status::Invalid(name + ": 'tls_cert' and 'tls_key' go together");
  TUTTI_TRY(keys.Text("log_format", log_format));
  if (!log_format.empty() && log_format != "text" && log_format != "json")
    return keys.Wrong("log_format", "must be \"text\" or \"json\"");
  c.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  TUTTI_TRY(keys.Bool("access_log", v.access_log));
  TUTTI_TRY(keys.Bool("accept_data_loss", s.accept_data_loss));
  TUTTI_TRY(keys.Bool("history_details", s.history_details));
  // Each adapter's section ("webhooks", "smtp"): {"CHANNEL": {settings}}.
  for (const ChannelAdapter* adapter : ChannelAdapters()) {
    const char* section = adapter->section();
    const json* routes = keys.Find(section);
    if (routes == nullptr) continue;
    if (!routes->is_object()) return keys.Wrong(section, "must map channels to settings");
    for (const auto& [channel, h] : routes->items()) {
      std::string where = name + ": " + section + "." + Printable(channel, 60);
      TUTTI_ASSIGN_OR_RETURN(DeliveryRoute route, ParseRoute(h, where, *adapter));
      if (s.routes.count(channel))
        return Status::Invalid(name + ": channel '" + Printable(channel, 60) + "' is routed twice");
      s.routes[channel] = std::move(route);
    }
  }
  if (const json* engagement = keys.Find("engagement"))
    TUTTI_TRY(ParseEngagement(*engagement, name + ": engagement", s.engagement));
  if (const json* kafka = keys.Find("kafka")) TUTTI_TRY(ParseKafka(*kafka, name + ": kafka", s));
  TUTTI_TRY(keys.NoneLeft("(docs/operations.md lists them)"));
  return c;
}

Result<DaemonConfig> ReadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the config file " + path);
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes)
    return Status::Invalid(path + " is over " + std::to_string(kMaxConfigBytes) + " bytes: not a config file");
  TUTTI_ASSIGN_OR_RETURN(DaemonConfig c, ParseConfig(text, path));
  c.server.config_file = path;
  c.server.config_text = text;
  return c;
}

Status CheckConfigFiles(DaemonConfig& c) {
  for (auto& [channel, route] : c.service.routes)
    TUTTI_TRY(route.adapter->ReadFiles(*route.target, route.adapter->section() + ("." + Printable(channel, 60))));
  if (!c.service.kafka.kafka.brokers.empty())
    TUTTI_TRY(cluster::CheckSettings(c.service.kafka.kafka).With("kafka.librdkafka"));
  if (!c.server.tls_cert.empty() && !std::ifstream(c.server.tls_cert))
    return Status::Invalid("cannot read the TLS certificate " + c.server.tls_cert);
  if (!c.server.tls_key.empty() && !std::ifstream(c.server.tls_key))
    return Status::Invalid("cannot read the TLS key " + c.server.tls_key);
  if (!c.service.peer_ca.empty() && c.server.tls_cert.empty())
    return Status::Invalid("kafka.peer_ca is used only when the API is served over TLS (tls_cert, tls_key)");
  if (!c.service.peer_ca.empty() && !std::ifstream(c.service.peer_ca))
    return Status::Invalid("cannot read the certificate authorities of the other nodes (kafka.peer_ca) " +
                           c.service.peer_ca);
  return Status::Ok();
}

std::vector<std::string> RestartOnlyChanges(std::string_view before, std::string_view after) {
  static const std::set<std::string> kReloadable = {"ingest_token",     "admin_token",      "allowed_hosts",
                                                    "allowed_origins",  "max_body_bytes",   "max_header_bytes",
                                                    "idle_timeout_seconds", "tick_milliseconds", "tls_cert",
                                                    "tls_key",          "log_format",       "access_log"};
  auto a = ParseJsonInput(before, {kMaxConfigBytes, 8}), b = ParseJsonInput(after, {kMaxConfigBytes, 8});
  std::vector<std::string> changed;
  if (!a.ok() || !b.ok() || !a->is_object() || !b->is_object()) return changed;
  std::set<std::string> keys;
  for (const auto& [key, value] : a->items()) keys.insert(key);
  for (const auto& [key, value] : b->items()) keys.insert(key);
  for (const std::string& key : keys) {
    if (kReloadable.count(key)) continue;
    const json none;
    const json& x = a->contains(key) ? (*a)[key] : none;
    const json& y = b->contains(key) ? (*b)[key] : none;
    if (x != y) changed.push_back(key);
  }
  return changed;
}

void ApplyReloadable(const DaemonConfig& from, ServerOptions& to, LogFormat* log_format) {
  const ServerOptions& f = from.server;
  to.access.ingest_token = f.access.ingest_token;
  to.access.admin_token = f.access.admin_token;
  to.access.allowed_hosts = f.access.allowed_hosts;
  to.access.allowed_origins = f.access.allowed_origins;
  to.max_body_bytes = f.max_body_bytes;
  to.max_header_bytes = f.max_header_bytes;
  to.idle_timeout_seconds = f.idle_timeout_seconds;
  to.tick_milliseconds = f.tick_milliseconds;
  to.tls_cert = f.tls_cert;
  to.tls_key = f.tls_key;
  to.access_log = f.access_log;
  *log_format = from.log_format;
}

}  // namespace tutti::runtime
