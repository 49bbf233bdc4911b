#include "runtime/records/direct_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/records/field_text.h"

namespace tutti::runtime {
namespace {

using compiler::Type;
using compiler::TypeKind;
using compiler::eval::Value;

/// A number as written: its text, and whether it is an integer (no
/// fraction, no exponent), which is how a JSON document types it.
struct NumberText {
  std::string_view text;
  bool integer = true;
  bool negative = false;
};

/// One walk over one line. Every member returns false where the document
/// path must decide; the walk then stops.
class Walk {
 public:
  Walk(const SchemaTable& table, std::string_view text, const DecodeOptions& options)
      : table_(table), s_(text), options_(options) {}

  std::optional<Record> Line(size_t line_number) {
    Record r;
    if (!TopObject(r)) return std::nullopt;
    Space();
    if (pos_ != s_.size()) return std::nullopt;
    r.line = line_number;
    r.key = r.slots[r.schema->key_slot];
    if (r.schema->kind == RecordKind::kEvent) {
      const Value& at = r.slots[r.schema->at_slot];
      if (!at.is(compiler::eval::ValueKind::kTimestamp)) return std::nullopt;
      r.at = at.AsTimestamp();
    }
    return r;
  }

 private:
  /// Members passed over while the type is not known yet: each is
  /// compared with those before it, so they are kept few.
  static constexpr size_t kMostBeforeType = 32;

  // What a schema's slot got from the line.
  enum class Given : uint8_t { kAbsent, kNull, kValue };

  /// The line's object. Its `type` names the schema, and is usually its
  /// first member; members before it are passed over and read again once
  /// the schema is known.
  bool TopObject(Record& r) {
    Space();
    if (!Open('{', 1)) return false;
    std::vector<std::pair<std::string, size_t>> before_type;  // member, where its value starts
    std::vector<Value>& slots = r.slots;
    std::vector<Given> given;
    bool read = Members([&](const std::string& key) {
      if (key == "type") {
        if (r.schema != nullptr) return false;  // twice
        std::string name;
        if (!String(name)) return false;
        r.schema = FindAccepted(table_, name, options_.accept);
        // A schema with a field called `type` reads the line's type as
        // that field too: rare enough to leave to the document path.
        if (r.schema == nullptr || r.schema->index.count("type")) return false;
        slots.resize(r.schema->fields.size());
        given.assign(r.schema->fields.size(), Given::kAbsent);
        size_t resume = pos_;
        for (const auto& [member, start] : before_type) {
          pos_ = start;
          if (!Member(*r.schema, member, 1, slots, given)) return false;
        }
        pos_ = resume;
        return true;
      }
      if (r.schema != nullptr) return Member(*r.schema, key, 1, slots, given);
      if (before_type.size() == kMostBeforeType) return false;
      for (const auto& [member, start] : before_type)
        if (member == key) return false;  // twice
      before_type.emplace_back(key, pos_);
      return Skip(1);
    });
    return read && r.schema != nullptr && Complete(*r.schema, slots, given);
  }

  /// The members of the object whose '{' was just read, each handed to
  /// `each` (its key) with the cursor on its value; false as soon as one
  /// is, or the object is malformed.
  template <typename Each>
  bool Members(Each each) {
    Space();
    if (Take('}')) return true;
    std::string key;
    for (;;) {
      Space();
      if (!String(key)) return false;
      Space();
      if (!Take(':')) return false;
      Space();
      if (!each(key)) return false;
      Space();
      if (Take('}')) return true;
      if (!Take(',')) return false;
    }
  }

  /// The elements of the array whose '[' was just read, each handed to
  /// `each` with the cursor on it.
  template <typename Each>
  bool Elements(Each each) {
    Space();
    if (Take(']')) return true;
    for (;;) {
      Space();
      if (!each()) return false;
      Space();
      if (Take(']')) return true;
      if (!Take(',')) return false;
    }
  }

