#include "runtime/daemon/reply.h"

namespace tutti::runtime {

const char* StatusTitle(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
  }
  return "Error";
}

Reply Problem(int status, const std::string& detail, const Json& extra) {
  Json body{{"type", "about:blank"}, {"title", StatusTitle(status)}, {"status", status}, {"detail", detail},
            {"error", detail}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  Reply reply = JsonReply(status, body);
  reply.content_type = "application/problem+json";
  return reply;
}

Reply TryAgain(const std::string& detail, int after_seconds, const Json& extra) {
  Reply reply = Problem(503, detail, extra);
  reply.headers.emplace_back("Retry-After", std::to_string(after_seconds));
  return reply;
}

}  // namespace tutti::runtime
