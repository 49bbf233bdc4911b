#include "runtime/records/json_input.h"

#include <set>
#include <vector>

#include "base/text.h"

namespace tutti::runtime {
namespace {

using json = nlohmann::json;

/// Thrown by the parser callback on a repeated key; caught below.
struct DuplicateKey {
  std::string key;
};

/// nlohmann's "[json.exception.parse_error.101] parse error at line 1,
/// column 5: syntax error while parsing value - invalid literal; last
/// read: 'tru'" without the prefix, and without what was last read (it
/// quotes the input).
std::string ParseErrorText(const json::parse_error& e) {
  std::string s = e.what();
  size_t colon = s.find(": ");
  if (s.find("column") != std::string::npos) colon = s.find(": ", s.find("column"));
  s = colon == std::string::npos ? s : s.substr(colon + 2);
  size_t last = s.find("; last read:");
  if (last != std::string::npos) s.resize(last);
  return Printable(s, 300);
}

}  // namespace

size_t DeeperThan(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return i + 1;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return 0;
}

Result<json> ParseJsonInput(std::string_view text, const JsonLimits& limits, JsonError* error) {
  auto fail = [&](size_t column, std::string message) {
    if (error) *error = {column, message};
    return Status::Invalid(message);
  };
  if (text.size() > limits.max_bytes)
    return fail(0, "the JSON is " + std::to_string(text.size()) + " bytes long; the limit is " +
                       std::to_string(limits.max_bytes));
  if (size_t nul = text.find('\0'); nul != std::string_view::npos)
    return fail(nul + 1, "a NUL byte is not allowed in JSON input");
  if (size_t deep = DeeperThan(text, limits.max_depth))
    return fail(deep, "the JSON is nested deeper than " + std::to_string(limits.max_depth) + " levels");
  // Keys seen in each object being read, innermost last (arrays hold an
  // empty set, so that the stack follows the nesting).
  std::vector<std::set<std::string>> keys;
  json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: keys.emplace_back(); break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
          throw DuplicateKey{parsed.get<std::string>()};
        break;
      case json::parse_event_t::value: break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const DuplicateKey& d) {
    return fail(0, "the key '" + Printable(d.key, 100) + "' appears twice in one object");
  } catch (const json::parse_error& e) {
    return fail(e.byte, "malformed JSON: " + ParseErrorText(e));
  } catch (const json::out_of_range&) {
    // nlohmann's text quotes the number ("number overflow parsing '1e999'").
    return fail(0, "malformed JSON: a number is too large for a double");
  } catch (const std::exception&) {
    return fail(0, "malformed JSON");
  }
}

}  // namespace tutti::runtime
