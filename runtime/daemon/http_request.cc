#include "runtime/daemon/http_request.h"

namespace tutti::runtime {

namespace http = boost::beast::http;

void LimitRequestParser(RequestParser& parser, const ServerOptions& options) {
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
}

ApiRequest HeadOf(const HttpRequest& req) {
  ApiRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto field = [&](http::field f) {
    auto it = req.find(f);
    return it == req.end() ? std::string() : std::string(it->value());
  };
  r.host = field(http::field::host);
  r.origin = field(http::field::origin);
  r.content_type = field(http::field::content_type);
  r.authorization = field(http::field::authorization);
  auto fetch_site = req.find("Sec-Fetch-Site");
  if (fetch_site != req.end()) r.fetch_site = std::string(fetch_site->value());
  auto forwarded = req.find("X-Tutti-Forwarded");
  if (forwarded != req.end()) r.forwarded = std::string(forwarded->value());
  for (auto [it, end] = req.equal_range(http::field::transfer_encoding); it != end; ++it)
    r.transfer_encodings.emplace_back(it->value());
  for (auto [it, end] = req.equal_range(http::field::content_length); it != end; ++it)
    r.content_lengths.emplace_back(it->value());
  return r;
}

}  // namespace tutti::runtime
