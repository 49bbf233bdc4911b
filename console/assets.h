#pragma once
// The console's files, built into the binary (CMakeLists.txt, embed.cmake):
// what `tutti serve` answers under /console/. Read-only pages; the data
// they show comes from the daemon's API (docs/console.md).

#include <optional>
#include <string_view>

namespace tutti::console {

struct Asset {
  std::string_view body;
  std::string_view content_type;  // with its charset for text
};

/// The file served at /console/`path` ("index.html", "vendor/dagre.min.js");
/// an empty path is the index. nullopt when there is none: the path is
/// compared whole, never resolved against a directory, so ".." finds
/// nothing.
std::optional<Asset> FindAsset(std::string_view path);

/// The Content-Security-Policy the console's pages are served with: its own
/// scripts, styles and API only.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

namespace internal {
struct EmbeddedFile {
  const char* path;
  std::string_view body;
};
extern const EmbeddedFile kEmbedded[];
extern const unsigned kEmbeddedCount;
}  // namespace internal

}  // namespace tutti::console
