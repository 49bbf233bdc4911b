#pragma once
// A request's bytes read as the server reads them: Beast's parser under the
// server's limits, and the parts of its head the API checks (http_api.h).
// Shared by http_server.cc and the HTTP fuzzer, so that both read alike.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "runtime/daemon/config.h"
#include "runtime/daemon/http_api.h"

namespace tutti::runtime {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

/// Caps the parser's headers and body as `options` say.
void LimitRequestParser(RequestParser& parser, const ServerOptions& options);

/// The head of `request` as the API checks it (its body not included).
ApiRequest HeadOf(const HttpRequest& request);

}  // namespace tutti::runtime
