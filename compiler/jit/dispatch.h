#pragma once
// Trigger dispatch: for each event type, one native function that tests
// the trigger conditions of every journey listening to it and reports the
// journeys that fire (or whose condition failed with an error).
//
// It does not test them all. The plan is a discrimination tree: at each
// level it picks the event field that most of its triggers compare with
// string literals (`e.brand == "GLIDIM"`, or `e.brand in ["A", "B"]`) and
// files each such trigger under its literals (one bucket per literal); an
// event then goes down only its own value's bucket, and the triggers with
// no such comparison are indexed again, on another field, in their own
// branch. Each branch is planned the same way on the fields not yet used,
// so triggers that test brand and specialty, or region alone, each reach
// the few events that can fire them. This is exact, not a heuristic: a
// `&&` with a false part is false whatever its other parts give (errors
// included), and `e.F == "lit"` and `e.F in [literals]` are false for every
// other value of F (the event is a record of its type, as the engine
// decodes it: a field read never fails, and an absent one is null).
//
// Trigger conditions read only the event, `now` and (`deferred`) the
// profile of the customer the event is keyed by. No journey changes a
// profile, so testing them all before any journey starts is the same as
// testing each just before it would start. The dispatch has no profiles: a
// deferred trigger that its filing lets through is reported with the code
// kTestLater, and the engine tests its condition with the profile bound.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "compiler/ast/expr.h"
#include "compiler/eval/functions.h"
#include "compiler/eval/value.h"

namespace llvm {
class Module;
}

namespace tutti::compiler::jit {

using eval::Value;

/// One journey's trigger.
struct TriggerSpec {
  uint32_t journey = 0;  // reported back as is
  std::string event;
  std::string binding;             // the name the event is bound to
  const ast::Expr* cond = nullptr;  // null: every such event fires it
  /// The event's record layout (null: unknown; then nothing is indexed).
  const eval::RecordShape* shape = nullptr;
  /// The condition reads the customer's profile: reported, not tested.
  bool deferred = false;
};

/// The code of a deferred trigger's hit: the engine tests the condition.
inline constexpr int32_t kTestLater = 4;

/// A trigger that fired (code kTrue), that the engine must test (code
/// kTestLater), or whose condition gave an error (code kErrorValue, with
/// the error at `error` in its TriggerHits). Plain data: a dispatch sorts
/// up to hundreds of hits per event.
struct TriggerHit {
  uint32_t journey = 0;
  int32_t code = 0;
  uint32_t error = 0;
};

/// What dispatches report, in journey order per dispatch; reused from
/// event to event (clear() keeps the room).
///
/// Native code adds a plain hit (no error) itself while there is room: it
/// reads and writes the first three members at the offsets Offsets() gives
/// (DispatchEmitter::AddHit), and calls tutti_jit_hit, which is Add, for
/// an error or when the room is full. Room grows to the most hits an
/// event has had, so after the first events every plain hit is a few
/// stores, not a call.
class TriggerHits {
 public:
  TriggerHits() = default;
  ~TriggerHits() { delete[] data_; }
  TriggerHits(const TriggerHits&) = delete;
  TriggerHits& operator=(const TriggerHits&) = delete;
  TriggerHits(TriggerHits&& other) noexcept { *this = std::move(other); }
  TriggerHits& operator=(TriggerHits&& other) noexcept;

  using const_iterator = const TriggerHit*;
  const_iterator begin() const { return data_; }
  const_iterator end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    size_ = 0;
    errors_.clear();
  }
  /// The error of a hit with code kErrorValue.
  const Value& ErrorOf(const TriggerHit& hit) const { return errors_.at(hit.error); }

  /// For the native code (tutti_jit_hit) and CompiledExprs::Dispatch: adds
  /// a hit; puts the hits from `first` on in journey order.
  void Add(uint32_t journey, int32_t code, const Value* error);
  void SortFrom(size_t first);

  /// Byte offsets of the hits' array (TriggerHit*), their count and the
  /// room (both uint64_t), for native code.
  struct Layout {
    size_t data, size, capacity;
  };
  static Layout Offsets();

 private:
  TriggerHit* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
  std::vector<Value> errors_;
  std::vector<TriggerHit> scratch_;  // SortFrom's, kept from event to event
};