  /// The value of member `key` of a `schema` object, into its slot.
  bool Member(const Schema& schema, const std::string& key, size_t depth, std::vector<Value>& slots,
              std::vector<Given>& given) {
    auto it = schema.index.find(key);
    if (it == schema.index.end()) return false;
    size_t slot = it->second;
    if (given[slot] != Given::kAbsent) return false;  // twice
    const FieldLayout& f = schema.fields[slot];
    if (f.optional && Peek('n')) {
      if (!Literal("null")) return false;
      given[slot] = Given::kNull;
      return true;
    }
    given[slot] = Given::kValue;
    return Convert(f.type, depth, slots[slot]);
  }

  /// The slots the object left out: null when optional, the default time
  /// for an event's `at`.
  bool Complete(const Schema& schema, std::vector<Value>& slots, const std::vector<Given>& given) const {
    for (const FieldLayout& f : schema.fields) {
      if (given[f.slot] == Given::kValue) continue;
      if (f.implicit) {
        if (!options_.default_at) return false;
        slots[f.slot] = Value(*options_.default_at);
      } else if (!f.optional) {
        return false;
      }
    }
    return true;
  }

  /// A nested profile: an object of its fields, `type` among them if it
  /// declares one.
  bool Object(const Schema& schema, size_t depth, Value& out) {
    if (!Open('{', ++depth)) return false;
    auto rec = std::make_shared<compiler::eval::Record>();
    rec->shape = &schema.shape;
    rec->values.resize(schema.fields.size());
    std::vector<Given> given(schema.fields.size(), Given::kAbsent);
    if (!Members([&](const std::string& key) { return Member(schema, key, depth, rec->values, given); }) ||
        !Complete(schema, rec->values, given))
      return false;
    out = Value(std::shared_ptr<const compiler::eval::Record>(std::move(rec)));
    return true;
  }

  /// The value at the cursor as type `t`, inside `depth` arrays and
  /// objects (the line's own object counts).
  bool Convert(const Type& t, size_t depth, Value& out) {
    switch (t.kind()) {
      case TypeKind::kString: {
        std::string s;
        if (!String(s)) return false;
        out = Value(std::move(s));
        return true;
      }
      case TypeKind::kBool:
        if (Literal("true")) out = Value(true);
        else if (Literal("false")) out = Value(false);
        else return false;
        return true;
      case TypeKind::kInt: {
        NumberText n;
        if (!ReadNumber(n) || !n.integer) return false;
        int64_t v = 0;
        if (!Whole(n.text, v)) return false;  // a uint past an int's range, or past both
        out = Value(v);
        return true;
      }
      case TypeKind::kUint: {
        NumberText n;
        uint64_t v = 0;
        if (!ReadNumber(n) || !n.integer || n.negative || !Whole(n.text, v)) return false;
        out = Value(v);
        return true;
      }
      case TypeKind::kDouble: {
        NumberText n;
        if (!ReadNumber(n)) return false;
        double d = 0;
        if (!AsDouble(n, d)) return false;
        out = Value(d);
        return true;
      }
      case TypeKind::kBytes: {
        std::string s;
        if (!String(s)) return false;
        auto bytes = DecodeBase64(s);
        if (!bytes) return false;
        out = Value(compiler::eval::Bytes{std::move(*bytes)});
        return true;
      }
      case TypeKind::kTimestamp:
      case TypeKind::kDuration: {
        std::string s;
        if (!String(s)) return false;
        out = t.kind() == TypeKind::kTimestamp ? compiler::eval::ParseTimestamp(s) : ParseFieldDuration(s);
        return !out.IsError();
      }
      case TypeKind::kList: {
        if (!Open('[', ++depth)) return false;
        compiler::eval::List list;
        if (!Elements([&] {
              return !(Peek('n') && !t.elem().IsErrorOrDyn()) && Convert(t.elem(), depth, list.emplace_back());
            }))
          return false;
        out = Value(std::move(list));
        return true;
      }
      case TypeKind::kMap: return Map(&t, depth, out);
      case TypeKind::kProfile: {
        const Schema* nested = table_.FindProfile(t.name());
        return nested != nullptr && Object(*nested, depth, out);
      }
      default: return Dyn(depth, out);
    }
  }

