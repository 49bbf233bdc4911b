// tutti serve --journeys DIR --data DIR [--listen HOST:PORT] [--config FILE]
//             [--profiles FILE] [--clock system|virtual] [--stdlib DIR]
//             [--engine jit|interp] [--jit-cache DIR|none] [--accept-data-loss] [--check-config FILE]

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "runtime/daemon/config.h"
#include "runtime/daemon/http_server.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"

namespace tutti::cli {
namespace {

constexpr const char* kServeUsage =
    "usage: tutti serve --journeys DIR --data DIR [--listen HOST:PORT] [--config FILE]\n"
    "                   [--profiles FILE] [--clock system|virtual] [--stdlib DIR]\n"
    "                   [--engine jit|interp] [--jit-cache DIR|none] [--accept-data-loss]\n"
    "       tutti serve --check-config FILE [options]\n"
    "  Runs the journeys of DIR on live events: an HTTP API for events,\n"
    "  profiles and the action log, /healthz, /readyz and /metrics. Every\n"
    "  accepted input is logged durably under --data before it is\n"
    "  acknowledged, and replayed on the next start. Actions are appended\n"
    "  to DATA/actions.ndjson. Options on the command line win over the\n"
    "  config file (JSON; docs/operations.md lists every key).\n"
    "  --listen            default 127.0.0.1:8080 (port 0: any free port)\n"
    "  --clock             system (default), or virtual: time moves only with\n"
    "                      event times and POST /v1/clock (backtests, tests)\n"
    "  --engine            jit (default: native code, cached in DATA/jit-cache) or interp\n"
    "  --jit-cache         where the native code is cached instead (several daemons\n"
    "                      may share one), or none\n"
    "  --accept-data-loss  start even if the input log or the snapshots are\n"
    "                      damaged so that acknowledged inputs are lost (the\n"
    "                      loss is logged, counted and shown by /readyz)\n"
    "  --check-config F    check F and the files it names, and the journeys;\n"
    "                      exit 0 when a start would get past its settings\n";

}  // namespace

int RunServe(const std::vector<std::string>& raw_args) {
  std::string journeys, data, listen, config_file, profiles, clock, stdlib_flag, engine, jit_cache, check_config;
  std::vector<std::string> flags;
  std::vector<std::string> args;
  for (const std::string& a : raw_args) (a == "--accept-data-loss" ? flags : args).push_back(a);
  if (auto stop = ParseOptions(args,
                               {{"--journeys", &journeys}, {"--data", &data}, {"--listen", &listen},
                                {"--config", &config_file}, {"--profiles", &profiles}, {"--clock", &clock},
                                {"--stdlib", &stdlib_flag}, {"--engine", &engine}, {"--jit-cache", &jit_cache},
                                {"--check-config", &check_config}},
                               kServeUsage, nullptr))
    return *stop;
  if (!check_config.empty()) config_file = check_config;

  runtime::DaemonConfig config;
  if (!config_file.empty()) {
    auto read = runtime::ReadConfig(config_file);
    if (!read.ok()) {
      std::fprintf(stderr, "tutti serve: %s\n", read.status().message().c_str());
      return 2;
    }
    config = std::move(*read);
  }
  runtime::ServiceOptions& service = config.service;
  runtime::ServerOptions& server = config.server;
  // The command line wins over the file.
  auto flag = [](const std::string& value, std::string& setting) {
    if (!value.empty()) setting = value;
  };
  flag(journeys, service.journeys);
  flag(data, service.data_dir);
  flag(profiles, service.profiles);
  flag(stdlib_flag, service.stdlib_dir);
  flag(jit_cache, service.jit_cache);
  if (!flags.empty()) service.accept_data_loss = true;
  if (!listen.empty() && (!runtime::SplitHostPort(listen, &server.host, &server.port) ||
                          !runtime::IsAddress(server.host)))
    return UsageError("--listen must be ADDRESS:PORT, such as 127.0.0.1:8080, not '" + listen + "'", kServeUsage);
  if (!clock.empty() && clock != "system" && clock != "virtual")
    return UsageError("--clock must be system or virtual, not '" + clock + "'", kServeUsage);
  if (!clock.empty()) service.virtual_clock = clock == "virtual";
  if (!engine.empty() && engine != "jit" && engine != "interp")
    return UsageError("--engine must be jit or interp, not '" + engine + "'", kServeUsage);
  if (!engine.empty()) service.jit = engine == "jit";
  if (service.journeys.empty()) return UsageError("--journeys is required", kServeUsage);
  if (service.data_dir.empty()) return UsageError("--data is required", kServeUsage);
  service.stdlib_dir = StdlibDir(service.stdlib_dir);
  service.kafka.tick = std::chrono::milliseconds(server.tick_milliseconds);
  if (Status files = runtime::CheckConfigFiles(config); !files.ok()) {
    std::fprintf(stderr, "tutti serve: %s\n", files.message().c_str());
    return 2;
  }
  runtime::ConfigureLog(config.log_format);
  if (!check_config.empty()) {
    // The journeys too: what a start would load first (checked, not
    // compiled: that would write the data folder's JIT cache).
    runtime::ServiceOptions checking = service;
    checking.jit = false;
    runtime::PreparedReload journeys_now = runtime::Service::PrepareReload(checking);
    if (journeys_now.set == nullptr) {
      std::fprintf(stderr, "tutti serve: %s\n%s", journeys_now.error.c_str(), journeys_now.diagnostics.c_str());
      return 1;
    }
    std::printf("tutti serve: %s checks: %zu journeys, %zu routed channels, listening on %s:%u\n",
                check_config.c_str(), journeys_now.set->ir().journeys.size(), service.routes.size(),
                server.host.c_str(), server.port);
    return 0;
  }
  // What the daemon writes (the log, snapshots, the actions file) holds
  // personal data: its owner alone reads it, whatever the umask.
  ::umask(077);
  // Every connection is a file descriptor: allow as many as the hard limit.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  // A file-size limit reached is a failed write (EFBIG) the log reports
  // and the request refuses, not a signal that kills the daemon; a peer
  // that hangs up is an error on the socket, not SIGPIPE.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  auto started = runtime::Service::Start(service);
  if (!started.ok()) {
    std::string why = started.status().message();
    runtime::Log(runtime::LogLevel::kError, "start", why.substr(0, why.find('\n')));
    // Diagnostics (journeys that do not check) span lines: shown whole.
    if (why.find('\n') != std::string::npos && config.log_format == runtime::LogFormat::kText)
      std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  return runtime::Serve(**started, server);
}

}  // namespace tutti::cli
