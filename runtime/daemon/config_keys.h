#pragma once
// Reading one object of the daemon's config file (config.h): each key
// checked once for its type and range, an error naming it as `where.key`,
// and an unknown key refused. The config reader and the channel adapters'
// route settings (channels/adapter.h) read their objects with it.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/text.h"

namespace tutti::runtime {

/// Reads one config object's keys, each checked once for its type and
/// range; an error names the key as `where.key`.
class ConfigKeys {
 public:
  using Json = nlohmann::json;

  ConfigKeys(const Json& object, std::string where) : object_(object), where_(std::move(where)) {}

  /// A whole number in [min, max].
  Status Number(const char* key, uint64_t min, uint64_t max, const std::function<void(uint64_t)>& set) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number_unsigned() || v->get<uint64_t>() < min || v->get<uint64_t>() > max)
      return Wrong(key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    set(v->get<uint64_t>());
    return Status::Ok();
  }
  Status Int(const char* key, int min, int max, int& out) {
    return Number(key, static_cast<uint64_t>(min), static_cast<uint64_t>(max),
                  [&](uint64_t v) { out = static_cast<int>(v); });
  }
  Status Size(const char* key, uint64_t min, uint64_t max, size_t& out) {
    return Number(key, min, max, [&](uint64_t v) { out = static_cast<size_t>(v); });
  }
  /// Text; `nonempty`: an empty string is refused.
  Status Text(const char* key, std::string& out, bool nonempty = true) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Wrong(key, "must be a string");
    const std::string& s = v->get_ref<const std::string&>();
    if (nonempty && s.empty()) return Wrong(key, "must not be empty");
    for (unsigned char c : s)
      if (c < 0x20 || c == 0x7f) return Wrong(key, "must not hold control characters");
    out = s;
    return Status::Ok();
  }
  /// A secret: non-empty, printable, no spaces (an empty token would turn
  /// its check off, which must never happen by accident).
  Status Token(const char* key, std::string& out) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string() || v->get_ref<const std::string&>().empty())
      return Wrong(key, "must be a non-empty string (leave the key out for no token)");
    for (unsigned char c : v->get_ref<const std::string&>())
      if (c <= 0x20 || c == 0x7f) return Wrong(key, "must not hold spaces or control characters");
    out = v->get<std::string>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool& out) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return Wrong(key, "must be true or false");
    out = v->get<bool>();
    return Status::Ok();
  }
  Status Strings(const char* key, std::vector<std::string>& out) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_array() || v->size() > 1000) return Wrong(key, "must be a list of strings");
    out.clear();
    for (const Json& e : *v) {
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) return Wrong(key, "must be a list of strings");
      out.push_back(e.get<std::string>());
    }
    return Status::Ok();
  }
  /// Every key of the object was read (an unknown one is a mistake: a
  /// misspelt key would otherwise change nothing, silently).
  Status NoneLeft(const char* what) const {
    for (const auto& [key, value] : object_.items())
      if (!seen_.count(key))
        return Status::Invalid(where_ + ": unknown key '" + Printable(key, 60) + "' " + what);
    return Status::Ok();
  }
  const Json* Find(const char* key) {
    seen_[key] = true;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  Status Wrong(const std::string& key, const std::string& what) const {
    return Status::Invalid(where_ + "." + key + ": " + what);
  }
  const std::string& where() const { return where_; }

 private:
  const Json& object_;
  std::string where_;
  std::map<std::string, bool> seen_;
};

}  // namespace tutti::runtime