  /// A map of type `t` (nullptr: dyn, keys strings). A document keeps an
  /// object's members sorted by key, and hands them out in that order:
  /// so are the entries here.
  bool Map(const Type* t, size_t depth, Value& out) {
    if (!Open('{', ++depth)) return false;
    std::vector<std::pair<std::string, std::pair<Value, Value>>> entries;
    bool read = Members([&](const std::string& text) {
      auto& [key, entry] = entries.emplace_back(text, std::pair<Value, Value>());
      if (t == nullptr) {
        entry.first = Value(key);
        return Dyn(depth, entry.second);
      }
      return MapKeyOf(t->key(), key, entry.first) == KeyProblem::kNone && !(Peek('n') && !t->value().IsErrorOrDyn()) &&
             Convert(t->value(), depth, entry.second);
    });
    if (!read) return false;
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto map = std::make_shared<compiler::eval::MapValue>();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0 && entries[i].first == entries[i - 1].first) return false;  // a key twice
      if (!map->Insert(std::move(entries[i].second.first), std::move(entries[i].second.second)).empty())
        return false;
    }
    out = Value(std::shared_ptr<const compiler::eval::MapValue>(std::move(map)));
    return true;
  }

  /// Any value, typed as a document types it: integers as int, or uint
  /// past an int's range; objects as maps with string keys.
  bool Dyn(size_t depth, Value& out) {
    if (pos_ >= s_.size()) return false;
    switch (s_[pos_]) {
      case 'n': out = Value(); return Literal("null");
      case 't': out = Value(true); return Literal("true");
      case 'f': out = Value(false); return Literal("false");
      case '"': {
        std::string s;
        if (!String(s)) return false;
        out = Value(std::move(s));
        return true;
      }
      case '[': {
        if (!Open('[', ++depth)) return false;
        compiler::eval::List list;
        if (!Elements([&] { return Dyn(depth, list.emplace_back()); })) return false;
        out = Value(std::move(list));
        return true;
      }
      case '{': return Map(nullptr, depth, out);
      default: {
        NumberText n;
        if (!ReadNumber(n)) return false;
        if (!n.integer) {
          double d = 0;
          if (!AsDouble(n, d)) return false;
          out = Value(d);
          return true;
        }
        if (n.negative) {
          int64_t v = 0;
          if (!Whole(n.text, v)) return false;
          out = Value(v);
          return true;
        }
        uint64_t u = 0;
        if (!Whole(n.text, u)) return false;
        out = u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? Value(static_cast<int64_t>(u))
                                                                              : Value(u);
        return true;
      }
    }
  }

