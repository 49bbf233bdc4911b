// Fuzzes the streaming ingest port's protocol: any bytes, arriving in
// chunks of any size (the first byte of each says how long it is), with or
// without a token to check first, taken as batches by a running Service.
// Every acknowledgement must be one line of valid JSON.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/daemon/stream_protocol.h"
#include "tests/fuzz/daemon_world.h"

using namespace tutti;
using namespace tutti::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Service& service = fuzzing::TheService();
  StreamIngest protocol(data[0] & 1 ? "stream-secret" : "", 4096);
  std::string buffer;
  for (size_t at = 1; at < size;) {
    size_t chunk = std::min<size_t>(1 + data[at], size - at - 1);
    buffer.append(reinterpret_cast<const char*>(data) + at + 1, chunk);
    at += 1 + chunk;
    size_t taken = 0;
    StreamIngest::Step step = protocol.Take(buffer, &taken);
    buffer.erase(0, taken);
    if (step.kind == StreamIngest::Step::Kind::kFail) {
      if (!nlohmann::json::accept(step.fail)) std::abort();
      return 0;
    }
    if (step.kind == StreamIngest::Step::Kind::kMore) continue;
    std::string ack = protocol.Ack(service.Ingest(step.batch, Accept::kEvents), step.lines);
    if (ack.empty() || ack.back() != '\n' || ack.find('\n') != ack.size() - 1 ||
        !nlohmann::json::accept(ack.substr(0, ack.size() - 1)))
      std::abort();
  }
  return 0;
}
