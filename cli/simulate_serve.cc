// tutti simulate --serve HOST:PORT: the dry run, played through a daemon
// on a virtual clock in a data folder of its own (removed when it stops),
// then served, console and API, until Ctrl-C: a marketer browses what the
// journeys would do before publishing them.

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "runtime/daemon/config.h"
#include "runtime/daemon/http_server.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"

namespace tutti::cli {
namespace {

/// Feeds the events file to `service` in batches of whole lines of about
/// `kBatch` bytes (a daemon's request body is bounded; so is this).
constexpr size_t kBatch = 4 << 20;

Status FeedEvents(runtime::Service& service, const std::string& path, size_t* accepted, size_t* refused) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read " + path);
  std::string batch, line;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    runtime::IngestResult r = service.Ingest(batch, runtime::Accept::kEvents);
    batch.clear();
    if (r.status == 503) return Status::Invalid("the dry run's input log refused a write: " + r.error);
    *accepted += r.accepted;
    *refused += r.refused;
    return Status::Ok();
  };
  while (std::getline(in, line)) {
    batch += line;
    batch += '\n';
    if (batch.size() >= kBatch) TUTTI_TRY(flush());
  }
  return flush();
}

}  // namespace

int ServeSimulation(const SimulationToServe& s) {
  runtime::ServerOptions server;
  server.announce_on_stderr = true;  // stdout holds the decisions
  if (!runtime::SplitHostPort(s.listen, &server.host, &server.port)) {
    std::fprintf(stderr, "tutti simulate: --serve must be ADDRESS:PORT, such as 127.0.0.1:8080\n");
    return 2;
  }
  std::string folder = (std::filesystem::temp_directory_path() / "tutti-simulate-XXXXXX").string();
  ::umask(077);  // the dry run's folder holds the profiles' personal data
  if (::mkdtemp(folder.data()) == nullptr) {
    std::fprintf(stderr, "tutti simulate: cannot make a data folder in %s\n",
                 std::filesystem::temp_directory_path().c_str());
    return 1;
  }
  struct Remove {
    std::string dir;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove{folder};

  runtime::ServiceOptions options;
  options.journeys = s.journeys;
  options.stdlib_dir = s.stdlib_dir;
  options.data_dir = folder;
  options.profiles = s.profiles;
  options.virtual_clock = true;
  options.jit = s.jit;
  options.jit_cache = s.jit_cache.empty() ? "none" : s.jit_cache;
  auto started = runtime::Service::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "tutti simulate: the dry run's daemon cannot start: %s\n", started.status().message().c_str());
    return 1;
  }
  runtime::Service& service = **started;
  size_t accepted = 0, refused = 0;
  if (Status fed = FeedEvents(service, s.events, &accepted, &refused); !fed.ok()) {
    std::fprintf(stderr, "tutti simulate: %s\n", fed.message().c_str());
    return 1;
  }
  runtime::Reply moved = service.PostClock("{\"to\": \"" + s.until + "\"}");
  if (moved.status != 200) {
    std::fprintf(stderr, "tutti simulate: the dry run's clock did not move to %s: %s\n", s.until.c_str(),
                 moved.body.c_str());
    return 1;
  }
  while (service.Work(runtime::Service::kSlice)) {
  }
  std::fprintf(stderr,
               "tutti simulate: the dry run (%zu events taken, %zu refused, clock at %s, data in %s until it "
               "stops) is served: the console is at /console/ (Ctrl-C stops it)\n",
               accepted, refused, s.until.c_str(), folder.c_str());
  return runtime::Serve(service, server);
}

}  // namespace tutti::cli