/// Literal -> bucket number, for the native code's lookup once per event
/// and tree level: open addressing over a power-of-two array at most half
/// full, each slot holding its literal's hash, length and number, and the
/// literal itself when it has at most 16 bytes (most do: product codes,
/// regions), as two words padded with zeros. A lookup of a short text
/// reads it as those two words once, hashes them, and compares them with
/// one slot's, half a cache line: no call to compare bytes, no second
/// place to read, and never a division.
class BucketTable {
 public:
  /// `literal`'s bucket, numbered from 0 in the order literals are first
  /// added: (number, whether it is new).
  std::pair<int32_t, bool> Add(const std::string& literal);
  /// `text`'s bucket; -1 when it has none.
  int32_t Find(std::string_view text) const {
    if (slots_.empty()) return -1;
    if (text.size() <= kShort) {
      const Words w = WordsOf(text);
      const uint64_t h = Hash(w, text.size());
      for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.bucket < 0) return -1;
        if (s.hash == h && s.size == text.size() && s.words.low == w.low && s.words.high == w.high) return s.bucket;
      }
    }
    const uint64_t h = Hash(text);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.bucket < 0) return -1;
      if (s.hash == h && s.size == text.size() &&
          std::memcmp(texts_[static_cast<size_t>(s.bucket)].data(), text.data(), text.size()) == 0)
        return s.bucket;
    }
  }
  /// The literals by bucket number.
  const std::vector<std::string>& literals() const { return texts_; }
  /// The most slots a lookup of a held literal reads (for tests: a good
  /// hash keeps it a few).
  size_t LongestProbe() const;

 private:
  /// Literals of at most this many bytes are kept in their slot.
  static constexpr size_t kShort = 16;
  /// A short text's bytes, little-endian, the rest zeros.
  struct Words {
    uint64_t low = 0, high = 0;
  };
  struct Slot {
    uint64_t hash = 0;
    uint32_t size = 0;
    int32_t bucket = -1;  // -1: empty
    Words words;          // the literal, when short
  };
  /// `text` (at most kShort bytes) as two words, read without a byte past
  /// its end.
  static Words WordsOf(std::string_view text) {
    const char* p = text.data();
    const size_t n = text.size();
    auto load8 = [](const char* at) {
      uint64_t w;
      std::memcpy(&w, at, 8);
      return w;
    };
    auto load4 = [](const char* at) {
      uint32_t w;
      std::memcpy(&w, at, 4);
      return uint64_t{w};
    };
    Words w;
    if (n >= 8) {
      w.low = load8(p);
      // The last eight bytes, those before byte 8 shifted out.
      if (n > 8) w.high = load8(p + n - 8) >> (8 * (16 - n));
    } else if (n >= 4) {
      // The first four and the last four, overlapping where n < 8.
      w.low = load4(p) | (load4(p + n - 4) << (8 * (n - 4)));
    } else {
      for (size_t i = 0; i < n; ++i) w.low |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    }
    return w;
  }
  /// The hash of a short text, from its words and length: the two words
  /// (each with a constant) multiplied into 128 bits, and the halves
  /// folded together, so that every bit of either word reaches the low
  /// bits a slot is chosen by (a plain multiply carries a change only
  /// upwards, and literals that differ in their last bytes,
  /// "hcp-empire-00017", must not share a home slot).
  static uint64_t Hash(const Words& w, size_t n) {
    unsigned __int128 product = static_cast<unsigned __int128>(w.low ^ 0x9e3779b97f4a7c15ULL) *
                                (w.high ^ 0xbf58476d1ce4e5b9ULL ^ (uint64_t{n} << 56));
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  }
  /// The hash of any text (short ones as above).
  static uint64_t Hash(std::string_view text);
  /// Puts bucket `bucket` (of texts_) in its slot.
  void Place(int32_t bucket);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<std::string> texts_;  // by bucket number
};

/// One level of the tree, for a set of triggers: those left to test here,
/// and the others, filed by the literals `field` is compared with.
struct DispatchNode {
  /// Indices into the event's triggers, tested whenever an event reaches
  /// this node.
  std::vector<size_t> tested;
  /// The indexed field (empty: none, and only `tested` is set) and its
  /// slot in the event's shape.
  std::string field;
  size_t slot = 0;
  /// Per literal, the triggers filed under it (a trigger with `in` under
  /// each of its literals): reached when the field holds that literal.
  std::vector<DispatchNode> buckets;
  BucketTable table;
  /// The triggers that do not compare `field` with a literal: reached by
  /// every event that reaches this node. Null when there are none.
  std::unique_ptr<DispatchNode> others;
};

/// How one event type's triggers are dispatched.
struct DispatchPlan {
  std::string event;
  const eval::RecordShape* shape = nullptr;
  DispatchNode root;
  /// How many times triggers are filed in all (a trigger with `in` counts
  /// once per literal), the copies beyond each trigger's first, and the
  /// tree's depth: for tests and benchmarks.
  size_t filed = 0;
  size_t copies = 0;
  size_t depth = 0;
};

/// Plans the dispatch of `triggers` (all of one event type).
DispatchPlan PlanDispatch(const std::vector<const TriggerSpec*>& triggers);

/// The native signature: `vars` = {event, now}; every hit is passed to
/// tutti_jit_hit(hits, ...), in no particular order.
using DispatchFunction = void (*)(const Value* const* vars, const void* const* pool, TriggerHits* hits);

/// Where a trigger's condition was compiled: its group function, its index
/// in the group, and its environment.
struct CompiledCondition {
  std::string function;
  int32_t index = 0;
  std::vector<std::string> env;
  const void* const* pool = nullptr;  // the group's constants
};

class ConstantPool;

/// What a dispatch was emitted as: for tests and benchmarks.
struct DispatchCode {
  size_t functions = 0;     // the entry and its parts
  size_t inline_tests = 0;  // tests of a condition emitted inline
  size_t calls = 0;         // conditions too big to test inline, called instead
  size_t bail_outs = 0;     // inline tests that call the condition when a fast path does not apply
};

/// Emits `name`, a DispatchFunction for `plan` over `triggers` (in the
/// plan's order), whose conditions are `conditions` (parallel to
/// `triggers`; unused for a trigger without a condition). A condition is
/// tested inline where it is placed (InlineConditions: without the parts
/// the path decided), or by a call into its group when it is big; the
/// code is split into functions of at most 48 tests.
DispatchCode EmitDispatch(llvm::Module& module, const std::string& name, const DispatchPlan& plan,
                          const std::vector<const TriggerSpec*>& triggers,
                          const std::vector<CompiledCondition>& conditions, const eval::Functions& functions,
                          ConstantPool& pool);

}  // namespace tutti::compiler::jit
