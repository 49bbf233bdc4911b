#include "runtime/records/json_input.h"

#include <set>
#include <vector>

#include "base/text.h"

namespace tutti::runtime {
namespace {

using json = nlohmann::json;

/// nlohmann's own document builder, which also refuses a key given twice
/// in one object (it would keep the last). Not the parser callback that
/// could do the same: it walks the whole enclosing array each time an
/// object ends, which made a line of many small objects take seconds.
class CheckedDocument {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<json>;

  explicit CheckedDocument(json& result) : dom_(result, /*allow_exceptions=*/true) {}

  /// The key found twice; empty when none was.
  const std::string& duplicate() const { return duplicate_; }

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& text) { return dom_.number_float(v, text); }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    // The sets of enclosing objects are kept, and reused once they end.
    if (depth_ == keys_.size()) keys_.emplace_back();
    keys_[depth_++].clear();
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    if (!keys_[depth_ - 1].insert(k).second) {
      duplicate_ = k;
      return false;
    }
    return dom_.key(k);
  }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& e) {
    return dom_.parse_error(position, last_token, e);  // throws e
  }

 private:
  Dom dom_;
  std::vector<std::set<std::string>> keys_;  // of the objects being read, innermost at depth_ - 1
  size_t depth_ = 0;
  std::string duplicate_;
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
  try {
    json result;
    CheckedDocument document(result);
    if (!json::sax_parse(text.begin(), text.end(), &document))
      return fail(0, "the key '" + Printable(document.duplicate(), 100) + "' appears twice in one object");
    return result;
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
