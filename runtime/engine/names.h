#pragma once
// Interned names (channels, event types, templates) so that history
// entries hold 4-byte ids instead of strings. Id 0 is the empty name.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tutti::runtime {

class Names {
 public:
  Names() { Intern(""); }
  uint32_t Intern(std::string_view name) {
    auto it = ids_.find(std::string(name));
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }
  std::optional<uint32_t> Find(std::string_view name) const {
    auto it = ids_.find(std::string(name));
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& Get(uint32_t id) const { return names_[id]; }
  /// How many names there are (ids are below this).
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace tutti::runtime
