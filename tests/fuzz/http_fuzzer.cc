// Fuzzes the daemon's HTTP edge: any bytes, read as requests on one
// connection the way the server reads them (Beast's parser under the
// server's limits), checked (framing, host, origin, content type, token)
// and routed to a running Service: ingest, outcomes, the clock, pauses,
// customers, histories, actions, metrics. No crash, no leak, no exception,
// and every answer's body printable JSON (or the metrics' text).

#include <cstdint>
#include <cstdlib>
#include <string>

#include <boost/asio/buffer.hpp>

#include "base/text.h"
#include "runtime/daemon/http_request.h"
#include "tests/fuzz/daemon_world.h"

using namespace tutti;
using namespace tutti::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Service& service = fuzzing::TheService();
  ServerOptions options;
  options.max_body_bytes = 64 * 1024;
  options.max_header_bytes = 8 * 1024;
  options.access.admin_token = (size & 1) ? "admin-secret" : "";
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Requests one after the other, as on a kept-alive connection.
  while (!bytes.empty()) {
    RequestParser parser;
    LimitRequestParser(parser, options);
    parser.eager(true);
    boost::beast::error_code ec;
    size_t used = 0;
    while (!parser.is_done() && used < bytes.size()) {
      size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
      used += n;
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        if (n == 0) break;
        continue;
      }
      if (ec || n == 0) break;
    }
    if (!parser.is_header_done()) return 0;  // the server answers 400 and closes
    ApiRequest request = HeadOf(parser.get());
    if (auto refusal = CheckHead(request, options.access)) {
      if (!ValidUtf8(refusal->body)) std::abort();
      return 0;
    }
    if (ec || !parser.is_done()) return 0;
    request.body = parser.get().body();
    auto target = ParseTarget(request.target);
    if (!target) return 0;
    std::optional<Reply> refusal;
    Reply reply;
    switch (SpecialRoute(request, *target, options.access, &refusal)) {
      case Special::kIngestEvents: reply = Service::IngestReply(service.Ingest(request.body, Accept::kEvents)); break;
      case Special::kIngestProfiles:
        reply = Service::IngestReply(service.Ingest(request.body, Accept::kProfiles));
        break;
      case Special::kReload: break;  // compiles the journeys again: tested end to end
      case Special::kNone: reply = refusal ? *refusal : Route(service, request, *target, options.access); break;
    }
    if (!ValidUtf8(reply.body)) std::abort();
    bytes.remove_prefix(used);
  }
  return 0;
}
