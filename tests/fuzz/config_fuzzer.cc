// Fuzzes the config file: any bytes are settings that check (every number
// in its range) or a refusal naming the key, printable.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/text.h"
#include "runtime/daemon/config.h"

using namespace tutti;
using namespace tutti::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ParseConfig(text, "fuzz.json");
  if (!config.ok()) {
    if (!ValidUtf8(config.status().message())) std::abort();
    return 0;
  }
  const ServerOptions& s = config->server;
  if (s.tick_milliseconds < 1 || s.idle_timeout_seconds < 1 || s.max_body_bytes < 1) std::abort();
  for (const auto& [channel, route] : config->service.routes)
    if (route.max_attempts < 1 || route.timeout_ms < 1 || route.concurrency < 1 || route.backoff_ms < 1) std::abort();
  return 0;
}