  /// Passes over one value, checking it as strictly as a document would
  /// (its keys are read again, and checked for repeats, when it is).
  bool Skip(size_t depth) {
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '"') {
      std::string s;
      return String(s);
    }
    if (c == '[' || c == '{') {
      if (!Open(c, ++depth)) return false;
      if (c == '[') return Elements([&] { return Skip(depth); });
      return Members([&](const std::string&) { return Skip(depth); });
    }
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    NumberText n;
    return ReadNumber(n);
  }

  /// Whole numbers as a document reads them: a negative one as an int64,
  /// any other as a uint64 (past those, a document rounds it to a double:
  /// left to it).
  static bool Whole(std::string_view text, int64_t& out) {
    if (text[0] != '-') {
      uint64_t u = 0;
      if (!Whole(text, u) || u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      out = static_cast<int64_t>(u);
      return true;
    }
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
  }
  static bool Whole(std::string_view text, uint64_t& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
  }

  /// A number as a double field reads it: a whole number converted from
  /// its integer (so "-0" is 0.0), any other parsed, correctly rounded.
  static bool AsDouble(const NumberText& n, double& out) {
    if (n.integer) {
      if (n.negative) {
        int64_t v = 0;
        if (!Whole(n.text, v)) return false;
        out = static_cast<double>(v);
      } else {
        uint64_t v = 0;
        if (!Whole(n.text, v)) return false;
        out = static_cast<double>(v);
      }
      return true;
    }
    auto [p, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), out);
    return ec == std::errc() && p == n.text.data() + n.text.size() && std::isfinite(out);
  }

  /// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ReadNumber(NumberText& n) {
    size_t start = pos_;
    n.negative = Take('-');
    if (Take('0')) {
    } else if (!Digits()) {
      return false;
    }
    if (Take('.')) {
      n.integer = false;
      if (!Digits()) return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      n.integer = false;
      if (!Take('+')) Take('-');
      if (!Digits()) return false;
    }
    n.text = s_.substr(start, pos_ - start);
    return true;
  }

  bool Digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  /// A JSON string at the cursor, unescaped into `out`. Refuses what a
  /// document refuses: control characters, bad escapes, a surrogate
  /// without its pair, and bytes that are not UTF-8.
  bool String(std::string& out) {
    out.clear();
    if (!Take('"')) return false;
    for (;;) {
      size_t run = pos_;
      while (pos_ < s_.size()) {
        auto c = static_cast<unsigned char>(s_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++pos_;
      }
      out.append(s_.data() + run, pos_ - run);
      if (pos_ >= s_.size()) return false;
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        size_t n = Utf8Length(pos_);
        if (n == 0) return false;
        out.append(s_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      if (!Escape(out)) return false;
    }
  }

  bool Escape(std::string& out) {
    ++pos_;  // the backslash
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_++];
    switch (c) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    uint32_t code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a low surrogate first
    if (code >= 0xD800 && code <= 0xDBFF) {
      uint32_t low = 0;
      if (!Take('\\') || !Take('u') || !Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
    return true;
  }

  bool Hex4(uint32_t& code) {
    if (s_.size() - pos_ < 4) return false;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      code = code * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }

  /// The length of the well-formed UTF-8 sequence at `at` (Unicode's
  /// table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF),
  /// or 0.
  size_t Utf8Length(size_t at) const {
    auto byte = [&](size_t i) -> unsigned { return at + i < s_.size() ? static_cast<unsigned char>(s_[at + i]) : 0u; };
    auto tail = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(i) >= lo && byte(i) <= hi; };
    unsigned b = byte(0);
    if (b >= 0xC2 && b <= 0xDF) return tail(1) ? 2 : 0;
    if (b == 0xE0) return tail(1, 0xA0) && tail(2) ? 3 : 0;
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return tail(1) && tail(2) ? 3 : 0;
    if (b == 0xED) return tail(1, 0x80, 0x9F) && tail(2) ? 3 : 0;
    if (b == 0xF0) return tail(1, 0x90) && tail(2) && tail(3) ? 4 : 0;
    if (b >= 0xF1 && b <= 0xF3) return tail(1) && tail(2) && tail(3) ? 4 : 0;
    if (b == 0xF4) return tail(1, 0x80, 0x8F) && tail(2) && tail(3) ? 4 : 0;
    return 0;
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  /// Opens an array or object that is the `depth`-th around what it holds.
  bool Open(char c, size_t depth) { return depth <= options_.max_depth && Take(c); }

  void Space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }

  const SchemaTable& table_;
  std::string_view s_;
  const DecodeOptions& options_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<Record> DecodeDirectly(const SchemaTable& table, std::string_view line, size_t line_number,
                                     const DecodeOptions& options) {
  if (line.size() > options.max_line_bytes) return std::nullopt;
  return Walk(table, line, options).Line(line_number);
}

}  // namespace tutti::runtime
