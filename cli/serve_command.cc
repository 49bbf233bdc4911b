// tutti serve --journeys DIR --data DIR [--listen HOST:PORT] [--config FILE]
//             [--profiles FILE] [--clock system|virtual] [--stdlib DIR]

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "runtime/daemon/http_server.h"
#include "runtime/daemon/service.h"

namespace tutti::cli {
namespace {

constexpr const char* kUsage =
    "usage: tutti serve --journeys DIR --data DIR [--listen HOST:PORT] [--config FILE]\n"
    "                   [--profiles FILE] [--clock system|virtual] [--stdlib DIR]\n"
    "  Runs the journeys of DIR on live events: an HTTP API for events,\n"
    "  profiles and the action log, /healthz, /readyz and /metrics. Every\n"
    "  accepted input is logged durably under --data before it is\n"
    "  acknowledged, and replayed on the next start. Actions are appended\n"
    "  to DATA/actions.ndjson. Options on the command line win over the\n"
    "  config file (JSON; docs/operations.md lists every key).\n"
    "  --listen   default 127.0.0.1:8080 (port 0: any free port)\n"
    "  --clock    system (default), or virtual: time moves only with event\n"
    "             times and POST /v1/clock (backtests, tests)\n"
    "  --engine   jit (default: native code, cached in DATA/jit-cache) or interp\n";

bool SplitListen(const std::string& text, runtime::ServerOptions& out) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long p = std::stoul(port);
  if (p > 65535) return false;
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

int RunServe(const std::vector<std::string>& raw_args) {
  std::string journeys, data, listen, config, profiles, clock, stdlib_flag, engine;
  if (auto stop = ParseOptions(raw_args,
                               {{"--journeys", &journeys}, {"--data", &data}, {"--listen", &listen}, {"--config", &config},
                                {"--profiles", &profiles}, {"--clock", &clock}, {"--stdlib", &stdlib_flag},
                                {"--engine", &engine}},
                               kUsage, nullptr))
    return *stop;

  runtime::ServiceOptions service;
  runtime::ServerOptions server;
  std::string actions_file;
  if (!config.empty()) {
    std::ifstream in(config);
    if (!in) return UsageError("cannot read the config file " + config, kUsage);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      std::fprintf(stderr, "tutti serve: %s is not a JSON object\n", config.c_str());
      return 2;
    }
    static const char* const kKeys[] = {"listen", "journeys", "data", "profiles", "clock", "actions_file",
                                        "max_body_bytes", "max_header_bytes", "idle_timeout_seconds",
                                        "ingest_token", "admin_token", "tick_milliseconds", "stdlib", "webhooks",
                                        "stream_listen", "smtp", "engine", "actions_retained", "tls_cert",
                                        "tls_key", "snapshot_every", "shards"};
    for (const auto& [key, value] : j.items()) {
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        std::fprintf(stderr, "tutti serve: %s: unknown key '%s' (docs/operations.md lists them)\n", config.c_str(), key.c_str());
        return 2;
      }
      if (key == "webhooks" || key == "smtp") continue;  // checked below
      bool number = key == "max_body_bytes" || key == "max_header_bytes" || key == "idle_timeout_seconds" ||
                    key == "tick_milliseconds" || key == "actions_retained" || key == "snapshot_every" ||
                    key == "shards";
      bool zero = key == "snapshot_every" || key == "shards";  // 0: off; 0: one per core
      if (number ? !value.is_number_unsigned() || (!zero && value.get<uint64_t>() == 0) : !value.is_string()) {
        std::fprintf(stderr, "tutti serve: %s: '%s' must be %s\n", config.c_str(), key.c_str(),
                     !number ? "a string" : zero ? "a whole number" : "a whole number above 0");
        return 2;
      }
    }
    auto str = [&](const char* key, std::string& out) {
      if (out.empty() && j.contains(key)) out = j[key].get<std::string>();
    };
    str("journeys", journeys);
    str("data", data);
    str("listen", listen);
    str("profiles", profiles);
    str("clock", clock);
    str("engine", engine);
    str("stdlib", stdlib_flag);
    str("actions_file", actions_file);
    str("ingest_token", server.ingest_token);
    str("admin_token", server.admin_token);
    str("tls_cert", server.tls_cert);
    str("tls_key", server.tls_key);
    if (server.tls_cert.empty() != server.tls_key.empty()) {
      std::fprintf(stderr, "tutti serve: %s: 'tls_cert' and 'tls_key' go together\n", config.c_str());
      return 2;
    }
    std::string stream_listen;
    str("stream_listen", stream_listen);
    if (!stream_listen.empty()) {
      runtime::ServerOptions stream_address;
      if (!SplitListen(stream_listen, stream_address)) {
        std::fprintf(stderr, "tutti serve: %s: 'stream_listen' must be HOST:PORT\n", config.c_str());
        return 2;
      }
      server.stream = true;
      server.stream_host = stream_address.host;
      server.stream_port = stream_address.port;
    }
    if (j.contains("max_body_bytes")) server.max_body_bytes = j["max_body_bytes"].get<size_t>();
    if (j.contains("max_header_bytes")) server.max_header_bytes = j["max_header_bytes"].get<size_t>();
    if (j.contains("idle_timeout_seconds")) server.idle_timeout_seconds = j["idle_timeout_seconds"].get<int>();
    if (j.contains("tick_milliseconds")) server.tick_milliseconds = j["tick_milliseconds"].get<int>();
    if (j.contains("actions_retained")) service.actions_retained = j["actions_retained"].get<size_t>();
    if (j.contains("snapshot_every")) service.snapshot_every = j["snapshot_every"].get<size_t>();
    if (j.contains("shards")) {
      if (j["shards"].get<uint64_t>() > 256) {
        std::fprintf(stderr, "tutti serve: %s: 'shards' must be at most 256\n", config.c_str());
        return 2;
      }
      service.shards = j["shards"].get<uint32_t>();
    }
    // "webhooks": {"CHANNEL": {"url": "http://host:port/path", ...}}
    // "smtp":     {"CHANNEL": {"relay": "host:port", "from": "address", ...}}
    // with "max_attempts", "backoff_ms", "timeout_ms", "concurrency".
    for (const char* section : {"webhooks", "smtp"}) {
      if (!j.contains(section)) continue;
      bool smtp = std::string(section) == "smtp";
      const auto& routes = j[section];
      if (!routes.is_object()) {
        std::fprintf(stderr, "tutti serve: %s: '%s' must map channels to settings\n", config.c_str(), section);
        return 2;
      }
      for (const auto& [channel, h] : routes.items()) {
        runtime::DeliveryRoute route;
        std::string where = config + ": " + section + "." + channel;
        bool ok = h.is_object() &&
                  (smtp ? h.contains("relay") && h["relay"].is_string() && route.SetRelay(h["relay"].get<std::string>()) &&
                              h.contains("from") && h["from"].is_string()
                        : h.contains("url") && h["url"].is_string() && route.SetUrl(h["url"].get<std::string>()));
        if (!ok) {
          std::fprintf(stderr, "tutti serve: %s: needs %s\n", where.c_str(),
                       smtp ? "\"relay\": \"host:port\" and \"from\": \"address\""
                            : "\"url\": \"http://host:port/path\" (or https://)");
          return 2;
        }
        if (smtp) route.from = h["from"].get<std::string>();
        std::string password_file;
        for (const auto& [k, v] : h.items()) {
          if (k == "url" || k == "relay" || k == "from") continue;
          if (k == "ca_file" && v.is_string()) {
            route.ca_file = v.get<std::string>();
            continue;
          }
          if (smtp && k == "starttls" && v.is_boolean()) {
            route.starttls = v.get<bool>();
            continue;
          }
          if (smtp && (k == "username" || k == "password_file") && v.is_string()) {
            (k == "username" ? route.username : password_file) = v.get<std::string>();
            continue;
          }
          int* field = k == "max_attempts" ? &route.max_attempts
                       : k == "backoff_ms" ? &route.backoff_ms
                       : k == "timeout_ms" ? &route.timeout_ms
                       : k == "concurrency" ? &route.concurrency
                       : k == "rate_per_second" ? &route.rate_per_second
                                            : nullptr;
          if (field == nullptr || !v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > 86400000) {
            // Say what the key wants, when it is one.
            bool text = k == "ca_file" || (smtp && (k == "username" || k == "password_file"));
            const char* wanted = text                        ? "must be a string"
                                 : smtp && k == "starttls"   ? "must be true or false"
                                 : field != nullptr          ? "must be a whole number from 1 to 86400000"
                                                             : "is not a key of this route";
            std::fprintf(stderr, "tutti serve: %s.%s: %s\n", where.c_str(), k.c_str(), wanted);
            return 2;
          }
          *field = v.get<int>();
        }
        if (!route.username.empty() || !password_file.empty()) {
          // Credentials travel only over TLS, and come from a file an
          // operator can keep out of the config (and out of logs).
          if (route.username.empty() || password_file.empty() || !route.starttls) {
            std::fprintf(stderr, "tutti serve: %s: a login needs \"username\", \"password_file\" and "
                                 "\"starttls\": true together\n", where.c_str());
            return 2;
          }
          std::ifstream secret(password_file);
          if (secret && std::getline(secret, route.password) && !route.password.empty() &&
              route.password.back() == '\r')
            route.password.pop_back();  // a file written with CRLF line ends
          if (!secret || route.password.empty()) {
            std::fprintf(stderr, "tutti serve: %s: cannot read a password from %s\n", where.c_str(), password_file.c_str());
            return 2;
          }
        }
        if (!route.ca_file.empty() && !std::ifstream(route.ca_file)) {
          std::fprintf(stderr, "tutti serve: %s: cannot read the 'ca_file' %s\n", where.c_str(), route.ca_file.c_str());
          return 2;
        }
        if (!smtp && !route.tls && !route.ca_file.empty()) {
          std::fprintf(stderr, "tutti serve: %s: 'ca_file' is for https urls\n", where.c_str());
          return 2;
        }
        if (smtp && !route.starttls && !route.ca_file.empty()) {
          std::fprintf(stderr, "tutti serve: %s: 'ca_file' is for \"starttls\": true\n", where.c_str());
          return 2;
        }
        if (service.routes.count(channel)) {
          std::fprintf(stderr, "tutti serve: %s: channel '%s' is routed twice\n", config.c_str(), channel.c_str());
          return 2;
        }
        service.routes[channel] = route;
      }
    }
  }
  if (journeys.empty()) return UsageError("--journeys is required", kUsage);
  if (data.empty()) return UsageError("--data is required", kUsage);
  if (!listen.empty() && !SplitListen(listen, server))
    return UsageError("--listen must be HOST:PORT, such as 127.0.0.1:8080, not '" + listen + "'", kUsage);
  if (!clock.empty() && clock != "system" && clock != "virtual")
    return UsageError("--clock must be system or virtual, not '" + clock + "'", kUsage);
  if (!engine.empty() && engine != "jit" && engine != "interp")
    return UsageError("--engine must be jit or interp, not '" + engine + "'", kUsage);

  service.journeys = journeys;
  service.data_dir = data;
  service.profiles = profiles;
  service.virtual_clock = clock == "virtual";
  service.jit = engine != "interp";
  service.stdlib_dir = StdlibDir(stdlib_flag);
  service.actions_file = actions_file;
  // Every connection is a file descriptor: allow as many as the hard limit.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  // A file-size limit reached is a failed write (EFBIG) the log reports
  // and the request refuses, not a signal that kills the daemon.
  std::signal(SIGXFSZ, SIG_IGN);
  auto started = runtime::Service::Start(service);
  if (auto* err = std::get_if<std::string>(&started)) {
    std::fprintf(stderr, "tutti serve: %s\n", err->c_str());
    return 1;
  }
  return runtime::Serve(*std::get<0>(started), server);
}

}  // namespace tutti::cli
