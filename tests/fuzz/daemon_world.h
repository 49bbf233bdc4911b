#pragma once
// A daemon's Service for the fuzzers of its edges: the reference journeys
// on the interpreter, a virtual clock and a slice of the reference
// profiles, its data folder in /dev/shm (synced writes are cheap there),
// started once per fuzzing process and removed at its exit.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "runtime/daemon/service.h"

namespace tutti::fuzzing {

inline runtime::Service& TheService() {
  static runtime::Service* service = [] {
    namespace fs = std::filesystem;
    std::string src = TUTTI_SOURCE_DIR;
    static const fs::path dir = fs::path("/dev/shm") / ("tutti-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    });
    // The accounts, the staff and the first prescribers.
    std::ifstream in(src + "/examples/abc-pharma/profiles.ndjson");
    std::ofstream out(dir / "profiles.ndjson");
    std::string line;
    for (int n = 0; n < 80 && std::getline(in, line); ++n) out << line << "\n";
    out.close();
    runtime::ServiceOptions options;
    options.journeys = src + "/journeys";
    options.stdlib_dir = src + "/stdlib";
    options.data_dir = (dir / "data").string();
    options.profiles = (dir / "profiles.ndjson").string();
    options.virtual_clock = true;
    options.jit = false;
    options.snapshot_every = 0;
    options.shards = 1;
    auto started = runtime::Service::Start(options);
    if (!started.ok()) std::abort();
    return started->release();
  }();
  return *service;
}

}  // namespace tutti::fuzzing
