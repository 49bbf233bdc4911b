// FindAsset: the embedded files (assets_data.cc, generated) by path.

#include "console/assets.h"

namespace tutti::console {
namespace {

std::string_view ContentType(std::string_view path) {
  auto ends = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

std::optional<Asset> FindAsset(std::string_view path) {
  if (path.empty()) path = "index.html";
  for (unsigned i = 0; i < internal::kEmbeddedCount; ++i)
    if (internal::kEmbedded[i].path == path) return Asset{internal::kEmbedded[i].body, ContentType(path)};
  return std::nullopt;
}

}  // namespace tutti::console
