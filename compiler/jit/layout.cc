// Probes the layout of Value and Record on this build (see ValueLayout).
// Everything is checked against the real objects, so a different standard
// library only turns the fast paths off.

#include <cstring>
#include <memory>

#include "compiler/jit/layout.h"

namespace tutti::compiler::jit {

namespace {

using eval::Value;

template <typename T>
T Read(const void* base, size_t offset) {
  T out;
  std::memcpy(&out, static_cast<const char*>(base) + offset, sizeof(T));
  return out;
}

ValueLayout Probe() {
  ValueLayout l;
  using eval::ValueKind;
  // The kind byte: the one offset where every sample holds its kind.
  const Value samples[] = {Value(), Value(true), Value(int64_t{-7}), Value(uint64_t{9}), Value(2.5),
                           Value("a string long enough to live on the heap"), Value(eval::Duration{3, 4})};
  bool found = false;
  for (size_t off = 0; off < sizeof(Value) && !found; ++off) {
    bool all = true;
    for (const Value& v : samples)
      all = all && Read<unsigned char>(&v, off) == static_cast<unsigned char>(v.kind());
    if (all) {
      l.kind_offset = off;
      found = true;
    }
  }
  if (!found) return l;
  // Scalars at the payload offset 0.
  Value i(int64_t{0x0123456789abcdef}), d(-0.1875), t(true);
  if (Read<int64_t>(&i, 0) != 0x0123456789abcdef || Read<double>(&d, 0) != -0.1875 || Read<bool>(&t, 0) != true)
    return l;
  l.payload_offset = 0;
  // Strings: data pointer and length.
  Value s("abcdefghijklmnopqrstuvwxyz0123456789");
  const std::string& str = s.AsString();
  bool string_ok = false;
  for (size_t a = 0; a + sizeof(void*) <= sizeof(std::string) && !string_ok; a += sizeof(void*))
    for (size_t b = 0; b + sizeof(size_t) <= sizeof(std::string) && !string_ok; b += sizeof(size_t))
      if (Read<const char*>(&str, a) == str.data() && Read<size_t>(&str, b) == str.size()) {
        l.string_data = a;
        l.string_size = b;
        string_ok = true;
      }
  if (!string_ok || reinterpret_cast<const void*>(&str) != static_cast<const void*>(&s)) return l;
  // Records: the shared pointer's object pointer first, then the fields.
  eval::RecordShape shape{"probe", {"a", "b"}};
  auto record = std::make_shared<eval::Record>();
  record->shape = &shape;
  record->values = {Value(int64_t{1}), Value(int64_t{2})};
  const eval::Record* raw = record.get();
  Value r(std::shared_ptr<const eval::Record>(std::move(record)));
  if (Read<const eval::Record*>(&r, 0) != raw) return l;
  bool record_ok = false;
  for (size_t a = 0; a + sizeof(void*) <= sizeof(eval::Record) && !record_ok; a += sizeof(void*))
    if (Read<const eval::RecordShape*>(raw, a) == &shape) {
      for (size_t b = 0; b + 2 * sizeof(void*) <= sizeof(eval::Record) && !record_ok; b += sizeof(void*))
        if (Read<const Value*>(raw, b) == raw->values.data() &&
            Read<const Value*>(raw, b + sizeof(void*)) == raw->values.data() + raw->values.size()) {
          l.record_shape = a;
          l.record_values = b;
          l.record_values_end = b + sizeof(void*);
          record_ok = true;
        }
    }
  if (!record_ok) return l;
  l.ok = true;
  return l;
}

}  // namespace

const ValueLayout& Layout() {
  static const ValueLayout layout = Probe();
  return layout;
}

}  // namespace tutti::compiler::jit
